package dev.jinfer.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.InvalidInputException;
import dev.jinfer.Tensor;
import dev.jinfer.optimize.proto.Onnx.AttributeProto;
import dev.jinfer.optimize.proto.Onnx.GraphProto;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.NodeProto;
import dev.jinfer.optimize.proto.Onnx.OperatorSetIdProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrunerTest {
  private static final Path FRAUD =
      Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx/fraud.onnx");

  @TempDir Path dir;

  /**
   * x[batch, 4] -> Gemm(transB, W1 [6, 4], b1 [6]) -> Relu -> MatMul(W2 [6, 3]) -> y, where hidden units 1, 3 and
   * 4 have no outgoing weight: pruning half the units must drop exactly those and change nothing.
   */
  private static ModelProto twoLayers() {
    Random random = new Random(3);
    float[] w1 = new float[24];
    float[] b1 = new float[6];
    float[] w2 = new float[18];
    for (int i = 0; i < w1.length; i++) {
      w1[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < b1.length; i++) {
      b1[i] = 0.5f;
    }
    for (int unit : new int[] {0, 2, 5}) {
      for (int j = 0; j < 3; j++) {
        w2[unit * 3 + j] = (float) random.nextGaussian();
      }
    }
    GraphProto graph = GraphProto.newBuilder().setName("two")
        .addNode(NodeProto.newBuilder().setOpType("Gemm").setName("fc1").addInput("x").addInput("W1").addInput("b1")
            .addOutput("h").addAttribute(AttributeProto.newBuilder().setName("transB")
                .setType(AttributeProto.AttributeType.INT).setI(1)))
        .addNode(NodeProto.newBuilder().setOpType("Relu").setName("relu").addInput("h").addOutput("r"))
        .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("fc2").addInput("r").addInput("W2").addOutput("y"))
        .addInitializer(OnnxTensors.floats("W1", w1, 6, 4))
        .addInitializer(OnnxTensors.floats("b1", b1, 6))
        .addInitializer(OnnxTensors.floats("W2", w2, 6, 3))
        .addInput(OnnxTensors.valueInfo("x", TensorProto.DataType.FLOAT, "batch", 4))
        .addOutput(OnnxTensors.valueInfo("y", TensorProto.DataType.FLOAT, "batch", 3))
        .addValueInfo(OnnxTensors.valueInfo("h", TensorProto.DataType.FLOAT, "batch", 6))
        .build();
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("jinfer-tests")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(graph).build();
  }

  private static Tensor rows(long seed, int n, int width) {
    Random random = new Random(seed);
    float[] v = new float[n * width];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return Tensor.ofFloats(v, n, width);
  }

  @Test
  void structured_dropsTheUnitsWithoutOutgoingWeight_andTheOutputsStayTheSame() throws Exception {
    Path in = dir.resolve("two.onnx");
    OnnxModels.write(twoLayers(), in);
    Path out = dir.resolve("two.pruned.onnx");
    Pruner.Result r = Pruner.newBuilder().sparsity(0.5).build().prune(in, out);

    assertThat(r.layers()).containsExactly(Map.entry("fc1", "6 -> 3 units"));
    assertThat(r.parametersBefore()).isEqualTo(24 + 6 + 18);
    assertThat(r.parametersAfter()).isEqualTo(12 + 3 + 9);
    ModelProto pruned = OnnxModels.read(out);
    assertThat(pruned.getGraph().getInitializerList()).extracting(t -> t.getDimsList().toString())
        .containsExactly("[3, 4]", "[3]", "[3, 3]");
    Tensor x = rows(5, 100, 4);
    float[][] a = StaticQuantizerTest.run(in, "x", x);
    float[][] b = StaticQuantizerTest.run(out, "x", x);
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < 3; j++) {
        assertThat(Math.abs(a[i][j] - b[i][j])).isLessThan(1e-5f);
      }
    }
  }

  @Test
  void structured_fraud_halvesBothHiddenLayers_andRuns() throws Exception {
    Path out = dir.resolve("fraud.pruned.onnx");
    byte[] original = Files.readAllBytes(FRAUD);
    Pruner.Result r = Pruner.newBuilder().sparsity(0.5).build().prune(FRAUD, out);

    assertThat(Files.readAllBytes(FRAUD)).isEqualTo(original);
    assertThat(r.layers()).hasSize(2).allSatisfy((layer, change) -> assertThat(change).isEqualTo("256 -> 128 units"));
    assertThat(r.parametersAfter()).isEqualTo(32 * 128 + 128 + 128 * 128 + 128 + 128 * 2 + 2);
    assertThat(Files.size(out)).isLessThan(Files.size(FRAUD) / 3);
    float[][] y = StaticQuantizerTest.run(out, "features", rows(9, 50, 32));
    assertThat(y).hasNumberOfRows(50);
    assertThat(y[0]).hasSize(2);
    assertThat(y[0][0] + y[0][1]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
  }

  @Test
  void unstructured_zeroesHalfOfEveryWeight_butTheModelIsNoSmaller() throws Exception {
    Path out = dir.resolve("fraud.sparse.onnx");
    Pruner.Result r = Pruner.newBuilder().mode(Pruner.Mode.UNSTRUCTURED).sparsity(0.5).build().prune(FRAUD, out);

    assertThat(r.layers()).hasSize(3);
    assertThat(r.parametersAfter()).isEqualTo(r.parametersBefore());
    assertThat(Files.size(out)).isGreaterThan(Files.size(FRAUD) * 99 / 100);
    for (TensorProto t : OnnxModels.read(out).getGraph().getInitializerList()) {
      if (t.getDimsCount() == 2) {
        float[] v = OnnxTensors.toFloats(t);
        long zeros = 0;
        for (float f : v) {
          zeros += f == 0f ? 1 : 0;
        }
        assertThat(zeros).as(t.getName()).isEqualTo(Math.round(v.length * 0.5));
      }
    }
  }

  @Test
  void nothingToPrune_andBadSparsity_areTypedErrors() throws Exception {
    Path affine = dir.resolve("affine.onnx");
    OnnxModels.write(OnnxModelsTest.affine(), affine);
    assertThatThrownBy(() -> Pruner.newBuilder().build().prune(affine, dir.resolve("o.onnx")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("affine.onnx")
        .hasMessageContaining("chain Gemm/MatMul").hasMessageContaining("found none");
    assertThat(dir.resolve("o.onnx")).doesNotExist();
    assertThat(Pruner.newBuilder().mode(Pruner.Mode.UNSTRUCTURED).build().prune(affine, dir.resolve("u.onnx")).layers())
        .containsKey("W");
    assertThatThrownBy(() -> Pruner.newBuilder().sparsity(1.0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("(0, 1)");
  }
}
