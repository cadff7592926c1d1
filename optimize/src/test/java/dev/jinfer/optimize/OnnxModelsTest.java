package dev.jinfer.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelLoadException;
import dev.jinfer.optimize.proto.Onnx.GraphProto;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.NodeProto;
import dev.jinfer.optimize.proto.Onnx.OperatorSetIdProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelsTest {
  private static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"));

  @TempDir Path dir;

  /** y = x W + b with W [2, 3] and b [3]. */
  static ModelProto affine() {
    GraphProto graph = GraphProto.newBuilder()
        .setName("affine")
        .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("mm").addInput("x").addInput("W").addOutput("h"))
        .addNode(NodeProto.newBuilder().setOpType("Add").setName("add").addInput("h").addInput("b").addOutput("y"))
        .addInitializer(OnnxTensors.floats("W", new float[] {1, 2, 3, 4, 5, 6}, 2, 3))
        .addInitializer(OnnxTensors.floats("b", new float[] {0.5f, -1, 2}, 3))
        .addInput(OnnxTensors.valueInfo("x", TensorProto.DataType.FLOAT, "batch", 2))
        .addOutput(OnnxTensors.valueInfo("y", TensorProto.DataType.FLOAT, "batch", 3))
        .build();
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("jinfer-tests")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .setGraph(graph).build();
  }

  @Test
  void write_producesAModelOnnxRuntimeRuns() throws Exception {
    Path file = dir.resolve("affine.onnx");
    OnnxModels.write(affine(), file);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions());
        OnnxTensor x = OnnxTensor.createTensor(env, new float[][] {{1, 10}});
        OrtSession.Result result = session.run(java.util.Map.of("x", x))) {
      float[][] y = (float[][]) result.get(0).getValue();
      assertThat(y[0]).containsExactly(1 + 40 + 0.5f, 2 + 50 - 1, 3 + 60 + 2);
    }
  }

  @Test
  void readThenWrite_givesTheFixtureBackUnchanged() throws IOException {
    Path fraud = FIXTURES.resolve("onnx/fraud.onnx");
    ModelProto model = OnnxModels.read(fraud);
    assertThat(model.getGraph().getNodeCount()).isPositive();
    Path copy = dir.resolve("copy.onnx");
    OnnxModels.write(model, copy);
    assertThat(OnnxModels.read(copy)).isEqualTo(model);
    assertThat(Files.size(copy)).isEqualTo(Files.size(fraud));
  }

  @Test
  void toFloats_readsBackWhatFloatsWrote() {
    TensorProto t = OnnxTensors.floats("w", new float[] {1.5f, -2, 3e-7f}, 3);
    assertThat(OnnxTensors.toFloats(t)).containsExactly(1.5f, -2, 3e-7f);
    assertThatThrownBy(() -> OnnxTensors.toFloats(OnnxTensors.int64s("i", new long[] {1}, 1)))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("'i'").hasMessageContaining("INT64");
  }

  @Test
  void read_rejectsAFileThatIsNotOnnx_namingIt() throws IOException {
    Path text = Files.writeString(dir.resolve("notes.onnx"), "this is not a model\n");
    assertThatThrownBy(() -> OnnxModels.read(text))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("notes.onnx").hasMessageContaining("ONNX");
    Path missing = dir.resolve("missing.onnx");
    assertThatThrownBy(() -> OnnxModels.read(missing))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("does not exist");
  }

  @Test
  void write_replacesAtomicallyAndLeavesNoTemporaryFile() throws IOException {
    Path file = dir.resolve("m.onnx");
    Files.writeString(file, "old");
    OnnxModels.write(affine(), file);
    assertThat(OnnxModels.read(file)).isEqualTo(affine());
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void requireDistinct_refusesTheInputAsOutput_evenThroughARelativePath() throws IOException {
    Path file = dir.resolve("m.onnx");
    OnnxModels.write(affine(), file);
    Path sneaky = dir.resolve("sub/../m.onnx");
    assertThatThrownBy(() -> OnnxModels.requireDistinct(file, sneaky))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("input");
    OnnxModels.requireDistinct(file, dir.resolve("out.onnx"));
  }
}
