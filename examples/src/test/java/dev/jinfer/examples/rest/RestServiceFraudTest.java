package dev.jinfer.examples.rest;

import static dev.jinfer.examples.rest.RestTestSupport.featuresBody;
import static dev.jinfer.examples.rest.RestTestSupport.json;
import static dev.jinfer.examples.rest.RestTestSupport.namedBody;
import static dev.jinfer.examples.rest.RestTestSupport.outputData;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jinfer.MetricsTable;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST service on the fraud ONNX model, through a real HTTP client: predictions, signatures, health, metrics, bad requests. */
class RestServiceFraudTest {
  private static final long BODY_LIMIT = 64 * 1024;

  @TempDir
  static Path repository;

  static RestTestSupport rest;
  static float[][] input;
  static float[][] expected;

  @BeforeAll
  static void start() {
    RestTestSupport.addFraud(repository, "1");
    rest = RestTestSupport.start(RestConfig.newBuilder().models(repository).bodyLimitBytes(BODY_LIMIT).httpThreads(8)
        .batchMaxSize(32)); // the whole chain, batcher included (the service's default leaves it out)
    input = Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_input.npy")).toFloatMatrix();
    expected = Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_output.npy")).toFloatMatrix();
  }

  @AfterAll
  static void stop() {
    if (rest != null) {
      rest.close();
    }
  }

  private static void assertRowsMatch(float[] actual, float[][] reference) {
    assertThat(actual).hasSize(reference.length * reference[0].length);
    for (int r = 0; r < reference.length; r++) {
      for (int c = 0; c < reference[r].length; c++) {
        assertThat(actual[r * reference[r].length + c]).as("row %d col %d", r, c).isCloseTo(reference[r][c], within(1e-5f));
      }
    }
  }

  @Test
  void predict_namedTensors_matchesTheReferenceOutputs() {
    HttpResponse<String> r = rest.post("/v1/models/fraud/predict", namedBody("features", input));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = json(r);
    assertThat(body.get("model").asText()).isEqualTo("fraud");
    assertThat(body.get("version").asText()).isEqualTo("1");
    assertThat(body.get("latency_us").asDouble()).isPositive();
    JsonNode probabilities = body.path("outputs").path("probabilities");
    assertThat(probabilities.get("dtype").asText()).isEqualTo("FLOAT32");
    assertThat(probabilities.get("shape").toString()).isEqualTo("[16,2]");
    assertRowsMatch(outputData(body, "probabilities"), expected);
  }

  @Test
  void predict_featuresShortcut_acceptsOneRowOrRows() {
    for (int row = 0; row < 3; row++) {
      HttpResponse<String> r = rest.post("/v1/models/fraud/predict", featuresBody(input[row]));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(json(r).path("outputs").path("probabilities").get("shape").toString()).isEqualTo("[1,2]");
      assertRowsMatch(outputData(json(r), "probabilities"), new float[][] {expected[row]});
    }
    StringBuilder rows = new StringBuilder("{\"features\": [");
    for (int row = 0; row < input.length; row++) {
      rows.append(row == 0 ? "" : ", ").append(java.util.Arrays.toString(input[row]));
    }
    HttpResponse<String> r = rest.post("/v1/models/fraud/predict", rows.append("]}").toString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertRowsMatch(outputData(json(r), "probabilities"), expected);
  }

  @Test
  void predict_versionedPath_servesThatVersion_andSelectedOutputs() {
    String body = "{\"features\": " + java.util.Arrays.toString(input[4]) + ", \"outputs\": [\"probabilities\"]}";
    HttpResponse<String> r = rest.post("/v1/models/fraud/versions/1/predict", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).get("version").asText()).isEqualTo("1");
    assertRowsMatch(outputData(json(r), "probabilities"), new float[][] {expected[4]});
  }

  @Test
  void getModel_returnsTheSignatureAndVersions() {
    HttpResponse<String> r = rest.get("/v1/models/fraud");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode m = json(r);
    assertThat(m.get("name").asText()).isEqualTo("fraud");
    assertThat(m.get("version").asText()).isEqualTo("1");
    assertThat(m.get("ready").asBoolean()).isTrue();
    assertThat(m.get("versions")).hasSize(1);
    JsonNode v = m.get("versions").get(0);
    assertThat(v.get("version").asText()).isEqualTo("1");
    assertThat(v.get("state").asText()).isEqualTo("READY");
    assertThat(v.get("source").asText()).isEqualTo(repository.resolve("fraud").resolve("1").toString());
    assertThat(m.get("inputs").toString()).isEqualTo("[{\"name\":\"features\",\"dtype\":\"FLOAT32\",\"shape\":[-1,32]}]");
    assertThat(m.get("outputs").toString()).isEqualTo("[{\"name\":\"probabilities\",\"dtype\":\"FLOAT32\",\"shape\":[-1,2]}]");
    assertThat(json(rest.get("/v1/models/fraud/versions/1")).get("inputs")).isEqualTo(m.get("inputs"));
  }

