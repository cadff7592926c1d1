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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code jinfer inspect} and {@code jinfer predict} on the TorchScript fixtures (backend-pytorch on the runtime classpath). */
class CliPytorchTest {
  private static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"));
  private static final Path PT = FIXTURES.resolve("pytorch");
  private static final Path ONNX = FIXTURES.resolve("onnx");

  @TempDir
  Path tmp;

  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cmd = JinferCli.newCommandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void inspect_fraudPt_printsThePytorchBackend_theSidecarSignature_andMetadata() {
    Run r = run("inspect", PT.resolve("fraud.pt").toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).containsSubsequence("Model     fraud:1", "Backend   pytorch", "Device    cpu",
        "Inputs", "features", "FLOAT32", "[-1, 32]", "Outputs", "probabilities", "FLOAT32", "[-1, 2]",
        "Metadata").contains("pytorch.libtorch_version").contains("2.7.1").contains("fraud.pt.signature.json");
  }

  @Test
  void predict_fraudPt_reproducesTheOnnxReferenceWithin1e5() {
    Path out = tmp.resolve("out");

    Run r = run("predict", PT.resolve("fraud.pt").toString(), "--input", "features=" + ONNX.resolve("fraud_input.npy"),
        "--output-dir", out.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
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
    assertThat(r.out()).containsSubsequence("Model    fraud:1  backend pytorch  device cpu  loaded in ",
        "probabilities", "FLOAT32 [16, 2]");
  }

  @Test
  void predict_multiIoPt_writesEveryOutputOfTheTupleExactly() {
    Path out = tmp.resolve("out");

    Run r = run("predict", PT.resolve("multi_io.pt").toString(), "-i", "a=" + ONNX.resolve("multi_io_input_a.npy"), "-i",
        "b=" + ONNX.resolve("multi_io_input_b.npy"), "-d", out.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    for (String name : List.of("sum", "dot", "argmax_a")) {
      assertThat(Npy.read(out.resolve(name + ".npy"))).as(name).isEqualTo(Npy.read(ONNX.resolve("multi_io_output_" + name + ".npy")));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"float32", "float64", "float16", "int8", "uint8", "int32", "int64", "bool"})
  void predict_identityPt_reproducesTheReferenceBitForBit(String dtype) throws IOException {
    Path out = tmp.resolve("out");

    Run r = run("predict", PT.resolve("dtype_" + dtype + ".pt").toString(), "--input",
        "x=" + ONNX.resolve("dtype_" + dtype + "_input.npy"), "--output-dir", out.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(Files.readAllBytes(out.resolve("y.npy"))).isEqualTo(Files.readAllBytes(ONNX.resolve("dtype_" + dtype + "_output.npy")));
  }

  @Test
  void predict_ptWithoutSidecar_isALoadError_namingTheSidecar() throws IOException {
    Path model = Files.copy(PT.resolve("fraud.pt"), tmp.resolve("fraud.pt"));

    Run r = run("predict", model.toString(), "-i", "features=" + ONNX.resolve("fraud_input.npy"), "-d", tmp.toString());

    assertThat(r.exitCode()).as(r.err()).isEqualTo(JinferCli.EXIT_MODEL_LOAD);
    assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).contains(model + ".signature.json").doesNotContain("\tat ");
  }

  @Test
  void predict_wrongDtypeForPt_isInvalidInput_withCoreMessage() {
    Run r = run("predict", PT.resolve("fraud.pt").toString(), "-i", "features=" + ONNX.resolve("dtype_float64_input.npy"),
        "-d", tmp.toString());

    assertThat(r.exitCode()).as(r.err()).isEqualTo(JinferCli.EXIT_INVALID_INPUT);
    assertThat(r.err()).contains("input 'features'").contains("expected FLOAT32");
  }
}
