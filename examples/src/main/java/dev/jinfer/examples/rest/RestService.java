package dev.jinfer.examples.rest;

import dev.jinfer.LoadOptions;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.RegistryStatus;
import dev.jinfer.registry.VersionPolicy;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP service that serves a jinfer model repository: predictions, signatures, health and Prometheus
 * metrics, on a Netty HTTP/1.1 server ({@link HttpEndpoint}) and, with {@code --grpc-port}, the Open Inference
 * Protocol over gRPC. Each model version is served through a cache, a
 * circuit breaker and a batcher (see {@link Pipelines}); the {@link ModelRegistry} loads the repository,
 * watches it and swaps versions without failing a request.
 *
 * <pre>{@code
 * java -jar examples/target/rest-service.jar --models /srv/models --port 8080
 * }</pre>
 *
 * <p>{@link #start(RestConfig)} returns a running service; {@link #close()} stops accepting, waits for the
 * requests in progress (up to a few seconds), drains the batchers and closes every model. Thread-safe.
 */
public final class RestService implements AutoCloseable {
  /** The prefix of the HTTP worker threads' names. */
  static final String HTTP_THREAD_PREFIX = "jinfer-rest-http-";

  private final RestConfig config;
  private final HttpEndpoint server;
  private final @Nullable ThreadPoolExecutor httpExecutor;
  private final ModelRegistry registry;
  private final Pipelines pipelines;
  private final PrometheusMeterRegistry prometheus;
  private final @Nullable Path tempRepository;
  private final @Nullable GrpcEndpoint grpc;
  private final Object closeLock = new Object();
  private boolean closed;

  private RestService(RestConfig config, HttpEndpoint server, @Nullable ThreadPoolExecutor httpExecutor, ModelRegistry registry,
      Pipelines pipelines, PrometheusMeterRegistry prometheus, @Nullable Path tempRepository, @Nullable GrpcEndpoint grpc) {
    this.config = config;
    this.server = server;
    this.httpExecutor = httpExecutor;
    this.registry = registry;
    this.pipelines = pipelines;
    this.prometheus = prometheus;
    this.tempRepository = tempRepository;
    this.grpc = grpc;
  }

  /**
   * Runs the service until the JVM is stopped (SIGTERM or Ctrl-C close it cleanly).
   *
   * @param args flags, see {@code --help}
   */
  public static void main(String[] args) {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.println("java -jar rest-service.jar [--flag value]...  (each flag also reads JINFER_<FLAG>, e.g. JINFER_PORT)");
      RestConfig.FLAGS.forEach((flag, help) -> System.out.printf("  %-28s %s%n", flag, help));
      return;
    }
    RestConfig config;
    try {
      config = RestConfig.parse(List.of(args), System.getenv());
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("rest-service: " + e.getMessage() + " (see --help)");
      System.exit(2);
      return;
    }
    RestService service;
    try {
      service = start(config);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      System.err.println("rest-service: " + e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(service::close, "jinfer-rest-shutdown"));
    RegistryStatus status = service.registry.status();
    System.out.println("jinfer REST service listening on http://" + config.host() + ":" + service.port()
        + (service.grpc == null ? "" : " and gRPC " + config.host() + ":" + service.grpcPort())
        + " (repository " + service.registry.repository() + ", ready=" + (status.isReady() && !status.models().isEmpty())
        + ", transport=" + service.server.transport() + ")");
    System.out.println("  " + config);
  }

  /**
   * Starts the HTTP server first (so that liveness answers and readiness says 503 while models load), then
   * the model registry, which loads the repository before this returns.
   *
   * @param config the configuration
   * @return the running service, owned by the caller
   * @throws UncheckedIOException if the port cannot be bound or the bundled model cannot be unpacked
   * @throws IllegalArgumentException if the repository is not a directory, or no class path entry holds a classpath one
   */
  public static RestService start(RestConfig config) {
    Path temp = null;
    Path root = null;
    if (config.models().isPresent()) {
      root = config.models().get();
    } else if (config.classpathModels().isEmpty()) {
      temp = bundledRepository();
      root = temp;
    }
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Before the binders (a filter acts on meters registered after it): promtool's lint flags these two
    // binder meters' names (process_cpu_time_ns_total: an abbreviated unit; system_cpu_count: a _count suffix
    // on a gauge). CPU stays visible in process_cpu_usage and system_cpu_usage.
    prometheus.config().meterFilter(MeterFilter.deny(
        id -> id.getName().equals("process.cpu.time") || id.getName().equals("system.cpu.count")));
    new JvmMemoryMetrics().bindTo(prometheus);
    new JvmThreadMetrics().bindTo(prometheus);
    new ProcessorMetrics().bindTo(prometheus);
    LoadOptions.Builder load = LoadOptions.newBuilder().intraOpThreads(config.intraOpThreads()).meterRegistry(prometheus);
    if (config.sessions() > 0) {
      load.property("onnx.sessions", Integer.toString(config.sessions()));
    }
    ModelRegistry.Builder rb = (root != null ? ModelRegistry.newBuilder(root) : ModelRegistry.newClasspathBuilder(config.classpathModels().orElseThrow()))
        .loadOptions(load.build()).meterRegistry(prometheus)
        .defaultPolicy(VersionPolicy.latest(config.keepVersions()));
    config.pollInterval().ifPresent(rb::pollInterval);
    config.backends().ifPresent(rb::backends);
    ModelRegistry registry = rb.build();
    Pipelines pipelines = null;
    ThreadPoolExecutor http = null;
    HttpEndpoint server = null;
    GrpcEndpoint grpc = null;
    try {
      pipelines = new Pipelines(registry, config, prometheus);
      // --execution event-loop: no request threads, each request runs on the event loop that read it
      http = config.inferenceOnEventLoop() ? null : pool(HTTP_THREAD_PREFIX, config.httpThreads(), config.httpQueue());
      // a full pool and queue reject at once: the event loop then answers 503 with Retry-After (HttpEndpoint)
      server = HttpEndpoint.start(config, new RestHandler(registry, pipelines, config, prometheus), http);
      if (config.grpcPort() >= 0) {
        grpc = GrpcEndpoint.start(config, new Inference(registry, pipelines), prometheus);
      }
      RegistryStatus status = registry.start();
      for (ModelStatus m : status.models()) {
        if (m.isReady()) {
          pipelines.resolve(m.name(), null); // builds the chain now rather than on the first request
        }
      }
      return new RestService(config, server, http, registry, pipelines, prometheus, temp, grpc);
    } catch (RuntimeException e) {
      if (server != null) {
        server.close(Duration.ZERO);
      }
      if (grpc != null) {
        grpc.stopNow();
      }
      if (pipelines != null) {
        pipelines.close();
      }
      if (http != null) {
        http.shutdownNow();
      }
      registry.close();
      deleteQuietly(temp);
      throw e;
    }
  }

  private static ThreadPoolExecutor pool(String prefix, int threads, int queue) {
    AtomicInteger n = new AtomicInteger();
    BlockingQueue<Runnable> q = queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue);
    return new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, q, r -> {
      Thread t = new Thread(r, prefix + n.getAndIncrement());
      t.setDaemon(true);
      return t;
    });
  }

  /** Unpacks the bundled fraud model into a temporary repository {@code <tmp>/fraud/1/model.onnx}. */
  static Path bundledRepository() {
    try {
      Path root = Files.createTempDirectory("jinfer-rest-models");
      Path version = Files.createDirectories(root.resolve("fraud").resolve("1"));
      try (InputStream in = RestService.class.getResourceAsStream("/models/fraud.onnx")) {
        if (in == null) {
          throw new IllegalStateException("the bundled model /models/fraud.onnx is not on the classpath; pass --models <dir>");
        }
        Files.copy(in, version.resolve("model.onnx"), StandardCopyOption.REPLACE_EXISTING);
      }
      return root;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack the bundled fraud model: " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(@Nullable Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is harmless
    }
  }

  /** @return the port the server listens on (the chosen one when configured with port 0) */
  public int port() {
    return server.port();
  }

  /** @return HTTP client connections open now, as the server has seen them */
  int openHttpConnections() {
    return server.openConnections();
  }

  /**
   * @return the port of the Open Inference Protocol's gRPC server (the chosen one when configured with port 0)
   * @throws IllegalStateException if the service runs no gRPC server ({@code --grpc-port} not set)
   */
  public int grpcPort() {
    if (grpc == null) {
      throw new IllegalStateException("the service runs no gRPC server; start it with --grpc-port");
    }
    return grpc.port();
  }

  /** @return the model registry the service serves, owned by the service */
  public ModelRegistry registry() {
    return registry;
  }

  /** @return the configuration the service runs with */
  public RestConfig config() {
    return config;
  }

  /** @return the meter registry behind {@code /metrics} */
  public PrometheusMeterRegistry meters() {
    return prometheus;
  }

  /**
   * Stops accepting connections and gRPC calls (gRPC health turns NOT_SERVING), answers 503 to requests that arrive on open
   * connections, lets requests in progress finish (up to 5 s for the HTTP threads, then the connections are closed; with
   * {@code --execution event-loop} a request in progress on an event loop ends before its loop stops; and 5 s for gRPC calls,
   * which are then cancelled), drains the batchers, closes every model and deletes the temporary repository if one was made.
   * Idempotent.
   */
  @Override
  public void close() {
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (grpc != null) {
      grpc.shutdown(); // health says NOT_SERVING, no new calls; calls in flight go on while HTTP stops
    }
    server.stopAccepting();
    server.drain(); // requests still arriving on open connections are answered 503
    try {
      if (httpExecutor != null) {
        httpExecutor.shutdown(); // the same for requests handed to the pool from now on
        httpExecutor.awaitTermination(5, TimeUnit.SECONDS);
      }
      // on the event loops (--execution event-loop), requests in progress finish before server.close below stops them
      if (grpc != null) {
        grpc.awaitTermination(Duration.ofSeconds(5));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (grpc != null) {
        grpc.stopNow();
      }
    }
    server.close(Duration.ofSeconds(1));
    pipelines.close();
    registry.close();
    prometheus.close();
    deleteQuietly(tempRepository);
  }
}