  @Test
  void listModels_namesEveryModel() {
    HttpResponse<String> r = rest.get("/v1/models");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode models = json(r).get("models");
    assertThat(models).hasSize(1);
    assertThat(models.get(0).get("name").asText()).isEqualTo("fraud");
    assertThat(models.get(0).get("version").asText()).isEqualTo("1");
  }

  @Test
  void health_liveAndReady_areUp() {
    HttpResponse<String> live = rest.get(RestHandler.LIVE_PATH);
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(json(live).get("status").asText()).isEqualTo("UP");
    HttpResponse<String> ready = rest.get(RestHandler.READY_PATH);
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    assertThat(json(ready).path("models").path("fraud").path("ready").asBoolean()).isTrue();
  }

  @Test
  void metrics_arePrometheusText_withJinferMeters() {
    assertThat(rest.post("/v1/models/fraud/predict", featuresBody(input[7])).statusCode()).isEqualTo(200);
    HttpResponse<String> r = rest.get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    assertThat(r.body())
        .contains("# TYPE http_server_requests_seconds summary")
        .contains("http_server_requests_seconds_count{method=\"POST\",outcome=\"SUCCESS\",status=\"200\","
            + "uri=\"/v1/models/{name}/predict\"}")
        .contains("jinfer_batch_queue_depth{")
        .contains("jinfer_cache_gets_total{")
        .contains("model=\"fraud\"")
        .contains("jvm_memory_used_bytes");
    MetricsTable.checkRows(rest.service.meters(), "http.server.requests", "jinfer.predict", "jinfer.registry.ready");
  }

