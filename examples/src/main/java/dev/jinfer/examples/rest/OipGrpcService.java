package dev.jinfer.examples.rest;

import dev.jinfer.CallOptions;
import dev.jinfer.CancelledException;
import dev.jinfer.Deadline;
import dev.jinfer.InferenceException;
import dev.jinfer.ModelNotFoundException;
import dev.jinfer.ModelSignature;
import dev.jinfer.examples.rest.health.HealthCheckRequest;
import dev.jinfer.examples.rest.health.HealthCheckResponse;
import dev.jinfer.examples.rest.oip.ModelInferRequest;
import dev.jinfer.examples.rest.oip.ModelInferResponse;
import dev.jinfer.examples.rest.oip.ModelMetadataRequest;
import dev.jinfer.examples.rest.oip.ModelMetadataResponse;
import dev.jinfer.examples.rest.oip.ModelReadyRequest;
import dev.jinfer.examples.rest.oip.ModelReadyResponse;
import dev.jinfer.examples.rest.oip.ServerLiveRequest;
import dev.jinfer.examples.rest.oip.ServerLiveResponse;
import dev.jinfer.examples.rest.oip.ServerMetadataRequest;
import dev.jinfer.examples.rest.oip.ServerMetadataResponse;
import dev.jinfer.examples.rest.oip.ServerReadyRequest;
import dev.jinfer.examples.rest.oip.ServerReadyResponse;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Open Inference Protocol's {@code inference.GRPCInferenceService} (and {@code grpc.health.v1.Health/Check})
 * on the service's registry and serving chains. The cheap RPCs are answered on the transport's event loop;
 * {@code ModelInfer} runs on a thread of the bounded call pool (or is refused RESOURCE_EXHAUSTED at once when
 * its threads and queue are full): the call's gRPC deadline becomes the jinfer {@link Deadline} of the predict
 * call, a cancelled call (client gone, deadline passed) interrupts the thread waiting in the batcher, which
 * withdraws the request if it is still queued, and failures map to status codes: INVALID_ARGUMENT (bad
 * input), NOT_FOUND (unknown model or version), RESOURCE_EXHAUSTED (a full queue), UNAVAILABLE (open breaker,
 * no ready version, shutting down), DEADLINE_EXCEEDED, CANCELLED, INTERNAL (engine failure). A call whose gRPC
 * context was cancelled while it ran ends DEADLINE_EXCEEDED or CANCELLED, whatever the interrupted code
 * threw.
 *
 * <p>Without a call pool ({@code --execution event-loop}) {@code ModelInfer} runs on the transport's event loop that
 * received it, with no thread hand-off: the gRPC deadline still becomes the jinfer deadline and a call that is
 * cancelled or past its deadline before it starts is not run (its deadline counts from when the event loop read it:
 * time it spent in the socket behind a running call is not seen), but a running call is not interrupted (the event loop's
 * thread is never interrupted; without a batcher there is no queue to withdraw from) and its answer is dropped if the
 * call was cancelled meanwhile; with no pool there is no pool-full RESOURCE_EXHAUSTED either (calls wait in HTTP/2 flow
 * control behind the one running). Thread-safe.
 */
final class OipGrpcService implements OipGrpc.Handler {
  private static final Logger LOG = LoggerFactory.getLogger(OipGrpcService.class);

  private final Inference inference;
  private final Duration breakerWait;
  private final @Nullable Executor calls;
  private final int threads;
  private final int queue;
  private final MeterRegistry meters;
  private final Map<String, Map<Status.Code, Timer>> timers = new ConcurrentHashMap<>();
  private volatile boolean shuttingDown;

  /**
   * @param inference the calls' way to the serving chains
   * @param config the breaker's wait (Retry-After), the pool's size and queue (for messages)
   * @param calls the bounded pool ModelInfer runs on; it throws RejectedExecutionException when full; null to run ModelInfer
   *     on the calling thread (the transport's event loop)
   * @param meters where the calls' timers go
   */
  OipGrpcService(Inference inference, RestConfig config, @Nullable Executor calls, MeterRegistry meters) {
    this.inference = inference;
    this.breakerWait = config.breakerWait();
    this.calls = calls;
    this.threads = config.httpThreads();
    this.queue = config.grpcQueue();
    this.meters = meters;
  }

