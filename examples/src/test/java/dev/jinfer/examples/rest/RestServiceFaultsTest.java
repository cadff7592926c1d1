package dev.jinfer.examples.rest;

import static dev.jinfer.examples.rest.RestTestSupport.json;
import static dev.jinfer.examples.rest.RestTestSupport.namedBody;
import static dev.jinfer.examples.rest.RestTestSupport.outputData;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Backends;
import dev.jinfer.ScaleBackend;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overload, deadlines and the circuit breaker, made deterministic with core's test backend
 * ({@link ScaleBackend}: {@code y = factor * x}, steerable to block on a latch or to fail).
 */
class RestServiceFaultsTest {
  private static final String PREDICT = "/v1/models/scale/predict";

  @TempDir
  Path repository;

  private final ScaleBackend backend = new ScaleBackend();

  private RestTestSupport start(RestConfig.Builder config) throws IOException {
    Path dir = Files.createDirectories(repository.resolve("scale").resolve("1"));
    ScaleBackend.writeModel(dir, "model.scale", 2f);
    RestTestSupport rest = RestTestSupport.start(config.models(repository).backends(Backends.of(backend)).pollInterval(null));
    assertThat(rest.get(RestHandler.READY_PATH).statusCode()).isEqualTo(200);
    return rest;
  }

  private static String row(float a, float b) {
    return namedBody("x", new float[][] {{a, b}});
  }