  @Test
  void malformedJson_is400_withTheParserMessage() {
    HttpResponse<String> r = rest.post("/v1/models/fraud/predict", "{\"features\": [1, 2,");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).path("error").path("code").asText()).isEqualTo("INVALID_INPUT");
    assertThat(json(r).path("error").path("message").asText()).startsWith("malformed JSON");
  }

  @Test
  void wrongShape_is400_namingTheInput() {
    HttpResponse<String> r = rest.post("/v1/models/fraud/predict", featuresBody(1f, 2f, 3f));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).path("error").path("message").asText()).contains("'features'").contains("[-1, 32]").contains("[1, 3]");
  }

  @Test
  void wrongDtype_is400_namingTheInput() {
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < 32; i++) {
      data.append(i == 0 ? "" : ",").append(i);
    }
    HttpResponse<String> r = rest.post("/v1/models/fraud/predict",
        "{\"inputs\": {\"features\": {\"dtype\": \"INT64\", \"shape\": [1, 32], \"data\": [" + data + "]}}}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).path("error").path("message").asText()).contains("'features'").contains("FLOAT32").contains("INT64");
  }

  @Test
  void unknownInput_badValue_andShapeMismatch_are400_namingTheInput() {
    HttpResponse<String> unknown = rest.post("/v1/models/fraud/predict",
        "{\"inputs\": {\"amount\": {\"shape\": [1, 1], \"data\": [3]}}}");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(json(unknown).path("error").path("message").asText()).contains("'amount'").contains("features");

    HttpResponse<String> text = rest.post("/v1/models/fraud/predict", "{\"features\": [\"x\"]}");
    assertThat(text.statusCode()).isEqualTo(400);
    assertThat(json(text).path("error").path("message").asText()).contains("'features'").contains("data[0]").contains("a number");

    HttpResponse<String> count = rest.post("/v1/models/fraud/predict",
        "{\"inputs\": {\"features\": {\"shape\": [2, 32], \"data\": [1, 2]}}}");
    assertThat(count.statusCode()).isEqualTo(400);
    assertThat(json(count).path("error").path("message").asText()).contains("'features'").contains("64 values").contains("2");

    HttpResponse<String> output = rest.post("/v1/models/fraud/predict",
        "{\"features\": " + java.util.Arrays.toString(input[0]) + ", \"outputs\": [\"score\"]}");
    assertThat(output.statusCode()).isEqualTo(400);
    assertThat(json(output).path("error").path("message").asText()).contains("'score'").contains("probabilities");
  }

  @Test
  void unknownModelOrVersion_is404() {
    HttpResponse<String> model = rest.post("/v1/models/nope/predict", featuresBody(input[0]));
    assertThat(model.statusCode()).isEqualTo(404);
    assertThat(json(model).path("error").path("code").asText()).isEqualTo("MODEL_NOT_FOUND");
    assertThat(json(model).path("error").path("message").asText()).contains("'nope'");

    HttpResponse<String> version = rest.post("/v1/models/fraud/versions/9/predict", featuresBody(input[0]));
    assertThat(version.statusCode()).isEqualTo(404);
    assertThat(json(version).path("error").path("message").asText()).contains("version 9");

    assertThat(rest.get("/v1/models/nope").statusCode()).isEqualTo(404);
    assertThat(rest.get("/v1/models/fraud/versions/stable").statusCode()).isEqualTo(404);
    assertThat(rest.get("/nowhere").statusCode()).isEqualTo(404);
  }

  @Test
  void wrongMethod_is405_andBadDeadlineHeader_is400() {
    HttpResponse<String> get = rest.get("/v1/models/fraud/predict");
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    HttpResponse<String> deadline = rest.post("/v1/models/fraud/predict", featuresBody(input[0]), RestHandler.DEADLINE_HEADER, "soon");
    assertThat(deadline.statusCode()).isEqualTo(400);
    assertThat(json(deadline).path("error").path("message").asText()).contains(RestHandler.DEADLINE_HEADER);
  }

  @Test
  void generousDeadline_isMet() {
    HttpResponse<String> r = rest.post("/v1/models/fraud/predict", featuresBody(input[9]), RestHandler.DEADLINE_HEADER, "30000");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertRowsMatch(outputData(json(r), "probabilities"), new float[][] {expected[9]});
  }

  @Test
  void bodyOverTheLimit_is413() {
    StringBuilder big = new StringBuilder("{\"features\": [");
    while (big.length() <= BODY_LIMIT) {
      big.append("0.123456789, ");
    }
    HttpResponse<String> r = rest.post("/v1/models/fraud/predict", big.append("0]}").toString());
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(json(r).path("error").path("message").asText()).contains(Long.toString(BODY_LIMIT)).contains("Content-Length");

    // without a Content-Length (chunked), the limit is enforced while reading
    byte[] bytes = big.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    HttpResponse<String> chunked = rest.send(java.net.http.HttpRequest.newBuilder(rest.uri("/v1/models/fraud/predict"))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes))).build());
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(json(chunked).path("error").path("message").asText()).contains("more than that was sent");
    assertThat(rest.post("/v1/models/fraud/predict", featuresBody(input[1])).statusCode()).isEqualTo(200);
  }

  @Test
  void concurrentClients_eachGetTheirOwnRows() throws Exception {
    int threads = 16;
    int requests = 40;
    List<float[][]> bodies = new ArrayList<>();
    List<float[]> answers = new ArrayList<>();
    Random random = new Random(42);
    try (Model model = Model.load(RestTestSupport.fraudModel()); Predictor direct = model.predictor()) {
      for (int i = 0; i < threads * requests; i++) {
        float[][] rows = new float[1 + i % 3][32];
        for (float[] row : rows) {
          for (int c = 0; c < 32; c++) {
            row[c] = (float) random.nextGaussian();
          }
        }
        bodies.add(rows);
        answers.add(direct.predict(NamedTensors.of("features", Tensor.ofFloats(rows))).get("probabilities").toFloatArray());
      }
    }
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = t * requests;
        done.add(pool.submit(() -> {
          start.await();
          for (int i = first; i < first + requests; i++) {
            HttpResponse<String> r = rest.post("/v1/models/fraud/predict", namedBody("features", bodies.get(i)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            float[] got = outputData(json(r), "probabilities");
            float[] want = answers.get(i);
            assertThat(got).hasSize(want.length);
            for (int k = 0; k < want.length; k++) {
              assertThat(got[k]).as("request %d value %d", i, k).isCloseTo(want[k], within(1e-5f));
            }
          }
          return requests;
        }));
      }
      int total = 0;
      for (Future<Integer> f : done) {
        total += f.get();
      }
      assertThat(total).isEqualTo(threads * requests);
    } finally {
      pool.shutdownNow();
    }
  }
}
