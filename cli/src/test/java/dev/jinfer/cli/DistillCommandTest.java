package dev.jinfer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Model;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DistillCommandTest {
  private static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"));
  private static final Path DISTILL = FIXTURES.resolve("distill");

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
  void distill_digits_printsProgressOnStderr_andTheReportOnStdout() {
    Path out = tmp.resolve("student.onnx");
    Run r = run("distill", DISTILL.resolve("digits_teacher.onnx").toString(),
        "--data", DISTILL.resolve("digits_train_x.npy").toString(),
        "--labels", DISTILL.resolve("digits_train_y.npy").toString(),
        "--student", "16", "--epochs", "4", "--out", out.toString(),
        "--eval-data", DISTILL.resolve("digits_test_x.npy").toString(),
        "--eval-labels", DISTILL.resolve("digits_test_y.npy").toString(),
        "--latency-calls", "20");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).contains("distill: epoch 1  loss ").contains("distill: epoch 4  loss ");
    assertThat(r.out()).containsSubsequence("Teacher", "'pixels' -> 'probabilities'", "MLP 64-16-10 + Softmax",
        "parameters", "563,722", "1,210", "file size (bytes)", "2,256,265",
        "latency batch 1 (us)", "paired ", "20 calls each, blocks of 20", "latency batch 32 (us)", "held-out agreement", "held-out accuracy",
        "eval agreement", "(360 rows", "eval accuracy");
    try (Model m = Model.load(out)) {
      assertThat(m.signature().outputNames()).containsExactly("probabilities");
    }
  }

  @Test
  void distill_twoInputTeacher_exits3_namingItsInputs_andWritesNothing() {
    Path out = tmp.resolve("student.onnx");
    Run r = run("distill", FIXTURES.resolve("onnx/multi_io.onnx").toString(),
        "--data", FIXTURES.resolve("onnx/multi_io_input_a.npy").toString(), "--student", "4", "--out", out.toString());
    assertThat(r.exitCode()).as(r.err()).isEqualTo(JinferCli.EXIT_INVALID_INPUT);
    assertThat(r.err()).startsWith("jinfer distill: teacher").contains("expected one input");
    assertThat(out).doesNotExist();
  }

  @Test
  void distill_badAlpha_isAUsageError() {
    Run r = run("distill", DISTILL.resolve("digits_teacher.onnx").toString(),
        "--data", DISTILL.resolve("digits_train_x.npy").toString(), "--student", "8", "--alpha", "2",
        "--out", tmp.resolve("s.onnx").toString());
    assertThat(r.exitCode()).isEqualTo(JinferCli.EXIT_USAGE);
    assertThat(r.err()).contains("alpha must be in [0, 1] but was 2.0");
  }
}
