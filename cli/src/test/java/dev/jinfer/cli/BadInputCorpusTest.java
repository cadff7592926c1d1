package dev.jinfer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.jinfer.InferenceException;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import dev.jinfer.kit.BadInputCorpus;
import dev.jinfer.kit.BadInputCorpus.Case;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Runs every case of the bad-input corpus ({@code fixtures/bad/expectations.tsv}) through the Java API and
 * through the CLI: a typed error with the expected code and words (the CLI: the expected exit code and one
 * line without a stack trace), or, for a legal input, the reference answer; after an error the same model
 * still answers a good request correctly.
 */
class BadInputCorpusTest {
  private static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"));
  private static final Path FRAUD = FIXTURES.resolve("onnx").resolve("fraud.onnx");

  @TempDir
  Path tmp;

  static Stream<Case> cases() {
    return BadInputCorpus.load(FIXTURES).stream();
  }

  @Test
  void theCorpus_coversModelsNpyFilesAndSignatureMismatches() {
    List<Case> all = BadInputCorpus.load(FIXTURES);
    assertThat(all).hasSizeGreaterThanOrEqualTo(20);
    assertThat(all).extracting(Case::code).contains("MODEL_LOAD_FAILED", "BACKEND_UNAVAILABLE", "BACKEND_FAILURE",
        "INVALID_INPUT", "OK");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void javaApi_givesTheTypedErrorOrTheReferenceAnswer(Case c) {
    if (c.input() == null) {
      Throwable t = catchThrowable(() -> Model.load(c.model()).close());
      assertTyped(c, t);
      return;
    }
    try (Model model = Model.load(c.model()); Predictor p = model.predictor()) {
      Throwable t = catchThrowable(() -> check(c, p.predict(NamedTensors.of(Objects.requireNonNull(c.inputName()),
          Npy.read(c.input())))));
      if (c.isOk()) {
        assertThat(t).as("a legal input").isNull();
      } else {
        assertTyped(c, t);
      }
      if (model.id().name().equals("fraud")) {
        NamedTensors good = p.predict(NamedTensors.of("features", Npy.read(FIXTURES.resolve("onnx/fraud_input.npy"))));
        assertClose(good.get("probabilities"), Npy.read(FIXTURES.resolve("onnx/fraud_output.npy")));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void cli_exitsWithTheExpectedCode_andOneLineWithoutAStackTrace(Case c) throws Exception {
    List<String> args = new ArrayList<>();
    Path out = tmp.resolve("out");
    if (c.input() == null) {
      args.addAll(List.of("inspect", c.model().toString()));
    } else {
      args.addAll(List.of("predict", c.model().toString(), "--input", c.inputName() + "=" + c.input(), "-d", out.toString()));
    }
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    CommandLine cmd = JinferCli.newCommandLine();
    cmd.setOut(new PrintWriter(stdout, true));
    cmd.setErr(new PrintWriter(stderr, true));

    int code = cmd.execute(args.toArray(String[]::new));

    assertThat(code).as("exit code; stderr: %s", stderr).isEqualTo(c.exitCode());
    String err = stderr.toString();
    if (c.isOk()) {
      assertThat(err).isEmpty();
      try (Stream<Path> files = Files.list(out)) {
        Path first = files.findFirst().orElseThrow();
        assertClose(Npy.read(first), Npy.read(Objects.requireNonNull(c.reference())));
      }
      return;
    }
    assertThat(err.strip().lines()).as(err).hasSize(1);
    assertThat(err).doesNotContain("\tat ").doesNotContain("Exception:");
    for (String word : c.words()) {
      assertThat(err).as("message of %s", c).contains(word);
    }
  }

  private static void check(Case c, NamedTensors out) {
    if (c.isOk()) {
      assertClose(out.tensors().get(0), Npy.read(Objects.requireNonNull(c.reference())));
    }
  }

  private static void assertTyped(Case c, Throwable t) {
    assertThat(t).as("%s: a typed error", c).isInstanceOf(InferenceException.class);
    assertThat(((InferenceException) t).code().name()).as("%s: code; message: %s", c, t.getMessage()).isEqualTo(c.code());
    for (String word : c.words()) {
      assertThat(t.getMessage()).as("message of %s", c).contains(word);
    }
  }

  private static void assertClose(Tensor actual, Tensor expected) {
    assertThat(actual.shape()).isEqualTo(expected.shape());
    float[] a = actual.toFloatArray();
    float[] e = expected.toFloatArray();
    for (int i = 0; i < a.length; i++) {
      assertThat(Math.abs(a[i] - e[i])).as("element %d", i).isLessThanOrEqualTo(1e-5f);
    }
  }
}