  /** From now on the health check says NOT_SERVING (the server is draining). */
  void shuttingDown() {
    shuttingDown = true;
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> response) {
    answer("ServerLive", response, () -> ServerLiveResponse.newBuilder().setLive(true).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> response) {
    answer("ServerReady", response, () -> ServerReadyResponse.newBuilder().setReady(!shuttingDown && inference.isServerReady()).build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> response) {
    answer("ModelReady", response, () -> ModelReadyResponse.newBuilder()
        .setReady(inference.isReady(modelName(request.getName()), version(request.getVersion()))).build());
  }

  @Override
  public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> response) {
    answer("ServerMetadata", response, () -> ServerMetadataResponse.newBuilder().setName(OipServerInfo.NAME)
        .setVersion(OipServerInfo.version()).build());
  }

  @Override
  public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> response) {
    answer("ModelMetadata", response, () -> {
      String name = modelName(request.getName());
      ModelSignature sig = inference.resolve(name, version(request.getVersion())).predictor().signature();
      return ModelMetadataResponse.newBuilder().setName(name).addAllVersions(inference.readyVersions(name))
          .setPlatform(OipServerInfo.PLATFORM).addAllInputs(OipProto.metadata(sig.inputs()))
          .addAllOutputs(OipProto.metadata(sig.outputs())).build();
    });
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> response) {
    long start = System.nanoTime();
    Context context = Context.current(); // the call's: its deadline and cancellation, carried to the pool's thread
    Executor pool = calls;
    if (pool == null) { // --execution event-loop: here, on the transport's event loop, never interrupted
      answer("ModelInfer", start, response, () -> infer(request, context, false));
      return;
    }
    try {
      pool.execute(context.wrap(() -> answer("ModelInfer", start, response, () -> infer(request, context, true))));
    } catch (RejectedExecutionException e) {
      // on the event loop, at once: the pool's threads are all busy and its queue is full
      answer("ModelInfer", start, response, () -> {
        throw Status.RESOURCE_EXHAUSTED.withDescription("the server is busy: all " + threads + " gRPC threads are working and "
            + queue + " calls are waiting; retry later").asRuntimeException();
      });
    }
  }

  /**
   * Runs one call on this thread.
   *
   * @param interruptible whether a cancellation interrupts this thread (a pool's thread: ends a wait in the batcher); never
   *     an event loop's
   */
  private ModelInferResponse infer(ModelInferRequest request, Context context, boolean interruptible) {
    String name = modelName(request.getModelName());
    if (context.isCancelled()) { // cancelled, or its deadline passed, while it waited for a thread
      throw cancelled(context, "model '" + name + "': the call ended before it started").asRuntimeException();
    }
    io.grpc.Deadline grpcDeadline = context.getDeadline();
    Deadline deadline = null;
    if (grpcDeadline != null) {
      long nanos = grpcDeadline.timeRemaining(TimeUnit.NANOSECONDS);
      if (nanos <= 0) {
        throw Status.DEADLINE_EXCEEDED.withDescription("model '" + name + "': the call's deadline passed before it started")
            .asRuntimeException();
      }
      deadline = Deadline.after(Duration.ofNanos(nanos));
    }
    Deadline callDeadline = deadline;
    @Nullable CallThread thread = interruptible ? new CallThread() : null;
    Context.@Nullable CancellationListener onCancel = thread == null ? null : c -> thread.interrupt();
    if (onCancel != null) {
      context.addListener(onCancel, Runnable::run);
    }
    try {
      Inference.Result<OipProto.Request> r = inference.run(name, version(request.getModelVersion()),
          sig -> OipProto.parse(request, sig), (predictor, parsed) -> {
            CallOptions options = CallOptions.of(parsed.priority());
            return predictor.predict(parsed.inputs(), parsed.outputs(),
                callDeadline == null ? options : options.withDeadline(callDeadline));
          });
      return OipProto.response(r.served().id().name(), r.served().id().version(), request.getId(), r.outputs(), r.request().raw());
    } finally {
      if (thread != null && onCancel != null) {
        context.removeListener(onCancel);
        thread.done();
      }
    }
  }

