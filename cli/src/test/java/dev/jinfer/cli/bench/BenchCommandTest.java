package dev.jinfer.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jinfer.cli.JinferCli;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs {@code jinfer bench} in-process on the fraud model, as {@code main} runs it, with short windows. */
class BenchCommandTest {
  static final Path ONNX = Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx");
  static final Path FRAUD = ONNX.resolve("fraud.onnx");
  /** Short windows so that each level takes at most 100 + 3 x 200 ms. */
  static final List<String> SHORT = List.of("--warmup", "100ms", "--window", "200ms", "--max-windows", "3",
      "--stable-windows", "2");

  @TempDir
  Path tmp;

  record Run(int exitCode, String out, String err) {}

  static Run run(List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cmd = JinferCli.newCommandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  static List<String> args(String... parts) {
    List<String> a = new ArrayList<>(List.of("bench"));
    a.addAll(List.of(parts));
    a.addAll(SHORT);
    return a;
  }

  static JsonNode json(Path file) throws IOException {
    return new ObjectMapper().readTree(file.toFile());
  }

  /** The sanity every successful level must show. */
  static void assertSane(JsonNode level) {
    JsonNode lat = level.path("latencyMs");
    assertThat(level.path("requests").asLong()).as(level.toString()).isPositive();
    assertThat(level.path("throughput").asDouble()).isPositive();
    assertThat(lat.path("p50").asDouble()).isPositive();
    assertThat(lat.path("p50").asDouble()).isLessThanOrEqualTo(lat.path("p90").asDouble());
    assertThat(lat.path("p90").asDouble()).isLessThanOrEqualTo(lat.path("p95").asDouble());
    assertThat(lat.path("p95").asDouble()).isLessThanOrEqualTo(lat.path("p99").asDouble());
    assertThat(lat.path("p99").asDouble()).isLessThanOrEqualTo(lat.path("p99.9").asDouble());
    assertThat(lat.path("p99.9").asDouble()).isLessThanOrEqualTo(lat.path("max").asDouble());
    assertThat(level.path("windows").size()).isBetween(2, 3);
    assertThat(level.path("reportedWindows").asInt()).isBetween(2, 3);
  }

  @Test
  void closedLoop_sweepsConcurrency_andWritesTableJsonCsvAndChart() throws IOException {
    Path json = tmp.resolve("b.json");
    Path csv = tmp.resolve("b.csv");
    Path png = tmp.resolve("b.png");
    Run r = run(args(FRAUD.toString(), "--concurrency", "1,2", "--slo", "50ms", "--json", json.toString(), "--csv",
        csv.toString(), "--chart", png.toString()));

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).contains("Target   fraud:1 (backend onnx, cpu)").contains("Mode     closed loop")
        .containsPattern("(?m)^\\s+1\\s+\\d+").containsPattern("(?m)^\\s+2\\s+\\d+").contains("goodput/s");
    JsonNode root = json(json);
    assertThat(root.path("mode").asText()).isEqualTo("closed loop");
    assertThat(root.path("levels")).hasSize(2);
    for (int i = 0; i < 2; i++) {
      JsonNode level = root.path("levels").get(i);
      assertThat(level.path("concurrency").asInt()).isEqualTo(i + 1);
      assertSane(level);
      assertThat(level.path("errors").asLong()).isZero();
      assertThat(level.path("goodput").asDouble()).isPositive().isLessThanOrEqualTo(level.path("throughput").asDouble());
    }
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(1)).startsWith("closed,1,,1,");
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(LatencyChart.WIDTH);
  }

  @Test
  void batchingAndCache_wrapTheModel_andReportHitRatioAndBatchSize() throws IOException {
    Path json = tmp.resolve("b.json");
    Run r = run(args(FRAUD.toString(), "--concurrency", "4", "--batching", "--max-batch", "8", "--max-delay", "1ms",
        "--cache", "--cache-size", "10000", "--duplicate-ratio", "0.5", "--json", json.toString()));

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("fraud:1 (backend onnx, cpu) + batching + cache").contains("cache hit").contains("req/batch");
    JsonNode root = json(json);
    assertThat(root.path("settings").path("batching").path("maxBatch").asInt()).isEqualTo(8);
    assertThat(root.path("settings").path("cache").path("size").asInt()).isEqualTo(10000);
    JsonNode level = root.path("levels").get(0);
    assertSane(level);
    assertThat(level.path("errors").asLong()).isZero();
    // half the requests repeat one of the last 1024, all of which the 10,000-entry cache holds
    assertThat(level.path("cacheHitRatio").asDouble()).isBetween(0.35, 0.65);
    assertThat(level.path("requestsPerBatch").asDouble()).isGreaterThanOrEqualTo(1.0);
    assertThat(level.path("counters").path("batchEngineCalls").asLong()).isPositive();
  }

  @Test
  void openLoop_atAFixedRate_sendsAtThatRate_andMeasuresFromIntendedTimes() throws IOException {
    Path json = tmp.resolve("b.json");
    Run r = run(args(FRAUD.toString(), "--rate", "200", "--json", json.toString()));

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("Mode     open loop (fixed)").contains("rate/s").contains("sent/s");
    JsonNode level = json(json).path("levels").get(0);
    assertThat(level.path("rate").asDouble()).isEqualTo(200.0);
    assertSane(level);
    JsonNode open = level.path("openLoop");
    assertThat(open.path("requestedRate").asDouble()).isEqualTo(200.0);
    // the loop keeps to the schedule, and every request sent is answered
    assertThat(open.path("sentRate").asDouble()).isBetween(150.0, 250.0);
    double expected = 200 * level.path("seconds").asDouble();
    assertThat((double) level.path("requests").asLong()).isBetween(0.75 * expected, 1.25 * expected);
    assertThat(open.has("behindMs")).isTrue();
  }

  @Test
  void openLoop_poisson_withInputsFromNpy() throws IOException {
    Path json = tmp.resolve("b.json");
    Run r = run(args(FRAUD.toString(), "--rate", "150", "--arrival", "poisson", "--batch-size", "4", "--input",
        "features=" + ONNX.resolve("fraud_input.npy"), "--json", json.toString()));

    assertThat(r.exitCode()).as(r.err()).isZero();
    JsonNode root = json(json);
    assertThat(root.path("settings").path("inputs").asText()).isEqualTo("files");
    JsonNode level = root.path("levels").get(0);
    assertSane(level);
    assertThat(level.path("rows").asLong()).isEqualTo(4 * level.path("requests").asLong());
  }

  // ---------------------------------------------------------------- bad arguments

  private Run fails(int exitCode, List<String> args) {
    Run r = run(args);
    assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(exitCode);
    assertThat(r.err().lines().count()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).startsWith("jinfer bench: ");
    return r;
  }

  @Test
  void unknownModelPath_isAUsageError() {
    Run r = fails(JinferCli.EXIT_USAGE, args(tmp.resolve("nope.onnx").toString()));
    assertThat(r.err()).contains("expected an existing model file or directory but it does not exist");
  }

  @Test
  void fileNoBackendLoads_isAModelLoadError() throws IOException {
    Path junk = Files.writeString(tmp.resolve("junk.onnx"), "not a model");
    Run r = fails(JinferCli.EXIT_MODEL_LOAD, args(junk.toString()));
    assertThat(r.err()).contains("junk.onnx");
  }

  @Test
  void unknownBackend_isAModelLoadError() {
    Run r = fails(JinferCli.EXIT_MODEL_LOAD, args(FRAUD.toString(), "--backend", "nosuch"));
    assertThat(r.err()).contains("nosuch");
  }

  @Test
  void impossibleRates_areUsageErrors_withTheReason() {
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--rate", "0")).err())
        .contains("--rate: expected a positive, finite rate in requests per second but got 0");
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--rate", "NaN")).err())
        .contains("expected a positive, finite rate");
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--rate", "5e6")).err())
        .contains("beyond what the sender can schedule");
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--rate", "1")).err())
        .contains("fewer than one request per 200ms window");
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--rate", "10", "--concurrency", "2")).err())
        .contains("--rate (open loop) conflicts with --concurrency (closed loop)");
  }

  @Test
  void badNpy_isInvalidInput_andAMissingOneAUsageError() throws IOException {
    Path bad = Files.writeString(tmp.resolve("bad.npy"), "definitely not numpy");
    Run r = fails(JinferCli.EXIT_INVALID_INPUT, args(FRAUD.toString(), "--input", "features=" + bad));
    assertThat(r.err()).contains("--input 'features'").contains("bad.npy");
    Run wrongShape = fails(JinferCli.EXIT_INVALID_INPUT, args(FRAUD.toString(), "--input",
        "features=" + ONNX.resolve("multi_io_input_a.npy")));
    assertThat(wrongShape.err()).contains("--input 'features': expected FLOAT32 [-1, 32] but got FLOAT32 [5, 4]");
    Run missing = fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--input", "features=" + tmp.resolve("none.npy")));
    assertThat(missing.err()).contains("expected an existing .npy file").contains("does not exist");
  }

  @Test
  void optionsThatDoNotFit_areUsageErrors() {
    assertThat(fails(JinferCli.EXIT_USAGE, args()).err()).contains("expected a MODEL file or --url");
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--concurrency", "0")).err())
        .contains("--concurrency: expected levels from 1 to 4096 but got 0");
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--window", "2")).err())
        .contains("expected a duration with a unit");
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--arrival", "bursty")).err())
        .contains("--arrival: expected fixed or poisson but got 'bursty'");
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--max-batch", "8")).err())
        .contains("--max-batch needs --batching");
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--duplicate-ratio", "1.5")).err())
        .contains("--duplicate-ratio: expected a share in [0, 1] but got 1.5");
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--json", tmp.resolve("no/dir/b.json").toString())).err())
        .contains("expected an existing directory");
    assertThat(fails(JinferCli.EXIT_USAGE, args("--url", "http://127.0.0.1:1")).err()).contains("--model-name");
    assertThat(fails(JinferCli.EXIT_USAGE, args("--url", "ftp://x", "--model-name", "fraud")).err())
        .contains("--url: expected http://host:port");
    assertThat(fails(JinferCli.EXIT_USAGE, args("--url", "http://127.0.0.1:1", "--model-name", "fraud", "--batching")).err())
        .contains("--batching applies to a model run in-process, not to --url");
    assertThat(fails(JinferCli.EXIT_USAGE, args("--url", "http://127.0.0.1:1", "--model-name", "fraud", "--protocol", "v3")).err())
        .contains("--protocol: expected v1 or v2 but got 'v3'");
    assertThat(fails(JinferCli.EXIT_USAGE, args("--url", "grpc://127.0.0.1:1", "--model-name", "fraud", "--protocol", "v2")).err())
        .contains("--protocol applies to http:// URLs");
    assertThat(fails(JinferCli.EXIT_USAGE, args(FRAUD.toString(), "--protocol", "v2")).err())
        .contains("--protocol applies to --url runs only");
    assertThat(fails(JinferCli.EXIT_USAGE, args("--url", "grpc://127.0.0.1", "--model-name", "fraud")).err())
        .contains("--url: expected grpc://host:port (a host and a port, nothing after) but got 'grpc://127.0.0.1'");
    assertThat(fails(JinferCli.EXIT_USAGE, args("--url", "grpc://127.0.0.1:1/v2", "--model-name", "fraud")).err())
        .contains("--url: expected grpc://host:port");
  }

  @Test
  void grpcUrl_withNothingListening_isAnIoError_namingTheUrl() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = fails(6, args("--url", "grpc://127.0.0.1:" + port, "--model-name", "fraud", "--timeout", "2s"));
    assertThat(r.err()).contains("--url grpc://127.0.0.1:" + port + ": expected an Open Inference Protocol gRPC service but"
        + " ModelMetadata failed: UNAVAILABLE");
  }
}
