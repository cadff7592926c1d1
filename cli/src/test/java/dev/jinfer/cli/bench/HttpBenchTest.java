package dev.jinfer.cli.bench;

import static dev.jinfer.cli.bench.BenchCommandTest.FRAUD;
import static dev.jinfer.cli.bench.BenchCommandTest.ONNX;
import static dev.jinfer.cli.bench.BenchCommandTest.args;
import static dev.jinfer.cli.bench.BenchCommandTest.assertSane;
import static dev.jinfer.cli.bench.BenchCommandTest.json;
import static dev.jinfer.cli.bench.BenchCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.cli.JinferCli;
import dev.jinfer.cli.bench.BenchCommandTest.Run;
import dev.jinfer.io.Npy;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jinfer bench --url} against a server that runs the fraud model through jinfer per the REST contract. */
class HttpBenchTest {
  @TempDir
  Path tmp;

  @Test
  void requestBody_isTheContractsNamedTensorForm_andTheServerReproducesTheReference() throws Exception {
    try (FraudRestServer server = new FraudRestServer(FRAUD, 0)) {
      Tensor input = Npy.read(ONNX.resolve("fraud_input.npy"));
      HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create(server.url() + "/v1/models/fraud/predict")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(HttpTarget.body(NamedTensors.of("features", input)))).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      JsonNode out = new ObjectMapper().readTree(answer.body()).path("outputs").path("probabilities");
      float[] expected = Npy.read(ONNX.resolve("fraud_output.npy")).toFloatArray();
      assertThat(out.path("shape").get(0).asInt()).isEqualTo(16);
      for (int i = 0; i < expected.length; i++) {
        assertThat(out.path("data").get(i).floatValue()).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f));
      }
    }
  }

  @Test
  void url_closedLoop_measuresTheService_withInputsFromItsSignature() throws Exception {
    Path file = tmp.resolve("b.json");
    try (FraudRestServer server = new FraudRestServer(FRAUD, 0)) {
      Run r = run(args("--url", server.url(), "--model-name", "fraud", "--concurrency", "1,2", "--batch-size", "2",
          "--json", file.toString()));

      assertThat(r.exitCode()).as(r.err()).isZero();
      assertThat(r.out()).contains("fraud:1 at " + server.url() + " (POST /v1/models/fraud/predict)");
      JsonNode root = json(file);
      for (JsonNode level : root.path("levels")) {
        assertSane(level);
        assertThat(level.path("errors").asLong()).isZero();
      }
      long measured = root.path("levels").get(0).path("requests").asLong() + root.path("levels").get(1).path("requests").asLong();
      assertThat(server.predictions()).as("the model ran every measured request").isGreaterThanOrEqualTo(measured);
    }
  }

  @Test
  void url_errorStatuses_areCountedByType_andTheRunGoesOn() throws Exception {
    Path file = tmp.resolve("b.json");
    try (FraudRestServer server = new FraudRestServer(FRAUD, 4)) {
      Run r = run(args("--url", server.url(), "--model-name", "fraud", "--model-version", "1", "--rate", "300",
          "--json", file.toString()));

      assertThat(r.exitCode()).as(r.err()).isZero();
      assertThat(r.out()).contains("POST /v1/models/fraud/versions/1/predict").contains("Errors   300/s: HTTP 429 OVERLOADED x");
      JsonNode level = json(file).path("levels").get(0);
      assertSane(level);
      long errors = level.path("errorsByType").path("HTTP 429 OVERLOADED").asLong();
      long ok = level.path("requests").asLong();
      assertThat(level.path("errors").asLong()).isEqualTo(errors);
      // every 4th request is shed: a quarter of those measured, give or take the window edges
      assertThat((double) errors / (errors + ok)).isBetween(0.18, 0.32);
    }
  }

  @Test
  void url_unknownModel_isAModelLoadError_withTheServersAnswer() throws Exception {
    try (FraudRestServer server = new FraudRestServer(FRAUD, 0)) {
      Run r = run(args("--url", server.url(), "--model-name", "churn"));
      assertThat(r.exitCode()).as(r.err()).isEqualTo(JinferCli.EXIT_MODEL_LOAD);
      assertThat(r.err()).startsWith("jinfer bench: model 'churn': expected the service at " + server.url())
          .contains("answered 404 (MODEL_NOT_FOUND: no model at /v1/models/churn)");
    }
  }

  @Test
  void url_nobodyListening_isAnIoError() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = run(args("--url", "http://127.0.0.1:" + port, "--model-name", "fraud", "--timeout", "2s"));
    assertThat(r.exitCode()).as(r.err()).isEqualTo(JinferCli.EXIT_IO);
    assertThat(r.err()).startsWith("jinfer bench: --url http://127.0.0.1:" + port + ": expected a jinfer service but GET")
        .contains("failed");
  }

  @Test
  void url_everyRequestFailing_endsWithTheEngineExitCode_afterTheReport() throws Exception {
    Path file = tmp.resolve("b.json");
    try (FraudRestServer server = new FraudRestServer(FRAUD, 1)) {
      Run r = run(args("--url", server.url(), "--model-name", "fraud", "--concurrency", "1", "--json", file.toString()));
      assertThat(r.exitCode()).isEqualTo(JinferCli.EXIT_INFERENCE);
      assertThat(r.err()).contains("c=1: expected successful requests but every request failed: HTTP 429 OVERLOADED x");
      assertThat(json(file).path("levels").get(0).path("errors").asLong()).isPositive();
    }
  }
}
