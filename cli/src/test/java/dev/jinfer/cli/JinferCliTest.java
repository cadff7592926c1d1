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
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class JinferCliTest {
  private static final Path ONNX = Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx");
  private static final Path FRAUD = ONNX.resolve("fraud.onnx");
  private static final Path MULTI_IO = ONNX.resolve("multi_io.onnx");

  @TempDir
  Path tmp;

  /** One in-process run of the tool, as {@code main} runs it, with its output captured. */
  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    return run(JinferCli.newCommandLine(), args);
  }

  private static Run run(CommandLine cmd, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private static String fixture(String name) {
    return ONNX.resolve(name).toString();
  }

  // ---------------------------------------------------------------- inspect

  @Test
  void inspect_fraud_printsBackendDeviceIdSignatureAndMetadata() {
    Run r = run("inspect", FRAUD.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).containsSubsequence("Model     fraud:1", "Backend   onnx", "Device    cpu",
        "Inputs    (-1 = dynamic dimension)", "features", "FLOAT32", "[-1, 32]",
        "Outputs", "probabilities", "FLOAT32", "[-1, 2]", "Metadata", "onnx.producer_name");
  }

  @Test
  void inspect_multiIo_listsEveryInputAndOutputInOrder() {
    Run r = run("inspect", MULTI_IO.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("(?m)^  a\\s+FLOAT32\\s+\\[-1, 4\\]$")
        .containsPattern("(?m)^  b\\s+FLOAT32\\s+\\[-1, 4\\]$")
        .containsPattern("(?m)^  sum\\s+FLOAT32\\s+\\[-1, 4\\]$")
        .containsPattern("(?m)^  dot\\s+FLOAT32\\s+\\[-1, 1\\]$")
        .containsPattern("(?m)^  argmax_a\\s+INT64\\s+\\[-1\\]$")
        .containsSubsequence("Inputs", "  a ", "  b ", "Outputs", "  sum ", "  dot ", "  argmax_a ");
  }

  // ---------------------------------------------------------------- predict: reference outputs

  @Test
  void predict_fraud_reproducesReferenceWithin1e5_andPrintsSummary() {
    Path out = tmp.resolve("out");

    Run r = run("predict", FRAUD.toString(), "--input", "features=" + fixture("fraud_input.npy"), "--output-dir",
        out.toString());

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
    System.out.printf(Locale.ROOT, "fraud: max abs error vs fraud_output.npy = %.3e%n", maxAbs);
    assertThat(maxAbs).isLessThanOrEqualTo(1e-5);
    assertThat(r.out()).containsSubsequence("Model    fraud:1  backend onnx  device cpu  loaded in ", " ms",
        "Inputs", "features", "FLOAT32 [16, 32]", "fraud_input.npy",
        "Latency  ", " ms",
        "Outputs  written to " + out,
        "probabilities", "FLOAT32 [16, 2]", "probabilities.npy",
        "min ", "max ", "mean 0.5", "first 6 of 32: [");
  }

  @Test
  void predict_multiIo_writesEveryOutputExactly() throws IOException {
    Path out = tmp.resolve("out");

    Run r = run("predict", MULTI_IO.toString(), "-i", "a=" + fixture("multi_io_input_a.npy"), "-i",
        "b=" + fixture("multi_io_input_b.npy"), "-d", out.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    try (Stream<Path> files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList()))
          .containsExactly("argmax_a.npy", "dot.npy", "sum.npy");
    }
    for (String name : List.of("sum", "dot", "argmax_a")) {
      assertThat(Npy.read(out.resolve(name + ".npy"))).as(name)
          .isEqualTo(Npy.read(ONNX.resolve("multi_io_output_" + name + ".npy")));
    }
    assertThat(r.out()).containsSubsequence("argmax_a", "INT64 [5]", "min ", "max ", "mean ");
  }

  @Test
  void predict_withOutputOption_writesOnlyThatOutput() throws IOException {
    Path out = tmp.resolve("out");

    Run r = run("predict", MULTI_IO.toString(), "-i", "a=" + fixture("multi_io_input_a.npy"), "-i",
        "b=" + fixture("multi_io_input_b.npy"), "-d", out.toString(), "--output", "dot");

    assertThat(r.exitCode()).as(r.err()).isZero();
    try (Stream<Path> files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString()).collect(Collectors.toList())).containsExactly("dot.npy");
    }
    assertThat(Npy.read(out.resolve("dot.npy"))).isEqualTo(Npy.read(ONNX.resolve("multi_io_output_dot.npy")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"float32", "float64", "float16", "int8", "uint8", "int16", "int32", "int64", "bool", "string"})
  void predict_identityModel_reproducesReferenceBitForBit(String dtype) throws IOException {
    Path out = tmp.resolve("out");

    Run r = run("predict", fixture("dtype_" + dtype + ".onnx"), "--input", "x=" + fixture("dtype_" + dtype + "_input.npy"),
        "--output-dir", out.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    Tensor expected = Npy.read(ONNX.resolve("dtype_" + dtype + "_output.npy"));
    Tensor actual = Npy.read(out.resolve("y.npy"));
    // Tensor equality compares raw bytes, so NaN payloads and -0.0 must match exactly
    assertThat(actual).isEqualTo(expected);
    // and the file is byte-identical to the one NumPy wrote
    assertThat(Files.readAllBytes(out.resolve("y.npy"))).isEqualTo(Files.readAllBytes(ONNX.resolve("dtype_" + dtype
        + "_output.npy")));
  }

  @Test
  void predict_summaryOfSpecialValues_countsNanApart_andEscapesStrings() {
    Run floats = run("predict", fixture("dtype_float32.onnx"), "-i", "x=" + fixture("dtype_float32_input.npy"), "-d",
        tmp.resolve("f").toString());
    Run strings = run("predict", fixture("dtype_string.onnx"), "-i", "x=" + fixture("dtype_string_input.npy"), "-d",
        tmp.resolve("s").toString());
    Run bools = run("predict", fixture("dtype_bool.onnx"), "-i", "x=" + fixture("dtype_bool_input.npy"), "-d",
        tmp.resolve("b").toString());

    assertThat(floats.out()).contains("min -Infinity  max Infinity  mean NaN  (1 NaN not counted)")
        .contains("values: [-0.0, NaN, Infinity, -Infinity, 3.4028235E38, 1.17549435E-38]");
    assertThat(strings.out()).contains("values: [\"\", \"hello\", \"héllo ✓\", \"ONNX\", \"日本語\", \"tab\\tnewline\\n\"]");
    assertThat(bools.out()).contains("true 3 of 6");
  }

  @Test
  void predict_repeat_reportsPercentiles() {
    Run r = run("predict", FRAUD.toString(), "-i", "features=" + fixture("fraud_input.npy"), "-d",
        tmp.resolve("out").toString(), "--repeat", "5");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("Latency  p50 \\d+\\.\\d{3} ms  p90 \\d+\\.\\d{3} ms  max \\d+\\.\\d{3} ms over 4"
        + " calls after the first \\(\\d+\\.\\d{3} ms\\)");
  }

  @Test
  void predict_outputNamesThatAreNotFileNames_areSanitised() {
    assertThat(PredictCommand.fileName("model/dense:0")).isEqualTo("model_dense_0");
    assertThat(PredictCommand.fileName("..")).isEqualTo("output__");
    assertThat(PredictCommand.fileName("")).isEqualTo("output");
    assertThat(PredictCommand.fileName("probabilities")).isEqualTo("probabilities");
  }

  // ---------------------------------------------------------------- bad arguments

  private static void assertOneLineError(Run r, int exitCode, String... fragments) {
    assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isEqualTo(exitCode);
    assertThat(r.err().strip().lines().count()).as("one line on stderr: %s", r.err()).isEqualTo(1);
    assertThat(r.err()).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception");
    for (String f : fragments) {
      assertThat(r.err()).contains(f);
    }
  }

  @Test
  void inspect_unknownModelPath_isUsageError() {
    Run r = run("inspect", tmp.resolve("nope.onnx").toString());

    assertOneLineError(r, JinferCli.EXIT_USAGE,
        "jinfer inspect: model '" + tmp.resolve("nope.onnx") + "': expected an existing model file or directory but it"
            + " does not exist");
  }

  @Test
  void predict_fileNoBackendAccepts_listsTheBackends() throws IOException {
    Path notes = Files.writeString(tmp.resolve("notes.txt"), "not a model");

    Run r = run("predict", notes.toString(), "-i", "features=" + fixture("fraud_input.npy"), "-d", tmp.toString());

    assertOneLineError(r, JinferCli.EXIT_MODEL_LOAD, "no backend accepts it; present: [", "onnx", "pytorch", "tensorflow");
  }

  @Test
  void inspect_unknownForcedBackend_listsTheBackends() {
    Run r = run("inspect", FRAUD.toString(), "--backend", "nosuch");

    assertOneLineError(r, JinferCli.EXIT_MODEL_LOAD, "backend 'nosuch': not on the classpath; present: [", "onnx", "pytorch", "tensorflow");
  }

  @Test
  void predict_inputWithoutEquals_isUsageError() {
    Run r = run("predict", FRAUD.toString(), "--input", fixture("fraud_input.npy"));

    assertOneLineError(r, JinferCli.EXIT_USAGE, "jinfer predict: Invalid value for option '--input'",
        "expected NAME=FILE.npy but got '" + fixture("fraud_input.npy") + "' (no '=')", "(see 'jinfer predict --help')");
  }

  @Test
  void predict_missingNpyFile_isUsageError_namingInputAndFile() {
    Path missing = tmp.resolve("missing.npy");

    Run r = run("predict", FRAUD.toString(), "--input", "features=" + missing);

    assertOneLineError(r, JinferCli.EXIT_USAGE,
        "input 'features': expected an existing .npy file but '" + missing + "' does not exist");
  }

  @Test
  void predict_malformedNpy_isInvalidInput_namingInputAndFile() {
    Run r = run("predict", FRAUD.toString(), "--input", "features=" + FRAUD, "-d", tmp.toString());

    assertOneLineError(r, JinferCli.EXIT_INVALID_INPUT, "input 'features': npy file " + FRAUD,
        "expected the .npy magic");
  }

  @Test
  void predict_inputNameNotInModel_isInvalidInput_listingTheInputs() {
    Run r = run("predict", FRAUD.toString(), "--input", "x=" + fixture("fraud_input.npy"), "-d", tmp.toString());

    assertOneLineError(r, JinferCli.EXIT_INVALID_INPUT,
        "jinfer predict: input 'x': unknown; expected one of [features: FLOAT32 [-1, 32]]");
  }

  @Test
  void predict_missingModelInput_isInvalidInput() {
    Run r = run("predict", MULTI_IO.toString(), "--input", "a=" + fixture("multi_io_input_a.npy"), "-d", tmp.toString());

    assertOneLineError(r, JinferCli.EXIT_INVALID_INPUT, "input 'b': missing; expected FLOAT32 [-1, 4]");
  }

  @Test
  void predict_wrongDtype_isInvalidInput_withCoreMessage() {
    Run r = run("predict", FRAUD.toString(), "--input", "features=" + fixture("dtype_int32_input.npy"), "-d",
        tmp.toString());

    assertOneLineError(r, JinferCli.EXIT_INVALID_INPUT, "input 'features': expected FLOAT32 [-1, 32] but got INT32 [2, 3]");
  }

  @Test
  void predict_wrongShape_isInvalidInput_withCoreMessage() {
    Run r = run("predict", FRAUD.toString(), "--input", "features=" + fixture("multi_io_input_a.npy"), "-d",
        tmp.toString());

    assertOneLineError(r, JinferCli.EXIT_INVALID_INPUT,
        "input 'features': expected FLOAT32 [-1, 32] but got FLOAT32 [5, 4]");
  }

  @Test
  void predict_unknownOutputName_isInvalidInput() {
    Run r = run("predict", FRAUD.toString(), "--input", "features=" + fixture("fraud_input.npy"), "--output", "logits",
        "-d", tmp.toString());

    assertOneLineError(r, JinferCli.EXIT_INVALID_INPUT,
        "output 'logits': unknown; expected one of [probabilities: FLOAT32 [-1, 2]]");
  }

  @Test
  void predict_inputGivenTwice_isUsageError() {
    Run r = run("predict", FRAUD.toString(), "-i", "features=" + fixture("fraud_input.npy"), "-i",
        "features=" + fixture("fraud_input.npy"));

    assertOneLineError(r, JinferCli.EXIT_USAGE, "--input: expected each input once but 'features' is given twice");
  }

  @Test
  void predict_withoutInput_isUsageError() {
    Run r = run("predict", FRAUD.toString());

    assertOneLineError(r, JinferCli.EXIT_USAGE, "Missing required option: '--input=NAME=FILE.npy'");
  }

  @Test
  void predict_outputDirThatIsAFile_isIoError() throws IOException {
    Path file = Files.writeString(tmp.resolve("taken"), "x");

    Run r = run("predict", FRAUD.toString(), "-i", "features=" + fixture("fraud_input.npy"), "-d", file.toString());

    assertThat(r.exitCode()).as(r.err()).isEqualTo(JinferCli.EXIT_IO);
    assertThat(r.err()).contains("output directory '" + file + "'").doesNotContain("\tat ");
  }

  @Test
  void unknownSubcommand_isUsageError_withSuggestion() {
    Run r = run("prdict", FRAUD.toString());

    assertOneLineError(r, JinferCli.EXIT_USAGE,
        "jinfer: unknown command 'prdict': expected one of inspect, predict, bench, optimize, quantize, prune, compare, distill, help; did you mean 'predict'?");
  }

  @Test
  void noSubcommand_isUsageError() {
    Run r = run();

    assertOneLineError(r, JinferCli.EXIT_USAGE, "jinfer: missing command: expected one of inspect, predict, bench, optimize, quantize, prune, compare, distill, help");
  }

  @Test
  void verbose_addsTheStackTrace_eitherSideOfTheSubcommand() {
    Run after = run("predict", FRAUD.toString(), "-i", "x=" + fixture("fraud_input.npy"), "-d", tmp.toString(),
        "--verbose");
    Run before = run("--verbose", "predict", FRAUD.toString(), "-i", "x=" + fixture("fraud_input.npy"), "-d",
        tmp.toString());

    for (Run r : List.of(after, before)) {
      assertThat(r.exitCode()).isEqualTo(JinferCli.EXIT_INVALID_INPUT);
      assertThat(r.err()).startsWith("jinfer predict: input 'x': unknown")
          .contains("dev.jinfer.InvalidInputException").contains("\tat ");
    }
  }

  @Test
  void plainCommandLine_givesTheSameExitCodes() {
    Run badInput = run(JinferCli.withAllCommands(new CommandLine(new JinferCli())), "predict", FRAUD.toString(), "-i",
        "x=" + fixture("fraud_input.npy"), "-d", tmp.toString());
    Run badSyntax = run(JinferCli.withAllCommands(new CommandLine(new JinferCli())), "predict", FRAUD.toString(), "-i", "x");

    assertThat(badInput.exitCode()).isEqualTo(JinferCli.EXIT_INVALID_INPUT);
    assertThat(badInput.err()).isEqualTo("jinfer predict: input 'x': unknown; expected one of [features: FLOAT32 [-1, 32]]"
        + System.lineSeparator());
    assertThat(badSyntax.exitCode()).isEqualTo(JinferCli.EXIT_USAGE);
  }

  @Test
  void help_listsCommandsAndExitCodes() {
    Run r = run("--help");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("inspect").contains("predict").contains("Exit codes:").contains("3  invalid input");
  }
}
