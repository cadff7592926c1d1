package dev.jinfer.examples.custombackend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jinfer.Model;
import dev.jinfer.ModelId;
import dev.jinfer.ModelLoadException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import dev.jinfer.spi.ModelSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery, the model format's errors, and agreement with the ONNX fixture's reference outputs. */
class JsonModelBackendTest {
  private static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"));

  @TempDir
  Path dir;

  @Test
  void modelLoad_picksJsonMlp_throughServiceLoader_forAJmodelJsonFile() {
    Path file = JsonModelFixtures.write(FIXTURES, "multi_io", dir);
    try (Model model = Model.load(file)) {
      assertThat(model.backend()).isEqualTo("json-mlp");
      NamedTensors out = model.predictor().predict(NamedTensors.of(
          "a", Tensor.ofFloats(new float[] {1, 4, 2, 3}, 1, 4), "b", Tensor.ofFloats(new float[] {1, 1, 1, 2}, 1, 4)));
      assertThat(out.get("sum").toFloatArray()).containsExactly(2, 5, 3, 5);
      assertThat(out.get("dot").toFloatArray()).containsExactly(13);
      assertThat(out.get("argmax_a").toLongArray()).containsExactly(1);
    }
  }

  @Test
  void accepts_onlyJmodelJsonFiles_neverOnnx() {
    JsonModelBackend backend = new JsonModelBackend();
    Path onnx = FIXTURES.resolve("onnx").resolve("fraud.onnx");
    assertThat(backend.accepts(new ModelSource(onnx, new ModelId("fraud", "1")))).isFalse();
    Path json = JsonModelFixtures.write(FIXTURES, "dtype_int8", dir);
    assertThat(backend.accepts(new ModelSource(json, new ModelId("x", "1")))).isTrue();
    assertThat(backend.accepts(new ModelSource(dir, new ModelId("x", "1")))).isFalse();
  }

  @Test
  void fraud_reproducesTheOnnxFixtureReferenceOutputs() {
    Path file = JsonModelFixtures.write(FIXTURES, "fraud", dir);
    Tensor input = Npy.read(FIXTURES.resolve("onnx").resolve("fraud_input.npy"));
    float[] expected = Npy.read(FIXTURES.resolve("onnx").resolve("fraud_output.npy")).toFloatArray();
    try (Model model = Model.load(file)) {
      float[] got = model.predictor().predict(NamedTensors.of("features", input)).get("probabilities").toFloatArray();
      assertThat(got).containsExactly(expected, within(1e-5f));
    }
  }

  @Test
  void load_rejectsMalformedJson_withModelLoadExceptionNamingTheFile() throws IOException {
    Path bad = dir.resolve("broken" + JsonModelBackend.SUFFIX);
    Files.writeString(bad, "{\"format\": \"jmodel/1\", \"inputs\": [", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Model.load(bad)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(bad.toString()).hasMessageContaining("json-mlp").hasMessageContaining("JSON at offset");
  }

  @Test
  void load_rejectsAnUnknownOp_andAnUndefinedInput_sayingWhere() throws IOException {
    Path unknown = model("unknown", "{\"op\": \"conv\", \"inputs\": [\"x\"], \"output\": \"y\"}");
    assertThatThrownBy(() -> Model.load(unknown)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("ops[0].op").hasMessageContaining("'conv'");
    Path undefined = model("undefined", "{\"op\": \"identity\", \"inputs\": [\"z\"], \"output\": \"y\"}");
    assertThatThrownBy(() -> Model.load(undefined)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("'z' is not");
  }

  @Test
  void load_rejectsAWeightFileOutsideTheModelDirectory() throws IOException {
    Path escape = model("escape",
        "{\"op\": \"dense\", \"inputs\": [\"x\"], \"output\": \"y\", \"weight\": \"../w.npy\", \"bias\": [0, 0, 0]}");
    assertThatThrownBy(() -> Model.load(escape)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("ops[0].weight").hasMessageContaining("../w.npy");
  }

  @Test
  void dense_withInlineWeights_computesXTimesWTransposedPlusBias() throws IOException {
    Path file = model("inline",
        "{\"op\": \"dense\", \"inputs\": [\"x\"], \"output\": \"y\", \"weight\": [[1, 0, 0], [0, 2, 0], [0, 0, -1]],"
            + " \"bias\": [0.5, 0, 1]}");
    try (Model model = Model.load(file)) {
      float[] y = model.predictor().predict(NamedTensors.of("x", Tensor.ofFloats(new float[] {1, 2, 3}, 1, 3)))
          .get("y").toFloatArray();
      assertThat(y).containsExactly(1.5f, 4f, -2f);
    }
  }

  private Path model(String name, String op) throws IOException {
    Path file = dir.resolve(name + JsonModelBackend.SUFFIX);
    Files.writeString(file, """
        {"format": "jmodel/1",
         "inputs": [{"name": "x", "dtype": "FLOAT32", "shape": [-1, 3]}],
         "outputs": [{"name": "y", "dtype": "FLOAT32", "shape": [-1, 3]}],
         "ops": [%s]}
        """.formatted(op), StandardCharsets.UTF_8);
    return file;
  }
}
