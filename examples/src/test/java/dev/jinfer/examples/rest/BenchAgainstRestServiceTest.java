package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jinfer.cli.JinferCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The load tool measures the real REST service ({@code jinfer bench --url}) over each wire form it serves:
 * {@code /v1} and the Open Inference Protocol's {@code /v2} over HTTP, and its gRPC API: the way README tells
 * users to see the network hop's cost beside the in-process figures, with one tool.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BenchAgainstRestServiceTest {
  @TempDir
  Path repository;

  @TempDir
  Path out;

  @Test
  void benchUrl_measuresTheService_withoutErrors_andEveryRequestReachesTheModel() throws Exception {
    RestTestSupport.addFraud(repository, "1");
    try (RestTestSupport rest = RestTestSupport.start(RestConfig.newBuilder().models(repository))) {
      String url = "http://127.0.0.1:" + rest.service.port();
      Path report = out.resolve("bench.json");
      StringWriter stdout = new StringWriter();
      StringWriter stderr = new StringWriter();
      CommandLine cli = JinferCli.newCommandLine();
      cli.setOut(new PrintWriter(stdout, true));
      cli.setErr(new PrintWriter(stderr, true));

      int code = cli.execute("bench", "--url", url, "--model-name", "fraud", "--concurrency", "1,4",
          "--warmup", "200ms", "--window", "300ms", "--max-windows", "3", "--stable-windows", "2",
          "--json", report.toString());

      assertThat(code).as("exit code; stderr:%n%s", stderr).isZero();
      assertThat(stdout.toString()).contains("POST /v1/models/fraud/predict")
          .as("closed loops over HTTP run event-driven").contains("closed loops event-driven on one I/O thread");
      JsonNode levels = RestTestSupport.JSON.readTree(Files.readString(report)).path("levels");
      assertThat(levels).hasSize(2);
      for (JsonNode level : levels) {
        assertThat(level.path("requests").asLong()).as("requests at %s", level.path("concurrency")).isPositive();
        assertThat(level.path("errors").asLong()).as("errors at %s", level.path("concurrency")).isZero();
        JsonNode latency = level.path("latencyMs");
        assertThat(latency.path("p50").asDouble()).isPositive()
            .isLessThanOrEqualTo(latency.path("p99").asDouble());
        assertThat(latency.path("p99").asDouble()).isLessThanOrEqualTo(latency.path("max").asDouble());
      }
      String metrics = rest.get("/metrics").body();
      assertThat(metrics).as("the service counted the tool's requests as successful predictions")
          .containsPattern("http_server_requests_seconds_count\\{[^}]*status=\"200\"[^}]*uri=\"/v1/models/\\{name}/predict\"[^}]*} [1-9]");
    }
  }

  private static JsonNode bench(Path report, StringWriter stdout, String... args) throws Exception {
    StringWriter stderr = new StringWriter();
    CommandLine cli = JinferCli.newCommandLine();
    cli.setOut(new PrintWriter(stdout, true));
    cli.setErr(new PrintWriter(stderr, true));
    java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(args));
    all.addAll(java.util.List.of("--concurrency", "1,4", "--warmup", "200ms", "--window", "300ms", "--max-windows", "3",
        "--stable-windows", "2", "--json", report.toString()));
    int code = cli.execute(all.toArray(String[]::new));
    assertThat(code).as("exit code; stderr:%n%s", stderr).isZero();
    JsonNode levels = RestTestSupport.JSON.readTree(Files.readString(report)).path("levels");
    assertThat(levels).hasSize(2);
    for (JsonNode level : levels) {
      assertThat(level.path("requests").asLong()).as("requests at %s", level.path("concurrency")).isPositive();
      assertThat(level.path("errors").asLong()).as("errors at %s", level.path("concurrency")).isZero();
    }
    return levels;
  }

  @Test
  void benchUrl_v2_measuresTheOpenInferenceProtocolOverHttp() throws Exception {
    RestTestSupport.addFraud(repository, "1");
    try (RestTestSupport rest = RestTestSupport.start(RestConfig.newBuilder().models(repository))) {
      StringWriter stdout = new StringWriter();
      bench(out.resolve("v2.json"), stdout, "bench", "--url", "http://127.0.0.1:" + rest.service.port(), "--protocol", "v2",
          "--model-name", "fraud");
      assertThat(stdout.toString()).contains("POST /v2/models/fraud/infer")
          .as("closed loops over HTTP run event-driven").contains("closed loops event-driven on one I/O thread");
      assertThat(rest.get("/metrics").body()).as("the service counted the tool's requests as successful v2 inferences")
          .containsPattern("http_server_requests_seconds_count\\{[^}]*status=\"200\"[^}]*uri=\"/v2/models/\\{name}/infer\"[^}]*} [1-9]");
    }
  }

  @Test
  void benchUrl_againstHttpCeiling_measuresTheToolsOwnLimit_overV1AndV2_withoutErrors() throws Exception {
    try (HttpCeiling ceiling = HttpCeiling.start(0, 1)) {
      String url = "http://127.0.0.1:" + ceiling.port();
      StringWriter v1 = new StringWriter();
      JsonNode levels = bench(out.resolve("ceiling-v1.json"), v1, "bench", "--url", url, "--model-name", "fraud");
      assertThat(v1.toString()).contains("POST /v1/models/fraud/predict").contains("closed loops event-driven");
      StringWriter v2 = new StringWriter();
      bench(out.resolve("ceiling-v2.json"), v2, "bench", "--url", url, "--protocol", "v2", "--model-name", "fraud");
      assertThat(v2.toString()).contains("POST /v2/models/fraud/infer");
      assertThat(levels.get(1).path("concurrency").asInt()).isEqualTo(4);
    }
  }

  @Test
  void benchUrl_grpc_measuresTheOpenInferenceProtocolOverGrpc_onAVersion() throws Exception {
    RestTestSupport.addFraud(repository, "1");
    try (RestTestSupport rest = RestTestSupport.start(RestConfig.newBuilder().models(repository).grpcPort(0))) {
      StringWriter stdout = new StringWriter();
      bench(out.resolve("grpc.json"), stdout, "bench", "--url", "grpc://127.0.0.1:" + rest.service.grpcPort(), "--model-name",
          "fraud", "--model-version", "1", "--batch-size", "3");
      assertThat(stdout.toString()).contains("fraud:1 at grpc://127.0.0.1:" + rest.service.grpcPort())
          .as("closed loops over gRPC run event-driven").contains("event-driven on one I/O thread");
      assertThat(rest.get("/metrics").body()).as("the service counted the tool's calls as successful ModelInfer calls")
          .containsPattern("grpc_server_processing_duration_seconds_count\\{[^}]*method=\"ModelInfer\"[^}]*statusCode=\"OK\"[^}]*} [1-9]");
    }
  }

  @Test
  void benchUrl_grpc_unknownModel_isAModelLoadError_namingTheService() throws Exception {
    RestTestSupport.addFraud(repository, "1");
    try (RestTestSupport rest = RestTestSupport.start(RestConfig.newBuilder().models(repository).grpcPort(0))) {
      StringWriter stderr = new StringWriter();
      CommandLine cli = JinferCli.newCommandLine();
      cli.setOut(new PrintWriter(new StringWriter(), true));
      cli.setErr(new PrintWriter(stderr, true));
      int code = cli.execute("bench", "--url", "grpc://127.0.0.1:" + rest.service.grpcPort(), "--model-name", "churn");
      assertThat(code).isEqualTo(dev.jinfer.cli.exit.ExitCode.MODEL_LOAD);
      assertThat(stderr.toString()).contains("model 'churn': expected the service at grpc://127.0.0.1:")
          .contains("ModelMetadata answered NOT_FOUND");
    }
  }
}
