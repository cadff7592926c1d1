package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jinfer.cli.JinferCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The load tool measures the real REST service over HTTP ({@code jinfer bench --url}): the way README tells
 * users to see the network hop's cost beside the in-process figures.
 */
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
      assertThat(stdout.toString()).contains("POST /v1/models/fraud/predict");
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
}
