package dev.jinfer.examples.rest;

import static dev.jinfer.examples.rest.OipGrpcTest.assertStatus;
import static dev.jinfer.examples.rest.OipGrpcTest.boxed;
import static dev.jinfer.examples.rest.OipGrpcTest.input;
import static dev.jinfer.examples.rest.OipGrpcTest.observer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Backends;
import dev.jinfer.ScaleBackend;
import dev.jinfer.examples.rest.health.HealthCheckRequest;
import dev.jinfer.examples.rest.health.HealthCheckResponse;
import dev.jinfer.examples.rest.oip.InferTensorContents;
import dev.jinfer.examples.rest.oip.ModelInferRequest;
import dev.jinfer.examples.rest.oip.ModelInferResponse;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deadlines, cancellation, overload, the circuit breaker and graceful shutdown on the gRPC endpoint, made
 * deterministic with core's test backend ({@link ScaleBackend}: {@code y = 2 x}, steerable to block on a
 * latch or to fail), through real grpc-java stubs.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OipGrpcFaultsTest {
  @TempDir
  Path repository;

  private final ScaleBackend backend = new ScaleBackend();
  private RestTestSupport rest;
  private ManagedChannel channel;

  private OipStubs.Blocking start(RestConfig.Builder config) throws IOException {
    Path dir = Files.createDirectories(repository.resolve("scale").resolve("1"));
    ScaleBackend.writeModel(dir, "model.scale", 2f);
    rest = RestTestSupport.start(config.models(repository).backends(Backends.of(backend)).pollInterval(null).grpcPort(0));
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", rest.service.grpcPort(), InsecureChannelCredentials.create()).build();
    return OipStubs.blocking(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (backend.release != null) {
      backend.release.countDown();
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (rest != null) {
      rest.close();
    }
  }

  private static ModelInferRequest row(float a, float b) {
    return ModelInferRequest.newBuilder().setModelName("scale").addInputs(input("x", "FP32", 1, 2).toBuilder()
        .setContents(InferTensorContents.newBuilder().addAllFp32Contents(boxed(new float[] {a, b})))).build();
  }

  private void awaitServerStatus(String code) {
    rest.awaitGet("/metrics", r -> r.body().contains("method=\"ModelInfer\",service=\"inference.GRPCInferenceService\",statusCode=\""
        + code + "\"} 1"));
  }

  private void awaitQueueDepth(int depth) {
    Pattern p = Pattern.compile("jinfer_batch_queue_depth\\{[^}]*model=\"scale\"[^}]*} " + depth + "\\.0");
    rest.awaitGet("/metrics", r -> p.matcher(r.body()).find());
  }

  @Test
  void theCallsGrpcDeadline_becomesTheDeadlineTheEngineGets() throws Exception {
    backend.cancellable = true; // the engine then receives the call's jinfer Deadline
    OipStubs.Blocking stub = start(RestConfig.newBuilder().batchMaxSize(0).cacheSize(0));
    ScaleBackend.Session session = backend.sessions.get(0);
    int before = session.deadlines.size(); // the registry's warm-up calls
    ModelInferResponse r = stub.withDeadlineAfter(5, TimeUnit.SECONDS).modelInfer(row(1, 2));
    assertThat(r.getOutputs(0).getContents().getFp32ContentsList()).containsExactly(2f, 4f);
    assertThat(session.deadlines).hasSize(before + 1);
    Duration timeout = session.deadlines.get(before).timeout();
    assertThat(timeout).isLessThanOrEqualTo(Duration.ofSeconds(5)).isGreaterThan(Duration.ofSeconds(4));
  }

  @Test
  void aDeadlinePassingWhileTheEngineRuns_isDeadlineExceeded_andEndsTheServerCall() throws Exception {
    backend.cancellable = true;
    OipStubs.Blocking stub = start(RestConfig.newBuilder().batchMaxSize(0).cacheSize(0));
    backend.entered = new CountDownLatch(1);
    backend.release = new CountDownLatch(1);
    assertStatus(() -> stub.withDeadlineAfter(300, TimeUnit.MILLISECONDS).modelInfer(row(1, 2)), Status.Code.DEADLINE_EXCEEDED, "");
    // the server's side of the call ended too (at jinfer's deadline, or cancelled by gRPC's at the same moment),
    // while the engine is still held
    rest.awaitGet("/metrics", r -> r.body().matches("(?s).*ModelInfer\",service=\"inference.GRPCInferenceService\",statusCode=\""
        + "(DEADLINE_EXCEEDED|CANCELLED)\"} 1.*"));
    assertThat(backend.release.getCount()).isEqualTo(1);
  }

  @Test
  void cancellingACallWhileTheEngineRuns_endsCancelled_notInternal() throws Exception {
    // the cancellation interrupts the call's thread inside the engine, which then throws InterruptedException:
    // that is the cancellation's consequence (recorded CANCELLED), not an engine failure (INTERNAL). The same
    // interrupt came first under load when gRPC's deadline and jinfer's passed at the same moment (the test above)
    backend.cancellable = true;
    start(RestConfig.newBuilder().batchMaxSize(0).cacheSize(0));
    backend.entered = new CountDownLatch(1);
    backend.release = new CountDownLatch(1);
    OipStubs.Async async = OipStubs.async(channel); // no deadline: the engine waits until interrupted
    CompletableFuture<ModelInferResponse> answer = new CompletableFuture<>();
    Context.CancellableContext call = Context.current().withCancellation();
    call.run(() -> async.modelInfer(row(1, 2), observer(answer)));
    assertThat(backend.entered.await(60, TimeUnit.SECONDS)).as("the call reached the engine").isTrue();
    call.cancel(null);
    awaitServerStatus("CANCELLED");
    assertThat(rest.get("/metrics").body()).doesNotContain("method=\"ModelInfer\",service=\"inference.GRPCInferenceService\","
        + "statusCode=\"INTERNAL\"");
    assertThat(backend.release.getCount()).as("the engine was not released: the interrupt ended the call").isEqualTo(1);
    // jinfer's own meters: the model's call is a cancellation, not an engine failure, and the breaker ignored it
    String metrics = rest.get("/metrics").body();
    assertThat(metrics).containsPattern("jinfer_predict_seconds_count\\{error=\"CANCELLED\",[^}]*outcome=\"error\"[^}]*} 1")
        .doesNotContain("error=\"BACKEND_FAILURE\"")
        .containsPattern("jinfer_breaker_calls_total\\{[^}]*outcome=\"ignored\"[^}]*} 1")
        .doesNotContainPattern("jinfer_breaker_calls_total\\{[^}]*outcome=\"failure\"[^}]*} [1-9]");
  }

  @Test
  void callsBeyondTheGrpcThreadsAndQueue_areResourceExhaustedAtOnce() throws Exception {
    OipStubs.Blocking stub = start(RestConfig.newBuilder().httpThreads(1).grpcQueue(1).batchMaxSize(0).cacheSize(0));
    backend.entered = new CountDownLatch(1);
    backend.release = new CountDownLatch(1);
    OipStubs.Async async = OipStubs.async(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    CompletableFuture<ModelInferResponse> running = new CompletableFuture<>();
    async.modelInfer(row(1, 1), observer(running));
    assertThat(backend.entered.await(60, TimeUnit.SECONDS)).as("the first call holds the only gRPC thread").isTrue();
    CompletableFuture<ModelInferResponse> queued = new CompletableFuture<>();
    async.modelInfer(row(2, 2), observer(queued));
    rest.awaitGet("/metrics", r -> r.body().contains("jinfer_grpc_queue_depth 1.0"));
    // the third waits for nothing: refused from the event loop while the engine still holds the first
    assertStatus(() -> stub.modelInfer(row(3, 3)), Status.Code.RESOURCE_EXHAUSTED,
        "the server is busy: all 1 gRPC threads are working and 1 calls are waiting");
    assertThat(running).isNotDone();
    assertThat(stub.serverLive(dev.jinfer.examples.rest.oip.ServerLiveRequest.getDefaultInstance()).getLive())
        .as("the cheap RPCs are answered on the event loop meanwhile").isTrue();
    backend.release.countDown();
    assertThat(running.get(60, TimeUnit.SECONDS).getOutputs(0).getContents().getFp32ContentsList()).containsExactly(2f, 2f);
    assertThat(queued.get(60, TimeUnit.SECONDS).getOutputs(0).getContents().getFp32ContentsList()).containsExactly(4f, 4f);
    awaitServerStatus("RESOURCE_EXHAUSTED");
  }

  @Test
  void cancellingACall_withdrawsItsQueuedRequest_beforeItReachesTheEngine() throws Exception {
    start(RestConfig.newBuilder().batchMaxSize(1).batchDelay(Duration.ZERO).batchQueue(4).batchWorkers(1).cacheSize(0));
    backend.entered = new CountDownLatch(1);
    backend.release = new CountDownLatch(1);
    int runsBefore = backend.sessions.stream().mapToInt(s -> s.runs.get()).sum(); // the registry's warm-up calls
    OipStubs.Async async = OipStubs.async(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    CompletableFuture<ModelInferResponse> running = new CompletableFuture<>();
    async.modelInfer(row(1, 1), observer(running));
    assertThat(backend.entered.await(60, TimeUnit.SECONDS)).as("the first call reached the engine").isTrue();

    CompletableFuture<ModelInferResponse> queued = new CompletableFuture<>();
    Context.CancellableContext call = Context.current().withCancellation();
    call.run(() -> async.modelInfer(row(7, 7), observer(queued)));
    awaitQueueDepth(1);
    call.cancel(null);
    // the server's call ends CANCELLED while the engine still holds the first call: its thread left the
    // batcher's queue (the request is withdrawn; the queue drops it instead of running it)
    awaitServerStatus("CANCELLED");
    try {
      queued.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.CANCELLED);
    }
    backend.release.countDown();
    assertThat(running.get(60, TimeUnit.SECONDS).getOutputs(0).getContents().getFp32ContentsList()).containsExactly(2f, 2f);
    assertThat(backend.sessions.stream().mapToInt(s -> s.runs.get()).sum()).isEqualTo(runsBefore + 1);
    assertThat(backend.sessions).allSatisfy(s -> assertThat(s.inputs).noneMatch(in -> in.get("x").getFloat(0) == 7f));
  }

  @Test
  void aFullBatchQueue_isResourceExhausted() throws Exception {
    OipStubs.Blocking stub = start(RestConfig.newBuilder().batchMaxSize(1).batchDelay(Duration.ZERO).batchQueue(1).batchWorkers(1)
        .cacheSize(0));
    backend.entered = new CountDownLatch(1);
    backend.release = new CountDownLatch(1);
    OipStubs.Async async = OipStubs.async(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    CompletableFuture<ModelInferResponse> running = new CompletableFuture<>();
    async.modelInfer(row(1, 1), observer(running));
    assertThat(backend.entered.await(60, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<ModelInferResponse> queued = new CompletableFuture<>();
    async.modelInfer(row(2, 2), observer(queued));
    awaitQueueDepth(1);
    assertStatus(() -> stub.modelInfer(row(3, 3)), Status.Code.RESOURCE_EXHAUSTED, "");
    backend.release.countDown();
    assertThat(running.get(60, TimeUnit.SECONDS).getOutputsCount()).isEqualTo(1);
    assertThat(queued.get(60, TimeUnit.SECONDS).getOutputs(0).getContents().getFp32ContentsList()).containsExactly(4f, 4f);
  }

  @Test
  void engineFailures_areInternal_thenTheOpenBreakerIsUnavailable() throws Exception {
    OipStubs.Blocking stub = start(RestConfig.newBuilder().breakerWindow(2).breakerMinCalls(2).cacheSize(0));
    backend.runFailure = new IllegalStateException("engine on fire");
    assertStatus(() -> stub.modelInfer(row(1, 1)), Status.Code.INTERNAL, "");
    assertStatus(() -> stub.modelInfer(row(1, 2)), Status.Code.INTERNAL, "");
    assertStatus(() -> stub.modelInfer(row(1, 3)), Status.Code.UNAVAILABLE, "");
  }

  @Test
  void close_drainsTheCallInFlight_refusesNewCalls_andReportsNotServing() throws Exception {
    OipStubs.Blocking stub = start(RestConfig.newBuilder().cacheSize(0));
    backend.entered = new CountDownLatch(1);
    backend.release = new CountDownLatch(1);
    assertThat(stub.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    OipStubs.Async async = OipStubs.async(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    CompletableFuture<ModelInferResponse> inFlight = new CompletableFuture<>();
    async.modelInfer(row(3, 4), observer(inFlight));
    assertThat(backend.entered.await(60, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Void> closing = CompletableFuture.runAsync(rest.service::close);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Status refused = null;
    while (refused == null && System.nanoTime() < end) {
      try {
        stub.check(HealthCheckRequest.getDefaultInstance());
        Thread.sleep(10); // poll interval of the wait loop for the shutdown to begin, not a wait for an effect
      } catch (StatusRuntimeException e) {
        refused = e.getStatus();
      }
    }
    assertThat(refused).as("a new call during shutdown").isNotNull();
    assertThat(refused.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(closing).isNotDone();
    backend.release.countDown();
    assertThat(inFlight.get(60, TimeUnit.SECONDS).getOutputs(0).getContents().getFp32ContentsList()).containsExactly(6f, 8f);
    closing.get(60, TimeUnit.SECONDS);
  }
}