  /** Answers {@code grpc.health.v1.Health/Check}: the server as a whole ("") or the inference service. */
  void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
    String service = request.getService();
    if (!service.isEmpty() && !service.equals(OipGrpc.SERVICE.getFullName())) {
      response.onError(Status.NOT_FOUND.withDescription("unknown service '" + service + "'; known: '' and '"
          + OipGrpc.SERVICE.getFullName() + "'").asRuntimeException());
      return;
    }
    boolean serving = !shuttingDown && inference.isServerReady();
    response.onNext(HealthCheckResponse.newBuilder().setStatus(serving ? HealthCheckResponse.ServingStatus.SERVING
        : HealthCheckResponse.ServingStatus.NOT_SERVING).build());
    response.onCompleted();
  }

  private static String modelName(String name) {
    if (name.isEmpty()) {
      throw ApiException.badRequest("model name: expected a model's name but got an empty string");
    }
    return name;
  }

  private static @Nullable String version(String version) {
    return version.isEmpty() ? null : version;
  }

  private <R> void answer(String method, StreamObserver<R> response, Supplier<R> call) {
    answer(method, System.nanoTime(), response, call);
  }

  private <R> void answer(String method, long start, StreamObserver<R> response, Supplier<R> call) {
    Status status;
    try {
      R value = call.get();
      if (response instanceof ServerCallStreamObserver<?> s && s.isCancelled()) {
        status = Status.CANCELLED;
      } else {
        response.onNext(value);
        response.onCompleted();
        status = Status.OK;
      }
    } catch (Throwable t) {
      status = status(t);
      Context context = Context.current();
      if (context.isCancelled() && status.getCode() != Status.Code.DEADLINE_EXCEEDED) {
        // the cancellation (the client gone, gRPC's deadline) interrupted the call's thread, and what the
        // interrupted code threw (jinfer's CancelledException, an engine's InterruptedException) is its consequence,
        // not a failure: the context says which it was (a CANCELLED from the interrupt may be gRPC's deadline)
        status = cancelled(context, "the call ended while it ran (" + status.getCode() + ": " + status.getDescription() + ")");
      }
      if (status.getCode() == Status.Code.INTERNAL) {
        LOG.warn("gRPC {} failed", method, t);
      }
      if (!(response instanceof ServerCallStreamObserver<?> s && s.isCancelled())) {
        response.onError(status.asRuntimeException());
      }
      if (t instanceof Error && !(t instanceof OutOfMemoryError)) {
        throw (Error) t;
      }
    }
    timer(method, status.getCode()).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  /** DEADLINE_EXCEEDED or CANCELLED, as gRPC cancelled the context, with a description. */
  private static Status cancelled(Context context, String why) {
    Status s = Contexts.statusFromCancelled(context);
    return (s == null ? Status.CANCELLED : s).withDescription(why);
  }

  /** The status of a failed call; the description is the message a REST client would get. */
  Status status(Throwable t) {
    if (t instanceof StatusRuntimeException) {
      return ((StatusRuntimeException) t).getStatus();
    }
    if (t instanceof CancellationException) {
      return Status.CANCELLED.withDescription("the call was cancelled while it waited: " + t.getMessage());
    }
    if (t instanceof CancelledException) { // jinfer's code CANCELLED: the call's thread was interrupted
      return Status.CANCELLED.withDescription(t.getMessage());
    }
    if (t instanceof IllegalStateException && shuttingDown) {
      return Status.UNAVAILABLE.withDescription("the server is shutting down: " + t.getMessage());
    }
    ApiException e = ApiException.of(t, breakerWait);
    Status s = switch (e.status()) {
      case 400 -> Status.INVALID_ARGUMENT;
      case 404 -> Status.NOT_FOUND;
      case 413, 429 -> Status.RESOURCE_EXHAUSTED;
      case RestHandler.CLIENT_GONE -> Status.CANCELLED;
      case 503 -> Status.UNAVAILABLE;
      case 504 -> Status.DEADLINE_EXCEEDED;
      default -> Status.INTERNAL;
    };
    String message = e.getMessage();
    if (s == Status.INTERNAL && !(t instanceof InferenceException) && !(t instanceof ModelNotFoundException)) {
      message = e.code() + ": " + message;
    }
    return s.withDescription(message);
  }

  private Timer timer(String method, Status.Code code) {
    Map<Status.Code, Timer> byCode = timers.computeIfAbsent(method, m -> new ConcurrentHashMap<>());
    Timer t = byCode.get(code);
    if (t == null) {
      t = byCode.computeIfAbsent(code, c -> Timer.builder("grpc.server.processing.duration")
          .description("gRPC calls of the Open Inference Protocol service, from the handler's start to the answer")
          .tag("service", OipGrpc.SERVICE.getFullName())
          .tag("method", method)
          .tag("statusCode", c.name())
          .register(meters));
    }
    return t;
  }

  /**
   * The thread running one call, interrupted if the call is cancelled while it runs (so that a wait in the
   * batcher ends and withdraws the queued request), and never after {@link #done()}.
   */
  private static final class CallThread {
    private @Nullable Thread thread = Thread.currentThread();

    synchronized void interrupt() {
      if (thread != null) {
        thread.interrupt();
      }
    }

    synchronized void done() {
      thread = null;
      Thread.interrupted(); // a cancellation that came late must not leak into the executor's next task
    }
  }
}
