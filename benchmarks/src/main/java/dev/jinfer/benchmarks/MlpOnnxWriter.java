package dev.jinfer.benchmarks;

import dev.jinfer.optimize.OnnxModels;
import dev.jinfer.optimize.OnnxTensors;
import dev.jinfer.optimize.proto.Onnx.GraphProto;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.NodeProto;
import dev.jinfer.optimize.proto.Onnx.OperatorSetIdProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a seeded multi-layer perceptron as an ONNX model, so that a benchmark can use a model of any
 * width without committing megabytes of weights: {@code x float32[batch, w0] -> Gemm -> Relu -> ... ->
 * Gemm -> y float32[batch, wN]} (ReLU between layers, none after the last), He-normal weights and small
 * uniform biases from {@link Random} with a fixed seed, opset 17, IR version 8. Written through
 * jinfer-optimize's generated {@code onnx.proto} classes; deterministic: the same widths and seed give the
 * same bytes.
 */
final class MlpOnnxWriter {
  private MlpOnnxWriter() {}

  /**
   * Writes the model.
   *
   * @param path where
   * @param seed the weights' seed
   * @param widths the layer widths, input first, e.g. {@code 256, 1024, 1024, 128}
   * @return the path
   * @throws IOException if writing fails
   */
  static Path write(Path path, long seed, int... widths) throws IOException {
    if (widths.length < 2) {
      throw new IllegalArgumentException("widths: expected at least an input and an output width");
    }
    Random random = new Random(seed);
    GraphProto.Builder graph = GraphProto.newBuilder().setName("mlp");
    String previous = "x";
    for (int layer = 0; layer + 1 < widths.length; layer++) {
      int in = widths[layer];
      int out = widths[layer + 1];
      float[] w = new float[in * out];
      double std = Math.sqrt(2.0 / in);
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) (random.nextGaussian() * std);
      }
      float[] b = new float[out];
      for (int i = 0; i < b.length; i++) {
        b[i] = (random.nextFloat() - 0.5f) * 0.2f;
      }
      String wName = "w" + layer;
      String bName = "b" + layer;
      graph.addInitializer(OnnxTensors.floats(wName, w, in, out));
      graph.addInitializer(OnnxTensors.floats(bName, b, out));
      boolean last = layer + 2 == widths.length;
      String gemmOut = last ? "y" : "h" + layer;
      graph.addNode(NodeProto.newBuilder().addInput(previous).addInput(wName).addInput(bName).addOutput(gemmOut)
          .setName("gemm" + layer).setOpType("Gemm"));
      if (!last) {
        String reluOut = "r" + layer;
        graph.addNode(NodeProto.newBuilder().addInput(gemmOut).addOutput(reluOut).setName("relu" + layer)
            .setOpType("Relu"));
        previous = reluOut;
      }
    }
    graph.addInput(OnnxTensors.valueInfo("x", TensorProto.DataType.FLOAT, "batch", widths[0]));
    graph.addOutput(OnnxTensors.valueInfo("y", TensorProto.DataType.FLOAT, "batch", widths[widths.length - 1]));
    ModelProto model = ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("jinfer-benchmarks")
        .setProducerVersion("0.1.0")
        .setGraph(graph)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .build();
    OnnxModels.write(model, path);
    return path;
  }
}
