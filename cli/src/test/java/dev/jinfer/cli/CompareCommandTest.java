package dev.jinfer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import dev.jinfer.optimize.DynamicQuantizer;
import dev.jinfer.optimize.ModelComparison;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** {@code jinfer compare} and {@link ModelComparison}, with models loaded through {@code Model.load}. */
class CompareCommandTest {
  private static final Path ONNX = Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx");
  private static final Path FRAUD = ONNX.resolve("fraud.onnx");

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

  static Tensor gaussianRows(long seed, int rows, int width) {
    Random random = new Random(seed);
    float[] x = new float[rows * width];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return Tensor.ofFloats(x, rows, width);
  }

  /** Issue 15's goal: the quantized fraud MLP agrees with fp32 on >= 99.5% of 10,000 seeded rows. */
  @ParameterizedTest
  @ValueSource(ints = {1, 32})
  void quantizedFraud_agreesWithFp32OnTenThousandSeededRows(int batch) {
    Path int8 = tmp.resolve("fraud.int8.onnx");
    DynamicQuantizer.newBuilder().build().quantize(FRAUD, int8);

    ModelComparison.Report r = ModelComparison.newBuilder()
        .inputs(NamedTensors.of("features", gaussianRows(20240601L, 10_000, 32)))
        .accuracyBatch(batch).warmup(2).rounds(20)
        .build().compare(FRAUD, int8);

    assertThat(r.rows()).isEqualTo(10_000);
    assertThat(r.top1Agreement()).as("argmax agreement at batch " + batch).isGreaterThanOrEqualTo(0.995);
    assertThat(r.cosine()).isGreaterThan(0.999);
    assertThat(r.maxAbsDiff()).isGreaterThan(0).isLessThan(0.2);
    assertThat(r.b().bytes()).isLessThan(r.a().bytes() / 3);
    assertThat(r.a().parameters()).isEqualTo(32 * 256 + 256 + 256 * 256 + 256 + 256 * 2 + 2);
    assertThat(r.b().p50Batch1Micros()).isPositive();
    assertThat(r.b().p99Batch32Micros()).isGreaterThanOrEqualTo(r.b().p50Batch32Micros());
  }

  @Test
  void compare_printsTheTable_writesJson_andScoresAccuracyAgainstLabels() throws Exception {
    Path copy = Files.copy(FRAUD, tmp.resolve("copy.onnx"));
    // labels: the reference outputs' argmax, so the fp32 model is exactly 100% accurate on them
    float[][] expected = Npy.read(ONNX.resolve("fraud_output.npy")).toFloatMatrix();
    long[] labels = new long[expected.length];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = expected[i][1] > expected[i][0] ? 1 : 0;
    }
    Path labelFile = tmp.resolve("labels.npy");
    Npy.write(Tensor.ofLongs(labels, labels.length), labelFile);
    Path json = tmp.resolve("report.json");

    Run r = run("compare", FRAUD.toString(), copy.toString(), "--input",
        "features=" + ONNX.resolve("fraud_input.npy"), "--labels", labelFile.toString(), "--rounds", "20",
        "--warmup", "2", "--json", json.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("output 'probabilities' on 16 rows").containsPattern("size \\(bytes\\)\\s+300,001\\s+300,001\\s+1.00x")
        .containsPattern("accuracy\\s+100.00%\\s+100.00%").containsPattern("top-1 agreement\\s+100.00%")
        .contains("p50 batch 16 (us)");
    JsonNode j = new ObjectMapper().readTree(json.toFile());
    assertThat(j.get("maxAbsDiff").asDouble()).isZero();
    assertThat(j.get("cosine").asDouble()).isCloseTo(1.0, Offset.offset(1e-9));
    assertThat(j.get("a").get("accuracy").asDouble()).isEqualTo(1.0);
    assertThat(j.get("largeBatch").asInt()).isEqualTo(16);
  }

  @Test
  void staticQuantizedCnn_loadsThroughModelLoad_andKeepsTopOneAndAccuracyOnTheHeldOutDigits() {
    Path qdq = tmp.resolve("cnn.qdq.onnx");
    Run q = run("quantize", ONNX.resolve("cnn.onnx").toString(), "--calibration",
        "images=" + ONNX.resolve("cnn_calibration.npy"), "--method", "percentile", "--out", qdq.toString());
    assertThat(q.exitCode()).as(q.err()).isZero();
    assertThat(q.out()).contains("Mode      static QDQ, percentile 99.99 ranges").contains("QuantizeLinear");

    ModelComparison.Report r = ModelComparison.newBuilder()
        .inputs(NamedTensors.of("images", Npy.read(ONNX.resolve("cnn_test.npy"))))
        .labels(Npy.read(ONNX.resolve("cnn_test_labels.npy")))
        .warmup(2).rounds(10).build().compare(ONNX.resolve("cnn.onnx"), qdq);
    assertThat(r.top1Agreement()).isGreaterThanOrEqualTo(0.99);
    assertThat(r.a().accuracy()).isGreaterThan(0.99);
    assertThat(r.b().accuracy()).isGreaterThanOrEqualTo(0.98);
    assertThat(r.sizeRatio()).isGreaterThan(3);

    Run name = run("quantize", ONNX.resolve("cnn.onnx").toString(), "--calibration",
        "pixels=" + ONNX.resolve("cnn_calibration.npy"), "--out", tmp.resolve("x.onnx").toString());
    assertThat(name.exitCode()).isEqualTo(JinferCli.EXIT_INVALID_INPUT);
    assertThat(name.err()).startsWith("jinfer quantize: calibration 'pixels': expected one of the inputs [images]");
    Run method = run("quantize", FRAUD.toString(), "--method", "percentile", "--out", tmp.resolve("x.onnx").toString());
    assertThat(method.exitCode()).isEqualTo(JinferCli.EXIT_USAGE);
    assertThat(method.err()).contains("expected --calibration");
    assertThat(tmp.resolve("x.onnx")).doesNotExist();
  }

