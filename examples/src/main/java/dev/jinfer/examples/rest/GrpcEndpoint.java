package dev.jinfer.examples.rest;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service's gRPC server (grpc-java on Netty, its own port): the Open Inference Protocol's
 * {@code inference.GRPCInferenceService} and {@code grpc.health.v1.Health}, with messages up to the body
 * limit (larger ones are refused with RESOURCE_EXHAUSTED before they are parsed) and calls run on
 * {@code --http-threads} threads of their own. Thread-safe.
 */
final class GrpcEndpoint {
  /** The prefix of the gRPC call threads' names. */
  static final String THREAD_PREFIX = "jinfer-grpc-";

  private final Server server;
  private final ExecutorService executor;
  private final OipGrpcService service;

  private GrpcEndpoint(Server server, ExecutorService executor, OipGrpcService service) {
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
    AtomicInteger n = new AtomicInteger();
    // unbounded: gRPC must not have a call rejected by its executor; the work in flight is bounded by the
    // threads, and the batcher's queue answers RESOURCE_EXHAUSTED beyond its capacity
    ThreadPoolExecutor executor = new ThreadPoolExecutor(config.httpThreads(), config.httpThreads(), 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, THREAD_PREFIX + n.getAndIncrement());
          t.setDaemon(true);
          return t;
        });
    OipGrpcService service = new OipGrpcService(inference, config.breakerWait(), meters);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.grpcPort()),
            InsecureServerCredentials.create())
        .executor(executor)
        .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, config.bodyLimitBytes()))
        .addService(OipGrpc.bind(service))
        .addService(OipGrpc.bindHealth(service::check))
        .build();
    try {
      server.start();
    } catch (IOException e) {
      executor.shutdownNow();
      throw new UncheckedIOException("cannot listen for gRPC on " + config.host() + ":" + config.grpcPort() + ": " + e.getMessage(), e);
    }
    return new GrpcEndpoint(server, executor, service);
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
    executor.shutdown();
    executor.awaitTermination(1, TimeUnit.SECONDS);
  }

  /** Stops at once, cancelling calls in flight. */
  void stopNow() {
    service.shuttingDown();
    server.shutdownNow();
    executor.shutdownNow();
  }
}
