package com.example.fraud;

import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.kit.BackendCompatibilityKit;
import dev.jinfer.optimize.OnnxModels;
import dev.jinfer.optimize.OnnxTensors;
import dev.jinfer.optimize.proto.Onnx.GraphProto;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.NodeProto;
import dev.jinfer.optimize.proto.Onnx.OperatorSetIdProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import java.nio.file.Path;
import java.util.Arrays;

/** jinfer's compatibility kit on this team's backend: the fixtures come packed in the kit's jar. */
class ToyOnnxBackendCompatibilityTest extends BackendCompatibilityKit {
  @Override
  protected String backendName() {
    return ToyOnnxBackend.NAME;
  }

  /** ONNX Runtime stops a running call at its deadline (the kit checks the model's close does not wait then). */
  @Override
  protected boolean supportsCancellation() {
    return true;
  }

  @Override
  protected Path fixture(String name) {
    return fixturesDir().resolve("onnx").resolve(name + ".onnx");
  }

  /** 384 chained [512, 512] MatMuls on a [512, 512] batch: long enough to put a deadline in the middle. */
  @Override
  protected SlowCall slowCall(Path dir) {
    int size = 512;
    float[] w = new float[size * size];
    Arrays.fill(w, 1f / size);
    GraphProto.Builder graph = GraphProto.newBuilder().setName("matmul_chain");
    for (int i = 0; i < 384; i++) {
      graph.addNode(NodeProto.newBuilder().setOpType("MatMul").setName("matmul" + i)
          .addInput(i == 0 ? "x" : "h" + (i - 1)).addInput("W").addOutput(i == 383 ? "y" : "h" + i));
    }
    graph.addInitializer(OnnxTensors.floats("W", w, size, size))
        .addInput(OnnxTensors.valueInfo("x", TensorProto.DataType.FLOAT, "batch", size))
        .addOutput(OnnxTensors.valueInfo("y", TensorProto.DataType.FLOAT, "batch", size));
    Path model = dir.resolve("matmul_chain.onnx");
    OnnxModels.write(ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).build(), model);
    float[] x = new float[size * size];
    Arrays.fill(x, 1f);
    return new SlowCall(model, NamedTensors.of("x", Tensor.ofFloats(x, size, size)));
  }
}
