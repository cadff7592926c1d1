package dev.jinfer.examples.rest;

import static dev.jinfer.examples.rest.RestTestSupport.featuresBody;
import static dev.jinfer.examples.rest.RestTestSupport.json;
import static dev.jinfer.examples.rest.RestTestSupport.outputData;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jinfer.io.Npy;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Readiness from the registry, hot reload of a new version, and the default bundled repository. */
class RestServiceRepositoryTest {
  @TempDir
  Path repository;

  private static float[][] input() {
    return Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_input.npy")).toFloatMatrix();
  }

  private static float[][] expected() {
    return Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_output.npy")).toFloatMatrix();
  }

  private static void assertRow(HttpResponse<String> r, float[] want) {
    float[] got = outputData(json(r), "probabilities");
    assertThat(got).hasSize(want.length);
    for (int i = 0; i < want.length; i++) {
      assertThat(got[i]).isCloseTo(want[i], within(1e-5f));
    }
  }

  @Test
  void ready_isDown_forAnEmptyRepository_andUp_onceAModelArrives() {
    try (RestTestSupport rest = RestTestSupport.start(RestConfig.newBuilder().models(repository)
        .pollInterval(Duration.ofMillis(50)))) {
      assertThat(rest.get(RestHandler.LIVE_PATH).statusCode()).isEqualTo(200);
      HttpResponse<String> empty = rest.get(RestHandler.READY_PATH);
      assertThat(empty.statusCode()).isEqualTo(503);
      assertThat(json(empty).get("reason").asText()).contains("holds no model");

      RestTestSupport.addFraud(repository, "1");
      HttpResponse<String> up = rest.awaitGet(RestHandler.READY_PATH, r -> r.statusCode() == 200);
      assertThat(json(up).path("models").path("fraud").path("version").asText()).isEqualTo("1");
      HttpResponse<String> r = rest.post("/v1/models/fraud/predict", featuresBody(input()[0]));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertRow(r, expected()[0]);
    }
  }

  @Test
  void ready_isDown_andPredict503_whileTheOnlyModelIsBroken() throws IOException {
    Path dir = Files.createDirectories(repository.resolve("broken").resolve("1"));
    Files.writeString(dir.resolve("model.onnx"), "not an onnx model");
    try (RestTestSupport rest = RestTestSupport.start(RestConfig.newBuilder().models(repository).pollInterval(null))) {
      HttpResponse<String> ready = rest.get(RestHandler.READY_PATH);
      assertThat(ready.statusCode()).isEqualTo(503);
      JsonNode broken = json(ready).path("models").path("broken");
      assertThat(broken.path("ready").asBoolean()).isFalse();
      assertThat(broken.path("versions").get(0).path("state").asText()).isEqualTo("FAILED");
      assertThat(broken.path("versions").get(0).path("error").asText()).isNotEmpty();

      HttpResponse<String> predict = rest.post("/v1/models/broken/predict", featuresBody(1f));
      assertThat(predict.statusCode()).as(predict.body()).isEqualTo(503);
      assertThat(predict.headers().firstValue("Retry-After")).isPresent();
      assertThat(rest.get("/v1/models/broken").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void hotReload_aNewVersionDropped_isServedAndReported() {
    RestTestSupport.addFraud(repository, "1");
    try (RestTestSupport rest = RestTestSupport.start(RestConfig.newBuilder().models(repository)
        .pollInterval(Duration.ofMillis(50)))) {
      float[] row = input()[3];
      HttpResponse<String> before = rest.post("/v1/models/fraud/predict", featuresBody(row));
      assertThat(json(before).get("version").asText()).isEqualTo("1");

      RestTestSupport.addFraud(repository, "2");
      rest.awaitGet("/v1/models/fraud", r -> r.statusCode() == 200 && json(r).path("version").asText().equals("2"));

      // the same input again: the cache of version 1 must not answer for version 2
      HttpResponse<String> after = rest.post("/v1/models/fraud/predict", featuresBody(row));
      assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
      assertThat(json(after).get("version").asText()).isEqualTo("2");
      assertRow(after, expected()[3]);
      assertThat(rest.get("/metrics").body()).containsPattern("jinfer_cache_gets_total\\{[^}]*result=\"miss\"[^}]*version=\"2\"[^}]*} 1\\.0");

      HttpResponse<String> gone = rest.post("/v1/models/fraud/versions/1/predict", featuresBody(row));
      assertThat(gone.statusCode()).as("the default policy keeps only the latest version").isEqualTo(404);
    }
  }

  @Test
  void hotSwapUnderLoad_failsNoRequest() throws Exception {
    RestTestSupport.addFraud(repository, "1");
    try (RestTestSupport rest = RestTestSupport.start(RestConfig.newBuilder().models(repository)
        .pollInterval(Duration.ofMillis(20)).httpThreads(8))) {
      float[][] rows = input();
      float[][] want = expected();
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.ConcurrentHashMap<String, Integer> versions = new java.util.concurrent.ConcurrentHashMap<>();
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
      try {
        java.util.List<java.util.concurrent.Future<Integer>> callers = new java.util.ArrayList<>();
        for (int t = 0; t < 8; t++) {
          int first = t;
          callers.add(pool.submit(() -> {
            int n = 0;
            for (int i = first; !stop.get() || n == 0; i++, n++) {
              int row = i % rows.length;
              HttpResponse<String> r = rest.post("/v1/models/fraud/predict", featuresBody(rows[row]));
              assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
              assertRow(r, want[row]);
              versions.merge(json(r).get("version").asText(), 1, Integer::sum);
            }
            return n;
          }));
        }
        rest.awaitGet("/metrics", r -> versions.containsKey("1"));
        RestTestSupport.addFraud(repository, "2");
        rest.awaitGet("/v1/models/fraud", r -> versions.containsKey("2"));
        stop.set(true);
        for (java.util.concurrent.Future<Integer> f : callers) {
          assertThat(f.get()).isPositive();
        }
      } finally {
        stop.set(true);
        pool.shutdownNow();
      }
      assertThat(versions).containsOnlyKeys("1", "2");
    }
  }

  @Test
  void withoutModelsDir_servesTheBundledFraudModel_andDeletesItOnClose() {
    RestTestSupport rest = RestTestSupport.start(RestConfig.newBuilder());
    Path root = rest.service.registry().root();
    try {
      assertThat(rest.get(RestHandler.READY_PATH).statusCode()).isEqualTo(200);
      assertThat(root.resolve("fraud/1/model.onnx")).isRegularFile();
      HttpResponse<String> r = rest.post("/v1/models/fraud/predict", featuresBody(input()[5]));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertRow(r, expected()[5]);
    } finally {
      rest.close();
    }
    assertThat(root).doesNotExist();
  }
}
