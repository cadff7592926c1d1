package dev.jinfer.distill;

import dev.jinfer.optimize.OnnxModels;
import dev.jinfer.optimize.OnnxTensors;
import dev.jinfer.optimize.proto.Onnx.GraphProto;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.NodeProto;
import dev.jinfer.optimize.proto.Onnx.OperatorSetIdProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import dev.jinfer.optimize.proto.Onnx.AttributeProto;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a trained student as a standard ONNX model (opset 17, IR version 8): {@code Gemm(transB=1)} and
 * {@code Relu} per hidden layer, a last {@code Gemm}, and {@code Softmax(axis=1)} when the teacher's output is
 * a probability distribution; the input and output carry the teacher's names, FLOAT element type and a
 * symbolic {@code batch} first dimension. Weights are {@code [out, in]} FLOAT initializers, as DJL's
 * {@code Linear} holds them. Stateless and thread-safe.
 */
final class StudentOnnxWriter {
  static final int OPSET = 17;

  private StudentOnnxWriter() {}

  static ModelProto build(String inputName, String outputName, int[] widths, List<float[]> weights,
      List<float[]> biases, boolean softmax, String doc) {
    GraphProto.Builder graph = GraphProto.newBuilder().setName("student");
    String previous = inputName;
    int layers = widths.length - 1;
    for (int layer = 0; layer < layers; layer++) {
      int in = widths[layer];
      int out = widths[layer + 1];
      String w = "layer" + layer + ".weight";
      String b = "layer" + layer + ".bias";
      graph.addInitializer(OnnxTensors.floats(w, weights.get(layer), out, in));
      graph.addInitializer(OnnxTensors.floats(b, biases.get(layer), out));
      boolean last = layer + 1 == layers;
      String gemmOut = last && !softmax ? outputName : "gemm" + layer;
      graph.addNode(NodeProto.newBuilder().setName("gemm" + layer).setOpType("Gemm")
          .addInput(previous).addInput(w).addInput(b).addOutput(gemmOut)
          .addAttribute(AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT).setI(1)));
      previous = gemmOut;
      if (!last) {
        String relu = "relu" + layer;
        graph.addNode(NodeProto.newBuilder().setName(relu).setOpType("Relu").addInput(gemmOut).addOutput(relu));
        previous = relu;
      }
    }
    if (softmax) {
      graph.addNode(NodeProto.newBuilder().setName("softmax").setOpType("Softmax").addInput(previous)
          .addOutput(outputName)
          .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(1)));
    }
    graph.addInput(OnnxTensors.valueInfo(inputName, TensorProto.DataType.FLOAT, "batch", widths[0]));
    graph.addOutput(OnnxTensors.valueInfo(outputName, TensorProto.DataType.FLOAT, "batch", widths[layers]));
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("jinfer-distill")
        .setProducerVersion("0.1.0")
        .setDocString(doc)
        .setGraph(graph)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .build();
  }

  static void write(ModelProto model, Path path) {
    OnnxModels.write(model, path);
  }
}