  @Test
  void fullBatchQueue_is429_withRetryAfter() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder().batchMaxSize(1).batchDelay(Duration.ZERO).batchQueue(1)
        .batchWorkers(1).httpThreads(4))) {
      backend.entered = new CountDownLatch(1);
      backend.release = new CountDownLatch(1);
      try {
        CompletableFuture<HttpResponse<String>> running = rest.postAsync(PREDICT, row(1, 1));
        assertThat(backend.entered.await(60, TimeUnit.SECONDS)).as("the first request reached the engine").isTrue();
        CompletableFuture<HttpResponse<String>> queued = rest.postAsync(PREDICT, row(2, 2));
        Pattern depthOne = Pattern.compile("jinfer_batch_queue_depth\\{[^}]*model=\"scale\"[^}]*} 1\\.0");
        rest.awaitGet("/metrics", r -> depthOne.matcher(r.body()).find());

        HttpResponse<String> refused = rest.post(PREDICT, row(3, 3));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(json(refused).path("error").path("code").asText()).isEqualTo("OVERLOADED");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");

        backend.release.countDown();
        assertThat(running.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        HttpResponse<String> second = queued.get(60, TimeUnit.SECONDS);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(outputData(json(second), "y")).containsExactly(4f, 4f);
      } finally {
        backend.release.countDown();
      }
    }
  }

  @Test
  void everyHttpThreadBusy_andNoQueue_is503Overloaded_withRetryAfter_butProbesStillAnswer() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder().httpThreads(1).httpQueue(0))) {
      backend.entered = new CountDownLatch(1);
      backend.release = new CountDownLatch(1);
      try {
        CompletableFuture<HttpResponse<String>> running = rest.postAsync(PREDICT, row(1, 2));
        assertThat(backend.entered.await(60, TimeUnit.SECONDS)).as("the only HTTP thread is in the engine").isTrue();
        HttpResponse<String> refused = rest.post(PREDICT, row(3, 4));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(json(refused).path("error").path("code").asText()).isEqualTo("OVERLOADED");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        // overload must not fail the probes: a liveness 503 here would make Kubernetes restart a busy pod
        HttpResponse<String> live = rest.get(RestHandler.LIVE_PATH);
        assertThat(live.statusCode()).as(live.body()).isEqualTo(200);
        assertThat(json(live).path("status").asText()).isEqualTo("UP");
        HttpResponse<String> ready = rest.get(RestHandler.READY_PATH);
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        // the refusal is recorded after its response is sent, hence the wait; every scrape here is itself overloaded
        HttpResponse<String> metrics = rest.awaitGet(RestHandler.METRICS_PATH,
            r -> r.statusCode() == 200 && r.body().contains("status=\"503\""));
        assertThat(metrics.statusCode()).isEqualTo(200);
        backend.release.countDown();
        HttpResponse<String> done = running.get(60, TimeUnit.SECONDS);
        assertThat(done.statusCode()).isEqualTo(200);
        assertThat(outputData(json(done), "y")).containsExactly(2f, 4f);
      } finally {
        backend.release.countDown();
      }
    }
  }

  @Test
  void malformedVersionInThePath_is404ModelNotFound() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder())) {
      // "_x" is neither a version number nor an alias (aliases start with a letter): the registry's
      // IllegalArgumentException from the lookup is a 404, not a 500
      HttpResponse<String> r = rest.post("/v1/models/scale/versions/_x/predict", row(1, 1));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
      assertThat(json(r).path("error").path("code").asText()).isEqualTo("MODEL_NOT_FOUND");
      HttpResponse<String> model = rest.get("/v1/models/scale/versions/_x");
      assertThat(model.statusCode()).as(model.body()).isEqualTo(404);
    }
  }

  @Test
  void deadlineHeader_shorterThanTheCall_is504_beforeTheEngineReturns() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder())) {
      backend.entered = new CountDownLatch(1);
      backend.release = new CountDownLatch(1);
      try {
        HttpResponse<String> late = rest.post(PREDICT, row(5, 6), RestHandler.DEADLINE_HEADER, "200");
        assertThat(late.statusCode()).as(late.body()).isEqualTo(504);
        assertThat(json(late).path("error").path("code").asText()).isEqualTo("DEADLINE_EXCEEDED");
        assertThat(json(late).path("error").path("message").asText()).contains("200");
        assertThat(backend.release.getCount()).as("the engine call is still held").isEqualTo(1);
      } finally {
        backend.release.countDown();
        backend.release = null;
      }
      HttpResponse<String> ok = rest.post(PREDICT, row(7, 8), RestHandler.DEADLINE_HEADER, "30000");
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      assertThat(outputData(json(ok), "y")).containsExactly(14f, 16f);
    }
  }

  @Test
  void deadlinePassingWhileQueued_is504_andTheRequestNeverReachesTheEngine() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder().batchMaxSize(1).batchDelay(Duration.ZERO).batchQueue(4)
        .batchWorkers(1).httpThreads(4))) {
      backend.entered = new CountDownLatch(1);
      backend.release = new CountDownLatch(1);
      try {
        CompletableFuture<HttpResponse<String>> running = rest.postAsync(PREDICT, row(1, 1));
        assertThat(backend.entered.await(60, TimeUnit.SECONDS)).as("the only batch worker is in the engine").isTrue();
        int runs = backend.session().runs.get();

        HttpResponse<String> late = rest.post(PREDICT, row(3, 3), RestHandler.DEADLINE_HEADER, "200");

        assertThat(late.statusCode()).as(late.body()).isEqualTo(504);
        backend.release.countDown();
        assertThat(running.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        HttpResponse<String> after = rest.post(PREDICT, row(4, 4));
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
        assertThat(backend.session().runs.get()).as("the expired request was withdrawn from the queue, not run")
            .isEqualTo(runs + 1);
      } finally {
        backend.release.countDown();
        backend.release = null;
      }
    }
  }

  @Test
  void repeatedEngineFailures_openTheCircuit_503WithRetryAfter() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder().breakerWindow(4).breakerMinCalls(4).breakerFailureRate(50)
        .breakerWait(Duration.ofHours(1)))) {
      backend.runFailure = new RuntimeException("the engine is on fire");
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> failed = rest.post(PREDICT, row(i, i));
        assertThat(failed.statusCode()).as(failed.body()).isEqualTo(500);
        assertThat(json(failed).path("error").path("code").asText()).isEqualTo("BACKEND_FAILURE");
        assertThat(json(failed).path("error").path("message").asText()).contains("on fire");
      }
      int runs = backend.session().runs.get();
      HttpResponse<String> open = rest.post(PREDICT, row(9, 9));
      assertThat(open.statusCode()).as(open.body()).isEqualTo(503);
      assertThat(json(open).path("error").path("code").asText()).isEqualTo("CIRCUIT_OPEN");
      assertThat(open.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
      assertThat(backend.session().runs.get()).as("an open circuit keeps calls from the engine").isEqualTo(runs);
      assertThat(rest.get("/metrics").body()).contains("jinfer_breaker_state{");
    }
  }

  @Test
  void badInput_doesNotOpenTheCircuit() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder().breakerWindow(2).breakerMinCalls(2))) {
      for (int i = 0; i < 5; i++) {
        assertThat(rest.post(PREDICT, "{\"features\": [1, 2, 3]}").statusCode()).isEqualTo(400);
      }
      HttpResponse<String> ok = rest.post(PREDICT, "{\"features\": [1.5, 2.5]}");
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      assertThat(outputData(json(ok), "y")).containsExactly(3f, 5f);
    }
  }
}