  @Test
  void prune_structuredFraud_isSmaller_loadsThroughModelLoad_andUnstructuredSaysItIsNotFaster() throws Exception {
    Path pruned = tmp.resolve("fraud.pruned.onnx");
    Run r = run("prune", FRAUD.toString(), "--sparsity", "0.5", "--out", pruned.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("Mode        structured, sparsity 0.50").contains("256 -> 128 units")
        .contains("Parameters  74754 -> 20994");
    ModelComparison.Report c = ModelComparison.newBuilder()
        .inputs(NamedTensors.of("features", gaussianRows(4, 500, 32))).warmup(1).rounds(5).build()
        .compare(FRAUD, pruned);
    assertThat(c.b().parameters()).isEqualTo(20994);
    assertThat(c.sizeRatio()).isGreaterThan(3);
    assertThat(c.rows()).isEqualTo(500);

    Run sparse = run("prune", FRAUD.toString(), "--sparsity", "0.5", "--unstructured", "--out",
        tmp.resolve("sparse.onnx").toString());
    assertThat(sparse.exitCode()).as(sparse.err()).isZero();
    assertThat(sparse.out()).contains("no faster").contains("Parameters  74754 -> 74754");

    Run nothing = run("prune", ONNX.resolve("dtype_float32.onnx").toString(), "--sparsity", "0.3", "--out",
        tmp.resolve("n.onnx").toString());
    assertThat(nothing.exitCode()).isEqualTo(JinferCli.EXIT_INVALID_INPUT);
    assertThat(nothing.err()).contains("dtype_float32.onnx").contains("found none");
    Run bad = run("prune", FRAUD.toString(), "--sparsity", "1.5", "--out", tmp.resolve("n.onnx").toString());
    assertThat(bad.exitCode()).isEqualTo(JinferCli.EXIT_USAGE);
    assertThat(bad.err()).contains("--sparsity: expected a share in (0, 1) but got 1.5");
    Path notes = Files.writeString(tmp.resolve("notes.onnx"), "not a model");
    Run notOnnx = run("prune", notes.toString(), "--sparsity", "0.5", "--out", tmp.resolve("n.onnx").toString());
    assertThat(notOnnx.exitCode()).isEqualTo(JinferCli.EXIT_MODEL_LOAD);
    assertThat(notOnnx.err()).contains("notes.onnx");
    assertThat(tmp.resolve("n.onnx")).doesNotExist();
  }

  @Test
  void badInput_isATypedErrorWithItsExitCode() throws Exception {
    Path input = ONNX.resolve("fraud_input.npy");
    Path wrongLabels = tmp.resolve("labels.npy");
    Npy.write(Tensor.ofLongs(new long[] {0, 1, 0}, 3), wrongLabels);
    Run labels = run("compare", FRAUD.toString(), FRAUD.toString(), "-i", "features=" + input, "--labels",
        wrongLabels.toString(), "--rounds", "1", "--warmup", "0");
    assertThat(labels.exitCode()).as(labels.err()).isEqualTo(JinferCli.EXIT_INVALID_INPUT);
    assertThat(labels.err()).startsWith("jinfer compare: labels: expected one INT64 or INT32 class index per input "
        + "row (16) but got INT64 [3]");

    Run name = run("compare", FRAUD.toString(), FRAUD.toString(), "-i", "x=" + input, "--rounds", "1");
    assertThat(name.exitCode()).as(name.err()).isEqualTo(JinferCli.EXIT_INVALID_INPUT);
    assertThat(name.err()).contains("'x'").contains("features");

    Run missing = run("compare", FRAUD.toString(), tmp.resolve("none.onnx").toString(), "-i", "features=" + input);
    assertThat(missing.exitCode()).isEqualTo(JinferCli.EXIT_USAGE);
    assertThat(missing.err()).contains("none.onnx").contains("does not exist");

    Run output = run("compare", FRAUD.toString(), FRAUD.toString(), "-i", "features=" + input, "--output", "logits");
    assertThat(output.exitCode()).isEqualTo(JinferCli.EXIT_INVALID_INPUT);
    assertThat(output.err()).contains("output 'logits': expected one of [probabilities]");
  }
}
