package dev.jinfer.examples.rest;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The service's gRPC server (grpc-java on Netty, its own port): the Open Inference Protocol's
 * {@code inference.GRPCInferenceService} and {@code grpc.health.v1.Health}, with messages up to the body
 * limit (larger ones are refused with RESOURCE_EXHAUSTED before they are parsed).
 *
 * <p>gRPC runs its handlers on the transport's event loops ({@code directExecutor}): the cheap RPCs (health,
 * liveness, readiness, metadata) are answered there, and {@code ModelInfer} is handed to a bounded pool of
 * {@code --http-threads} threads with a queue of {@code --grpc-queue} calls; a call beyond that is answered
 * RESOURCE_EXHAUSTED at once from the event loop, never queued without bound. With {@code --execution event-loop}
 * there is no pool: {@code ModelInfer} runs on the event loop too (see {@link OipGrpcService}). Thread-safe.
 */
final class GrpcEndpoint {
  /** The prefix of the gRPC call threads' names. */
  static final String THREAD_PREFIX = "jinfer-grpc-";

  private final Server server;
  private final @Nullable ExecutorService executor;
  private final OipGrpcService service;

  private GrpcEndpoint(Server server, @Nullable ExecutorService executor, OipGrpcService service) {
    this.server = server;
    this.executor = executor;
    this.service = service;
  }

  /**
   * Binds and starts the server on {@code config.host()} and {@code config.grpcPort()}.
   *
   * @throws UncheckedIOException if the port cannot be bound
   */
  static GrpcEndpoint start(RestConfig config, Inference inference, MeterRegistry meters) {
    ThreadPoolExecutor executor = config.inferenceOnEventLoop() ? null : pool(config, meters);
    OipGrpcService service = new OipGrpcService(inference, config, executor, meters);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.grpcPort()),
            InsecureServerCredentials.create())
        .directExecutor()
        .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, config.bodyLimitBytes()))
        .addService(OipGrpc.bind(service))
        .addService(OipGrpc.bindHealth(service::check))
        .build();
    try {
      server.start();
    } catch (IOException e) {
      if (executor != null) {
        executor.shutdownNow();
      }
      throw new UncheckedIOException("cannot listen for gRPC on " + config.host() + ":" + config.grpcPort() + ": " + e.getMessage(), e);
    }
    return new GrpcEndpoint(server, executor, service);
  }

  private static ThreadPoolExecutor pool(RestConfig config, MeterRegistry meters) {
    AtomicInteger n = new AtomicInteger();
    // bounded: gRPC itself never sees this pool (its executor is direct), so a full queue is the service's own
    // refusal (RESOURCE_EXHAUSTED from the event loop), not a task gRPC could not schedule
    int queue = config.grpcQueue();
    ThreadPoolExecutor executor = new ThreadPoolExecutor(config.httpThreads(), config.httpThreads(), 60, TimeUnit.SECONDS,
        queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue), r -> {
          Thread t = new Thread(r, THREAD_PREFIX + n.getAndIncrement());
          t.setDaemon(true);
          return t;
        });
    Gauge.builder("jinfer.grpc.queue.depth", executor, e -> e.getQueue().size())
        .description("gRPC inference calls waiting for a gRPC thread (at most --grpc-queue)").register(meters);
    return executor;
  }

  int port() {
    return server.getPort();
  }

  /** Health turns NOT_SERVING, new calls are refused (UNAVAILABLE), calls in flight go on. */
  void shutdown() {
    service.shuttingDown();
    server.shutdown();
  }

  /** Waits for the calls in flight, up to the timeout, then cancels the rest. */
  void awaitTermination(Duration timeout) throws InterruptedException {
    if (!server.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      server.shutdownNow();
      server.awaitTermination(1, TimeUnit.SECONDS);
    }
    if (executor != null) {
      executor.shutdown();
      executor.awaitTermination(1, TimeUnit.SECONDS);
    }
  }

  /** Stops at once, cancelling calls in flight. */
  void stopNow() {
    service.shuttingDown();
    server.shutdownNow();
    if (executor != null) {
      executor.shutdownNow();
    }
  }
}
