package dev.jinfer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * {@link PredictFastPath} sets exactly what picocli sets for the command lines it accepts, declines every other
 * one (picocli then parses it), and a run through it prints and writes what a run through picocli does.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PredictFastPathTest {
  private static final Path ONNX = Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx");

  @TempDir
  Path tmp;

  /** What a parsed predict command holds, comparable. */
  private record Fields(String model, List<InputArg> inputs, List<String> outputs, Path outputDir, int repeat, int show,
      String backend, Object properties, boolean verbose) {
    static Fields of(PredictCommand p, boolean verbose) {
      return new Fields(p.model.toString(), List.copyOf(p.inputs), List.copyOf(p.outputs), p.outputDir, p.repeat, p.show,
          String.valueOf(p.backend), p.properties.toString(), verbose);
    }
  }

  private static Fields picocli(String... args) {
    CommandLine cmd = JinferCli.newCommandLine(args);
    ParseResult parsed = cmd.parseArgs(args);
    PredictCommand p = (PredictCommand) parsed.subcommand().commandSpec().userObject();
    return Fields.of(p, ((JinferCli) cmd.getCommand()).verbose);
  }

  private static Fields fast(String... args) {
    PredictFastPath.Parsed parsed = PredictFastPath.parse(args);
    assertThat(parsed).as(String.join(" ", args)).isNotNull();
    return Fields.of(parsed.command, parsed.verbose);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "predict m.onnx -i features=f.npy",
      "predict m.onnx --input features=f.npy",
      "-v predict m.onnx -i a=x.npy -i b=dir/y=z.npy",
      "predict -i a=x.npy m.onnx --verbose -o out1 --output out2 -d some/dir",
      "predict m.onnx -i a=x.npy --output-dir d --repeat 200 --show 0 --backend onnx",
      "predict m.onnx -i a=x.npy --property onnx.sessions=2 --property tensorflow.tags=serve,gpu --property k=v=w",
      "predict m.onnx -i a=x.npy --property k=1 --property k=2",
      "predict m.onnx -i a=x.npy --repeat 000000007",
      "predict models/m -i a=x.npy -v"})
  void plainCommandLines_getTheFieldsPicocliSets(String line) {
    String[] args = line.split(" ");

    assertThat(fast(args)).isEqualTo(picocli(args));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "predict",
      "predict m.onnx",
      "predict -i a=x.npy",
      "predict m.onnx n.onnx -i a=x.npy",
      "predict m.onnx -i",
      "predict m.onnx -i a=x.npy -o",
      "predict m.onnx -i a=x.npy -o -v",
      "predict m.onnx -i noequals.npy",
      "predict m.onnx -i =x.npy",
      "predict m.onnx --input=a=x.npy",
      "predict m.onnx -ia=x.npy",
      "predict m.onnx -i a=x.npy --help",
      "predict m.onnx -i a=x.npy -h",
      "predict m.onnx -i a=x.npy --version",
      "predict m.onnx -i a=x.npy --repeat -1",
      "predict m.onnx -i a=x.npy --repeat 0x10",
      "predict m.onnx -i a=x.npy --repeat 9999999999",
      "predict m.onnx -i a=x.npy --show +3",
      "predict m.onnx -i a=x.npy --property novalue",
      "predict m.onnx -i a=x.npy --property =v",
      "predict m.onnx -i a=x.npy --frobnicate 1",
      "predict -- m.onnx -i a=x.npy",
      "-vx predict m.onnx -i a=x.npy",
      "--help",
      "inspect m.onnx",
      "bench m.onnx -i a=x.npy",
      "help predict",
      "m.onnx predict -i a=x.npy"})
  void everyOtherCommandLine_isLeftToPicocli(String line) {
    assertThat(PredictFastPath.parse(line.split(" "))).isNull();
  }

  @Test
  void version_isOnlyTheBareOption() {
    assertThat(PredictFastPath.isVersion("--version")).isTrue();
    assertThat(PredictFastPath.isVersion("-V")).isTrue();
    assertThat(PredictFastPath.isVersion("--version", "predict")).isFalse();
    assertThat(PredictFastPath.isVersion("predict", "--version")).isFalse();
  }

  private record Run(int code, String out, String err) {}

  private static Run viaRun(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = JinferCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  private static Run viaPicocli(String... args) {
    CommandLine cmd = JinferCli.newCommandLine(args);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** The run's output without the two timings, which differ from run to run. */
  private static String untimed(String out) {
    return out.replaceAll("loaded in [0-9.]+ ms", "loaded in T").replaceAll("Latency .*", "Latency T");
  }

  @Test
  void aFastRun_printsAndWritesWhatAPicocliRunDoes() throws Exception {
    String model = ONNX.resolve("fraud.onnx").toString();
    String input = "features=" + ONNX.resolve("fraud_input.npy");
    Path a = tmp.resolve("fast");
    Path b = tmp.resolve("picocli");

    Run fast = viaRun("predict", model, "-i", input, "-d", a.toString(), "--show", "3");
    Run slow = viaPicocli("predict", model, "-i", input, "-d", b.toString(), "--show", "3");

    assertThat(fast.code()).as(fast.err()).isZero();
    assertThat(slow.code()).as(slow.err()).isZero();
    assertThat(untimed(fast.out()).replace(a.toString(), "DIR")).isEqualTo(untimed(slow.out()).replace(b.toString(), "DIR"))
        .contains("probabilities", "first 3 of 32");
    assertThat(Files.readAllBytes(a.resolve("probabilities.npy"))).isEqualTo(Files.readAllBytes(b.resolve("probabilities.npy")));
  }

  @Test
  void aFastRunThatFails_givesPicoclisExitCodeAndLine() {
    String[] args = {"predict", ONNX.resolve("fraud.onnx").toString(), "-i",
        "features=" + ONNX.resolve("multi_io_input_a.npy"), "-d", tmp.toString()};
    assertThat(PredictFastPath.parse(args)).isNotNull();

    Run fast = viaRun(args);
    Run slow = viaPicocli(args);

    assertThat(fast.code()).isEqualTo(JinferCli.EXIT_INVALID_INPUT).isEqualTo(slow.code());
    assertThat(fast.err()).isEqualTo(slow.err()).startsWith("jinfer predict: input 'features': expected FLOAT32 [-1, 32]");
    assertThat(fast.out()).isEmpty();
  }

  @Test
  void aDeclinedLine_runsThroughPicocli_withItsUsageError() {
    Run r = viaRun("predict", "m.onnx", "--input=a");

    assertThat(r.code()).isEqualTo(JinferCli.EXIT_USAGE);
    assertThat(r.err()).startsWith("jinfer predict: ").contains("see 'jinfer predict --help'");
  }

  @Test
  void version_withoutPicocli_printsWhatPicocliPrints() {
    assertThat(viaRun("--version").out()).isEqualTo(viaPicocli("--version").out()).startsWith("jinfer ");
  }

  @Test
  void configureLogging_namesSlf4jSimpleAsTheProvider_unlessAlreadySet() {
    String before = System.getProperty(JinferCli.SLF4J_PROVIDER);
    String verbosity = System.getProperty(JinferCli.SLF4J_VERBOSITY);
    try {
      System.clearProperty(JinferCli.SLF4J_PROVIDER);
      System.clearProperty(JinferCli.SLF4J_VERBOSITY);
      JinferCli.configureLogging();
      assertThat(System.getProperty(JinferCli.SLF4J_PROVIDER)).isEqualTo(JinferCli.SIMPLE_PROVIDER);
      assertThat(System.getProperty(JinferCli.SLF4J_VERBOSITY)).isEqualTo("WARN");

      System.setProperty(JinferCli.SLF4J_PROVIDER, "some.Other");
      JinferCli.configureLogging();
      assertThat(System.getProperty(JinferCli.SLF4J_PROVIDER)).isEqualTo("some.Other");
    } finally {
      restore(JinferCli.SLF4J_PROVIDER, before);
      restore(JinferCli.SLF4J_VERBOSITY, verbosity);
    }
  }

  @Test
  void millis_printsWhatStringFormatPrinted() {
    java.util.Random random = new java.util.Random(20);
    long[] fixed = {0, 1, 499, 500, 1_234_500, 3_568_000, 260_487_400, 999_999_999_999L};
    for (long n : fixed) {
      assertThat(PredictCommand.millis(n)).isEqualTo(String.format(java.util.Locale.ROOT, "%.3f ms", n / 1e6));
    }
    for (int i = 0; i < 10_000; i++) {
      long n = (long) (random.nextDouble() * 10_000_000_000L);
      assertThat(PredictCommand.millis(n)).as("%d ns", n).isEqualTo(String.format(java.util.Locale.ROOT, "%.3f ms", n / 1e6));
    }
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }
}
