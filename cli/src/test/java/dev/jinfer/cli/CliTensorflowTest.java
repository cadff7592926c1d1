package dev.jinfer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.DType;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code jinfer inspect} and {@code jinfer predict} on the TensorFlow SavedModel fixtures (fixtures/tensorflow). */
class CliTensorflowTest {
  private static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"));
  private static final Path FRAUD = FIXTURES.resolve("tensorflow").resolve("fraud");
  private static final Path MULTI_IO = FIXTURES.resolve("tensorflow").resolve("multi_io");
  private static final Path ONNX = FIXTURES.resolve("onnx");

  @TempDir
  Path tmp;

  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cmd = JinferCli.newCommandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void inspect_fraudSavedModel_printsTheTensorflowBackendAndTheServingSignature() {
    Run r = run("inspect", FRAUD.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).containsSubsequence("Model     fraud:1", "Backend   tensorflow", "Device    cpu",
        "Inputs", "features", "FLOAT32", "[-1, 32]", "Outputs", "probabilities", "FLOAT32", "[-1, 2]",
        "Metadata", "tensorflow.signature", "serving_default", "tensorflow.signatures", "logits,serving_default");
  }

  @Test
  void predict_fraudSavedModel_reproducesTheOnnxReferenceWithin1e5() {
    Path out = tmp.resolve("out");

    Run r = run("predict", FRAUD.toString(), "--input", "features=" + ONNX.resolve("fraud_input.npy"), "--output-dir",
        out.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("backend tensorflow");
    Tensor actual = Npy.read(out.resolve("probabilities.npy"));
    Tensor expected = Npy.read(ONNX.resolve("fraud_output.npy"));
    assertThat(actual.dtype()).isEqualTo(DType.FLOAT32);
    assertThat(actual.shape()).isEqualTo(expected.shape());
    float[] a = actual.toFloatArray();
    float[] e = expected.toFloatArray();
    double maxAbs = 0;
    for (int i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs((double) a[i] - e[i]));
    }
    assertThat(maxAbs).isLessThanOrEqualTo(1e-5);
  }

  @Test
  void predict_multiIoSavedModel_writesEveryOutputExactly() throws IOException {
    Path out = tmp.resolve("out");

    Run r = run("predict", MULTI_IO.toString(), "-i", "a=" + ONNX.resolve("multi_io_input_a.npy"), "-i",
        "b=" + ONNX.resolve("multi_io_input_b.npy"), "-d", out.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    try (Stream<Path> files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly("argmax_a.npy", "dot.npy", "sum.npy");
    }
    for (String name : List.of("sum", "dot", "argmax_a")) {
      assertThat(Npy.read(out.resolve(name + ".npy"))).as(name).isEqualTo(Npy.read(ONNX.resolve("multi_io_output_" + name + ".npy")));
    }
  }

  @Test
  void predict_savedModelWithoutItsVariables_isALoadErrorNamingTheMissingFile() throws IOException {
    Path copy = Files.createDirectory(tmp.resolve("fraud"));
    Files.copy(FRAUD.resolve("saved_model.pb"), copy.resolve("saved_model.pb"));

    Run r = run("predict", copy.toString(), "-i", "features=" + ONNX.resolve("fraud_input.npy"), "-d", tmp.toString());

    assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isEqualTo(JinferCli.EXIT_MODEL_LOAD);
    assertThat(r.err()).contains("variables.index").contains("is missing").doesNotContain("\tat ");
  }
}
