package dev.jinfer.onnx;

import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.kit.BackendCompatibilityKit;
import dev.jinfer.optimize.OnnxModels;
import dev.jinfer.optimize.OnnxTensors;
import dev.jinfer.optimize.proto.Onnx.GraphProto;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.NodeProto;
import dev.jinfer.optimize.proto.Onnx.OperatorSetIdProto;
import dev.jinfer.optimize.proto.Onnx.StringStringEntryProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import dev.jinfer.optimize.proto.Onnx.TensorShapeProto;
import dev.jinfer.optimize.proto.Onnx.TypeProto;
import dev.jinfer.optimize.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes tiny ONNX models for tests that need a model the committed fixtures do not have (a sequence output,
 * an unsupported element type, custom metadata, a slow chain), through jinfer-optimize's generated
 * {@code onnx.proto} classes; deterministic.
 */
final class TinyOnnx {
  static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  static final int UINT16 = TensorProto.DataType.UINT16_VALUE;

  private TinyOnnx() {}

  /**
   * A model {@code y = op(x)} with x of {@code elemType} [batch, 3].
   *
   * @param path where to write
   * @param op the operator type, e.g. {@code Identity} or {@code SequenceConstruct}
   * @param elemType the ONNX element type of x
   * @param sequenceOutput whether y is declared as a sequence of tensors rather than a tensor
   * @param metadata custom metadata_props
   * @return the path
   * @throws IOException if writing fails
   */
  static Path write(Path path, String op, int elemType, boolean sequenceOutput, Map<String, String> metadata)
      throws IOException {
    TypeProto xType = tensorType(elemType, true);
    TypeProto yType = sequenceOutput
        ? TypeProto.newBuilder().setSequenceType(TypeProto.Sequence.newBuilder().setElemType(tensorType(elemType, false)))
            .build()
        : tensorType(elemType, true);
    GraphProto graph = GraphProto.newBuilder()
        .addNode(NodeProto.newBuilder().addInput("x").addOutput("y").setName("node").setOpType(op))
        .setName("tiny_graph")
        .setDocString("a graph for tests")
        .addInput(ValueInfoProto.newBuilder().setName("x").setType(xType))
        .addOutput(ValueInfoProto.newBuilder().setName("y").setType(yType))
        .build();
    ModelProto.Builder model = ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("jinfer-tests")
        .setProducerVersion("0.0.1")
        .setDomain("dev.jinfer.test")
        .setModelVersion(3)
        .setDocString("tiny test model")
        .setGraph(graph)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17));
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
    }
    OnnxModels.write(model.build(), path);
    return path;
  }

  /**
   * A deliberately slow model for deadline tests: {@code y = x W W ... W} ({@code nodes} MatMul nodes in a
   * chain), x and y FLOAT [batch, size], W a [size, size] initializer of 1/size everywhere (so values stay
   * bounded: each product replaces every element by its row's mean). A batch of {@code size} rows costs
   * {@code nodes * size^3} multiply-adds; ONNX Runtime can stop it between any two nodes.
   *
   * @param path where to write
   * @param size the width of x and W
   * @param nodes how many MatMul nodes
   * @return the path
   * @throws IOException if writing fails
   */
  static Path matMulChain(Path path, int size, int nodes) throws IOException {
    float[] w = new float[size * size];
    Arrays.fill(w, 1f / size);
    GraphProto.Builder graph = GraphProto.newBuilder().setName("matmul_chain");
    for (int i = 0; i < nodes; i++) {
      String in = i == 0 ? "x" : "h" + (i - 1);
      String out = i == nodes - 1 ? "y" : "h" + i;
      graph.addNode(NodeProto.newBuilder().addInput(in).addInput("W").addOutput(out).setName("matmul" + i)
          .setOpType("MatMul"));
    }
    graph.addInitializer(OnnxTensors.floats("W", w, size, size))
        .addInput(OnnxTensors.valueInfo("x", TensorProto.DataType.FLOAT, "batch", size))
        .addOutput(OnnxTensors.valueInfo("y", TensorProto.DataType.FLOAT, "batch", size));
    ModelProto model = ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("jinfer-tests")
        .setGraph(graph)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .build();
    OnnxModels.write(model, path);
    return path;
  }

  /**
   * The kit's slow call: a {@link #matMulChain} of 384 MatMul nodes on a [512, 512] batch (52 G
   * multiply-adds), about half a second on two cores with AVX-512, longer on slower machines.
   *
   * @param dir where to write the model
   * @return the model and its request
   * @throws IOException if writing fails
   */
  static BackendCompatibilityKit.SlowCall slowCall(Path dir) throws IOException {
    int size = 512;
    float[] x = new float[size * size];
    for (int i = 0; i < x.length; i++) {
      x[i] = i % 7;
    }
    Path model = matMulChain(dir.resolve("matmul_chain.onnx"), size, 384);
    return new BackendCompatibilityKit.SlowCall(model, NamedTensors.of("x", Tensor.ofFloats(x, size, size)));
  }

  private static TypeProto tensorType(int elemType, boolean withShape) {
    TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder().setElemType(elemType);
    if (withShape) {
      t.setShape(TensorShapeProto.newBuilder()
          .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
          .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(3)));
    }
    return TypeProto.newBuilder().setTensorType(t).build();
  }
}
