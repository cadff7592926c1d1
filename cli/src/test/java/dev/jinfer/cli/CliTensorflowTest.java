package dev.jinfer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

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

  @Test
  void inspect_savedModel_listsEverySignatureWithItsTensors_markingTheDefaultAndTheLoadedOne() {
    Run r = run("inspect", FRAUD.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).containsSubsequence("Signatures", "  logits",
        "    inputs: features FLOAT32 [-1, 32]", "    outputs: logits FLOAT32 [-1, 2]",
        "  serving_default (default, loaded)", "    inputs: features FLOAT32 [-1, 32]",
        "    outputs: probabilities FLOAT32 [-1, 2]", "Metadata");
    assertThat(r.out()).doesNotContain("tensorflow.signature.logits");
  }

  @Test
  void property_choosesANonDefaultSignature_forInspectAndPredict() {
    Run inspect = run("inspect", FRAUD.toString(), "--property", "tensorflow.signature=logits");
    assertThat(inspect.exitCode()).as(inspect.err()).isZero();
    assertThat(inspect.out()).containsSubsequence("Outputs", "logits", "Signatures", "  logits (loaded)",
        "  serving_default (default)");

    Path out = tmp.resolve("out");
    Run r = run("predict", FRAUD.toString(), "--property", "tensorflow.signature=logits", "--property", "tensorflow.tags=serve",
        "-i", "features=" + ONNX.resolve("fraud_input.npy"), "-d", out.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    float[] logits = Npy.read(out.resolve("logits.npy")).toFloatArray();
    float[] probabilities = Npy.read(ONNX.resolve("fraud_output.npy")).toFloatArray();
    for (int row = 0; row < probabilities.length / 2; row++) {
      double p1 = 1 / (1 + Math.exp(logits[2 * row] - logits[2 * row + 1]));
      assertThat(p1).as("softmax of row %d's logits", row).isCloseTo(probabilities[2 * row + 1], offset(1e-5));
    }
  }

  @Test
  void property_thatTheBackendRefuses_isALoadErrorNamingIt_andAMalformedOneIsAUsageError() {
    Run unknown = run("inspect", FRAUD.toString(), "--property", "tensorflow.signature=nope");
    assertThat(unknown.exitCode()).as(unknown.err()).isEqualTo(JinferCli.EXIT_MODEL_LOAD);
    assertThat(unknown.err()).contains("no signature 'nope'").contains("available: [logits, serving_default]")
        .doesNotContain("\tat ");
    assertThat(unknown.err().strip().lines()).hasSize(1);

    Run malformed = run("inspect", FRAUD.toString(), "--property", "tensorflow.signature");
    assertThat(malformed.exitCode()).as(malformed.err()).isEqualTo(JinferCli.EXIT_USAGE);
    assertThat(malformed.err()).contains("--property").contains("KEY=VALUE");

    Run bench = run("bench", FRAUD.toString(), "--property", "tensorflow.signature=nope", "--warmup", "0s",
        "--window", "100ms", "--max-windows", "1", "--stable-windows", "1");
    assertThat(bench.exitCode()).as(bench.err()).isEqualTo(JinferCli.EXIT_MODEL_LOAD);
    assertThat(bench.err()).contains("no signature 'nope'");
  }
}
