package dev.jinfer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class OptimizeCommandTest {
  private static final Path FRAUD =
      Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx/fraud.onnx");

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
  void optimize_fraud_printsOperatorCountsAndWritesAModelThatPredictsTheSame() throws Exception {
    Path out = tmp.resolve("fraud.opt.onnx");
    byte[] original = Files.readAllBytes(FRAUD);

    Run r = run("optimize", FRAUD.toString(), "--level", "extended", "--out", out.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).containsSubsequence("Level     extended", "operator", "before", "after", "total", "Size");
    assertThat(Files.readAllBytes(FRAUD)).isEqualTo(original);
    float[] features = new float[32];
    for (int i = 0; i < features.length; i++) {
      features[i] = (i % 5) - 2;
    }
    NamedTensors in = NamedTensors.of("features", Tensor.ofFloats(features, 1, 32));
    try (Model a = Model.load(FRAUD); Model b = Model.load(out)) {
      Tensor ya = a.predictor().predict(in).get("probabilities");
      Tensor yb = b.predictor().predict(in).get("probabilities");
      assertThat(yb.getFloat(1)).isCloseTo(ya.getFloat(1), Offset.offset(1e-5f));
    }
  }

  @Test
  void optimize_refusesOutEqualToTheInput_withExitCode3() throws Exception {
    Path copy = Files.copy(FRAUD, tmp.resolve("fraud.onnx"));
    Run r = run("optimize", copy.toString(), "--out", tmp.resolve("./fraud.onnx").toString());
    assertThat(r.exitCode()).as(r.err()).isEqualTo(JinferCli.EXIT_INVALID_INPUT);
    assertThat(r.err()).startsWith("jinfer optimize: output").contains("input");
    assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(FRAUD));
  }

  @Test
  void optimize_rejectsANonOnnxFile_withExitCode4_andAnUnknownLevel_withExitCode2() throws Exception {
    Path text = Files.writeString(tmp.resolve("notes.onnx"), "not a model");
    Run bad = run("optimize", text.toString(), "--out", tmp.resolve("o.onnx").toString());
    assertThat(bad.exitCode()).as(bad.err()).isEqualTo(JinferCli.EXIT_MODEL_LOAD);
    assertThat(bad.err()).contains("notes.onnx").contains("ONNX");
    assertThat(tmp.resolve("o.onnx")).doesNotExist();

    Run level = run("optimize", FRAUD.toString(), "--level", "max", "--out", tmp.resolve("o.onnx").toString());
    assertThat(level.exitCode()).isEqualTo(JinferCli.EXIT_USAGE);
    assertThat(level.err()).contains("--level").contains("'max'");
  }

  @Test
  void quantize_fraud_writesAnInt8ModelThatLoadsThroughModelLoad_andAModelWithNothingLeftToQuantizeIsExitCode3() throws Exception {
    Path out = tmp.resolve("fraud.int8.onnx");
    Run r = run("quantize", FRAUD.toString(), "--out", out.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("MatMulInteger").contains("per channel");
    float[] features = new float[32];
    for (int i = 0; i < features.length; i++) {
      features[i] = (i % 3) - 1;
    }
    NamedTensors in = NamedTensors.of("features", Tensor.ofFloats(features, 1, 32));
    try (Model a = Model.load(FRAUD); Model b = Model.load(out)) {
      assertThat(b.predictor().predict(in).get("probabilities").getFloat(1))
          .isCloseTo(a.predictor().predict(in).get("probabilities").getFloat(1), Offset.offset(0.05f));
    }

    Run none = run("quantize", FRAUD.toString(), "--out", tmp.resolve("x.onnx").toString(),
        "--exclude", "nothing-such");
    assertThat(none.exitCode()).as(none.err()).isZero();
    Run bad = run("quantize", out.toString(), "--out", tmp.resolve("y.onnx").toString());
    assertThat(bad.exitCode()).as(bad.err()).isEqualTo(JinferCli.EXIT_INVALID_INPUT);
    assertThat(bad.err()).contains("found none");
  }
}
