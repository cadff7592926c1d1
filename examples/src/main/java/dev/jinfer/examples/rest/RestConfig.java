package dev.jinfer.examples.rest;

import dev.jinfer.Backends;
import dev.jinfer.LoadOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The settings of a {@link RestService}: where it listens, which repository it serves, and the batching,
 * cache, circuit-breaker, engine-thread and HTTP limits of every model. Every setting has a command-line
 * flag ({@code --port 8080}) and an environment variable ({@code JINFER_PORT=8080}); a flag wins over the
 * variable, the variable over the default. Immutable, so thread-safe.
 */
public final class RestConfig {
  /** The port the service listens on by default, and the one the Kubernetes manifests and Dockerfile use. */
  public static final int DEFAULT_PORT = 8080;
  /**
   * The default listen backlog: enough for a burst of 1,000 new connections to wait for the acceptor rather than
   * be dropped by the kernel (Linux caps it at {@code net.core.somaxconn}, 4096 by default since 5.4).
   */
  public static final int DEFAULT_BACKLOG = 2048;

  /** The flags, their environment variables and their meaning, for {@code --help} and the README. */
  static final Map<String, String> FLAGS = flags();
  private static final String CLASSPATH = "classpath:";

  private final String host;
  private final int port;
  private final @Nullable Path models;
  private final @Nullable String classpathModels;
  private final @Nullable Duration pollInterval;
  private final int httpThreads;
  private final int httpQueue;
  private final long bodyLimitBytes;
  private final int batchMaxSize;
  private final @Nullable Duration batchDelay;
  private final Duration batchLatencyTarget;
  private final int batchQueue;
  private final int batchWorkers;
  private final long cacheSize;
  private final int breakerWindow;
  private final int breakerMinCalls;
  private final double breakerFailureRate;
  private final Duration breakerWait;
  private final int intraOpThreads;
  private final int sessions;
  private final @Nullable Backends backends;
  private final int keepVersions;
  private final int grpcPort;
  private final int grpcQueue;
  private final int backlog;
  private final Duration readTimeout;
  private final Duration idleTimeout;
  private final int ioThreads;
  private final boolean inferenceOnEventLoop;

  private RestConfig(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.models = b.models;
    this.classpathModels = b.classpathModels;
    this.pollInterval = b.pollInterval;
    this.httpThreads = b.httpThreads;
    this.httpQueue = b.httpQueue;
    this.bodyLimitBytes = b.bodyLimitBytes;
    this.batchMaxSize = b.batchMaxSize;
    this.batchDelay = b.batchDelay;
    this.batchLatencyTarget = b.batchLatencyTarget;
    this.batchQueue = b.batchQueue;
    this.batchWorkers = b.batchWorkers;
    this.cacheSize = b.cacheSize;
    this.breakerWindow = b.breakerWindow;
    this.breakerMinCalls = b.breakerMinCalls;
    this.breakerFailureRate = b.breakerFailureRate;
    this.breakerWait = b.breakerWait;
    this.intraOpThreads = b.intraOpThreads;
    this.sessions = b.sessions;
    this.backends = b.backends;
    this.keepVersions = b.keepVersions;
    this.grpcPort = b.grpcPort;
    this.grpcQueue = b.grpcQueue;
    this.backlog = b.backlog;
    this.readTimeout = b.readTimeout;
    this.idleTimeout = b.idleTimeout;
    // unset: half the CPUs with request threads (the loops only do I/O), every CPU when the loops run inference too
    this.ioThreads = b.ioThreads > 0 ? b.ioThreads
        : b.inferenceOnEventLoop ? Math.max(1, LoadOptions.availableCpus()) : Math.max(1, LoadOptions.availableCpus() / 2);
    this.inferenceOnEventLoop = b.inferenceOnEventLoop;
  }

  private static Map<String, String> flags() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("--host", "address to bind (default 0.0.0.0)");
    m.put("--port", "TCP port; 0 picks a free one, printed at start (default " + DEFAULT_PORT + ")");
    m.put("--models", "model repository <dir>/<name>/<version>/<artifact>, or classpath:<location> for one packaged as classpath"
        + " resources (read once, not rescanned) (default: a temporary one holding the bundled fraud model)");
    m.put("--poll-ms", "rescan the repository this often for new versions; 0 = never (default 5000)");
    m.put("--http-threads", "threads serving requests (default 2 x CPUs, at least 4)");
    m.put("--http-queue", "complete requests waiting for a thread; beyond, 503 at once (default 256)");
    m.put("--body-limit", "largest request body in bytes; beyond, 413 (default 4194304)");
    m.put("--batch-max-size", "rows per engine call; 0 (the default) turns batching off: see README, Benchmark");
    m.put("--batch-delay-ms", "fixed batching window in ms; unset = adaptive batching (default unset)");
    m.put("--batch-latency-target-ms", "adaptive batching's latency target in ms (default 5)");
    m.put("--batch-queue", "requests queued per model; beyond, 429 (default 1024)");
    m.put("--batch-workers", "batches in flight per model (default: the engine sessions)");
    m.put("--cache-size", "cached predictions per model; 0 turns the cache off (default 10000)");
    m.put("--breaker-window", "calls the circuit breaker judges (default 20)");
    m.put("--breaker-min-calls", "calls before the breaker may open (default 10)");
    m.put("--breaker-failure-rate", "failure percentage that opens the breaker (default 50)");
    m.put("--breaker-wait-ms", "how long an open breaker refuses calls (default 10000)");
    m.put("--intra-op-threads", "engine threads per model version, split across its sessions (default: CPUs)");
    m.put("--sessions", "ONNX Runtime sessions per model version (default: CPUs, at most 4)");
    m.put("--keep-versions", "newest versions of each model kept loaded and servable by version (default 1)");
    m.put("--grpc-port", "port of the Open Inference Protocol's gRPC server; 0 picks a free one; -1 = no gRPC server (default -1)");
    m.put("--grpc-queue", "gRPC inference calls waiting for one of the --http-threads gRPC threads; beyond, RESOURCE_EXHAUSTED at once"
        + " (default 256)");
    m.put("--backlog", "connections the kernel queues before the server accepts them (default " + DEFAULT_BACKLOG
        + "; the kernel caps it at net.core.somaxconn)");
    m.put("--read-timeout-ms", "longest wait for the rest of a request once its first byte came; then 408 and close (default 10000)");
    m.put("--idle-timeout-ms", "an idle keep-alive connection is closed after this (default 60000)");
    m.put("--io-threads", "Netty event-loop threads: accept, read, parse HTTP, answer probes (default: half the CPUs, at least 1;"
        + " with --execution event-loop, the CPUs)");
    m.put("--execution", "where inference runs: pool (the --http-threads request threads; default) or event-loop (on the I/O thread that"
        + " read the request, HTTP and gRPC ModelInfer: no thread hand-off, for models of microseconds; a slow call delays every"
        + " connection of its event loop; needs --batch-max-size 0)");
    return java.util.Collections.unmodifiableMap(m); // in declaration order, for --help
  }

  /**
   * A builder with every default.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Reads the flags, falling back to the environment ({@code --batch-max-size} is {@code JINFER_BATCH_MAX_SIZE}).
   *
   * @param args {@code --flag value} pairs, or {@code --flag=value}
   * @param env the environment, usually {@link System#getenv()}
   * @return the configuration
   * @throws IllegalArgumentException naming the flag, for an unknown flag, a missing or malformed value
   */
  public static RestConfig parse(List<String> args, Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String flag : FLAGS.keySet()) {
      String var = "JINFER_" + flag.substring(2).replace('-', '_').toUpperCase(Locale.ROOT);
      String v = env.get(var);
      if (v != null && !v.isBlank()) {
        values.put(flag, v.trim());
      }
    }
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String flag = a;
      String value;
      int eq = a.indexOf('=');
      if (eq > 0) {
        flag = a.substring(0, eq);
        value = a.substring(eq + 1);
      } else {
        if (!FLAGS.containsKey(flag)) {
          throw new IllegalArgumentException("unknown option '" + a + "'; options: " + FLAGS.keySet());
        }
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException(flag + " needs a value");
        }
        value = args.get(++i);
      }
      if (!FLAGS.containsKey(flag)) {
        throw new IllegalArgumentException("unknown option '" + flag + "'; options: " + FLAGS.keySet());
      }
      values.put(flag, value);
    }
    Builder b = newBuilder();
    values.forEach((flag, value) -> apply(b, flag, value));
    return b.build();
  }

  private static void apply(Builder b, String flag, String v) {
    switch (flag) {
      case "--host":
        b.host(v);
        break;
      case "--port":
        b.port(integer(flag, v));
        break;
      case "--models":
        if (v.regionMatches(true, 0, CLASSPATH, 0, CLASSPATH.length())) {
          b.classpathModels(v.substring(CLASSPATH.length()));
        } else {
          b.models(Path.of(v));
        }
        break;
      case "--poll-ms":
        long poll = number(flag, v);
        b.pollInterval(poll == 0 ? null : Duration.ofMillis(poll));
        break;
      case "--http-threads":
        b.httpThreads(integer(flag, v));
        break;
      case "--http-queue":
        b.httpQueue(integer(flag, v));
        break;
      case "--body-limit":
        b.bodyLimitBytes(number(flag, v));
        break;
      case "--batch-max-size":
        b.batchMaxSize(integer(flag, v));
        break;
      case "--batch-delay-ms":
        b.batchDelay(Duration.ofMillis(number(flag, v)));
        break;
      case "--batch-latency-target-ms":
        b.batchLatencyTarget(Duration.ofMillis(number(flag, v)));
        break;
      case "--batch-queue":
        b.batchQueue(integer(flag, v));
        break;
      case "--batch-workers":
        b.batchWorkers(integer(flag, v));
        break;
      case "--cache-size":
        b.cacheSize(number(flag, v));
        break;
      case "--breaker-window":
        b.breakerWindow(integer(flag, v));
        break;
      case "--breaker-min-calls":
        b.breakerMinCalls(integer(flag, v));
        break;
      case "--breaker-failure-rate":
        try {
          b.breakerFailureRate(Double.parseDouble(v));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(flag + " must be a number but was '" + v + "'", e);
        }
        break;
      case "--breaker-wait-ms":
        b.breakerWait(Duration.ofMillis(number(flag, v)));
        break;
      case "--intra-op-threads":
        b.intraOpThreads(integer(flag, v));
        break;
      case "--sessions":
        b.sessions(integer(flag, v));
        break;
      case "--keep-versions":
        b.keepVersions(integer(flag, v));
        break;
      case "--grpc-port":
        b.grpcPort(integer(flag, v));
        break;
      case "--grpc-queue":
        b.grpcQueue(integer(flag, v));
        break;
      case "--backlog":
        b.backlog(integer(flag, v));
        break;
      case "--read-timeout-ms":
        b.readTimeout(Duration.ofMillis(number(flag, v)));
        break;
      case "--idle-timeout-ms":
        b.idleTimeout(Duration.ofMillis(number(flag, v)));
        break;
      case "--io-threads":
        b.ioThreads(integer(flag, v));
        break;
      case "--execution":
        b.inferenceOnEventLoop(execution(flag, v));
        break;
      default:
        throw new AssertionError(flag);
    }
  }

  private static boolean execution(String flag, String v) {
    switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "pool":
        return false;
      case "event-loop":
        return true;
      default:
        throw new IllegalArgumentException(flag + " must be 'pool' or 'event-loop' but was '" + v + "'");
    }
  }

  private static long number(String flag, String v) {
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " must be a whole number but was '" + v + "'", e);
    }
  }

  private static int integer(String flag, String v) {
    long n = number(flag, v);
    if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(flag + " is out of range: " + v);
    }
    return (int) n;
  }

  /** @return how many of each model's newest versions stay loaded */
  public int keepVersions() {
    return keepVersions;
  }

  /** @return the gRPC server's port (0: a free one), or -1 for no gRPC server */
  public int grpcPort() {
    return grpcPort;
  }

  /** @return gRPC inference calls that may wait for a gRPC thread; beyond, RESOURCE_EXHAUSTED at once */
  public int grpcQueue() {
    return grpcQueue;
  }

  /** @return the address to bind */
  public String host() {
    return host;
  }

  /** @return the port; 0 means a free one */
  public int port() {
    return port;
  }

  /**
   * @return the repository root, or empty for a classpath repository ({@link #classpathModels()}) or a
   *     temporary repository holding the bundled fraud model
   */
  public Optional<Path> models() {
    return Optional.ofNullable(models);
  }

  /** @return the resource directory of a repository packaged as classpath resources, e.g. {@code models/}; empty if none */
  public Optional<String> classpathModels() {
    return Optional.ofNullable(classpathModels);
  }

  /** @return how often the repository is rescanned, or empty for never */
  public Optional<Duration> pollInterval() {
    return Optional.ofNullable(pollInterval);
  }

  /** @return threads serving HTTP requests */
  public int httpThreads() {
    return httpThreads;
  }

  /** @return requests that may wait for an HTTP thread */
  public int httpQueue() {
    return httpQueue;
  }

  /** @return the largest accepted request body, in bytes */
  public long bodyLimitBytes() {
    return bodyLimitBytes;
  }

  /** @return rows per engine call; 0 when batching is off */
  public int batchMaxSize() {
    return batchMaxSize;
  }

  /** @return the fixed batching window, or empty for adaptive batching */
  public Optional<Duration> batchDelay() {
    return Optional.ofNullable(batchDelay);
  }

  /** @return the adaptive batcher's latency target */
  public Duration batchLatencyTarget() {
    return batchLatencyTarget;
  }

  /** @return requests the batcher queues per model */
  public int batchQueue() {
    return batchQueue;
  }

  /** @return batches in flight per model, 0 for the engine's session count */
  public int batchWorkers() {
    return batchWorkers;
  }

  /** @return cached predictions per model; 0 when the cache is off */
  public long cacheSize() {
    return cacheSize;
  }

  /** @return calls in the breaker's sliding window */
  public int breakerWindow() {
    return breakerWindow;
  }

  /** @return calls before the breaker may open */
  public int breakerMinCalls() {
    return breakerMinCalls;
  }

  /** @return the failure percentage that opens the breaker */
  public double breakerFailureRate() {
    return breakerFailureRate;
  }

  /** @return how long an open breaker refuses calls */
  public Duration breakerWait() {
    return breakerWait;
  }

  /** @return the listen backlog: connections the kernel queues before the server accepts them */
  public int backlog() {
    return backlog;
  }

  /** @return the longest wait for the rest of a request (headers and body) once its first byte came */
  public Duration readTimeout() {
    return readTimeout;
  }

  /** @return how long an idle keep-alive connection stays open */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** @return the HTTP server's event-loop threads */
  public int ioThreads() {
    return ioThreads;
  }

  /**
   * @return whether inference runs on the I/O event-loop thread that read the request ({@code --execution event-loop}),
   *     for HTTP and gRPC {@code ModelInfer}, rather than on the request threads ({@code --execution pool}, the default)
   */
  public boolean inferenceOnEventLoop() {
    return inferenceOnEventLoop;
  }

  /** @return engine intra-op threads per model version */
  public int intraOpThreads() {
    return intraOpThreads;
  }

  /** @return ONNX Runtime sessions per model version, 0 for the backend's default */
  public int sessions() {
    return sessions;
  }

  /** @return the backends to load with, or empty for {@link Backends#discover()} */
  public Optional<Backends> backends() {
    return Optional.ofNullable(backends);
  }

  @Override
  public String toString() {
    return "RestConfig[" + host + ":" + port + ", models=" + (classpathModels != null ? CLASSPATH + classpathModels
        : models == null ? "<bundled fraud model>" : models)
        + ", poll=" + pollInterval + ", httpThreads=" + httpThreads + ", bodyLimit=" + bodyLimitBytes
        + ", batchMaxSize=" + batchMaxSize + (batchDelay != null ? ", batchDelay=" + batchDelay : ", batchLatencyTarget=" + batchLatencyTarget)
        + ", batchQueue=" + batchQueue + ", batchWorkers=" + batchWorkers + ", cacheSize=" + cacheSize
        + ", breaker=" + breakerFailureRate + "% of " + breakerWindow + " (min " + breakerMinCalls + "), wait " + breakerWait
        + ", intraOpThreads=" + intraOpThreads + ", sessions=" + (sessions == 0 ? "default" : sessions) + ", keepVersions=" + keepVersions
        + ", grpcPort=" + (grpcPort < 0 ? "off" : grpcPort + ", grpcQueue=" + grpcQueue) + ", backlog=" + backlog + ", readTimeout=" + readTimeout
        + ", idleTimeout=" + idleTimeout + ", ioThreads=" + ioThreads + ", execution=" + (inferenceOnEventLoop ? "event-loop" : "pool") + "]";
  }

  /** Builds a {@link RestConfig}; each setter checks its value and names the option. Not thread-safe. */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int port = DEFAULT_PORT;
    private @Nullable Path models;
    private @Nullable String classpathModels;
    private @Nullable Duration pollInterval = Duration.ofSeconds(5);
    private int httpThreads = Math.max(4, 2 * LoadOptions.availableCpus());
    private int httpQueue = 256;
    private long bodyLimitBytes = 4L << 20;
    // off: with the service's blocking request threads, batching pays only for models whose per-row engine time
    // falls by more than the batcher's hand-off (13-15 us) when batched; not the bundled fraud model (README, Benchmark)
    private int batchMaxSize = 0;
    private @Nullable Duration batchDelay;
    private Duration batchLatencyTarget = Duration.ofMillis(5);
    private int batchQueue = 1024;
    private int batchWorkers;
    private long cacheSize = dev.jinfer.serving.ServingChain.DEFAULT_CACHE_SIZE;
    private int breakerWindow = 20;
    private int breakerMinCalls = 10;
    private double breakerFailureRate = 50;
    private Duration breakerWait = Duration.ofSeconds(10);
    private int intraOpThreads = LoadOptions.availableCpus();
    private int sessions;
    private @Nullable Backends backends;
    private int keepVersions = 1;
    private int grpcPort = -1;
    private int grpcQueue = 256;
    private int backlog = DEFAULT_BACKLOG;
    private Duration readTimeout = Duration.ofSeconds(10);
    private Duration idleTimeout = Duration.ofSeconds(60);
    // half the CPUs: on 2 CPUs one event loop left the request threads and the engine a core and served 28% more
    // requests at 16 clients than two (README, Benchmark)
    private int ioThreads; // 0: the default, which depends on inferenceOnEventLoop
    private boolean inferenceOnEventLoop;

    private Builder() {}

    /**
     * @param connections the listen backlog, at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder backlog(int connections) {
      this.backlog = atLeast("backlog", connections, 1);
      return this;
    }

    /**
     * @param timeout the longest wait for the rest of a request once its first byte came (a stalled client then
     *     gets 408 and its connection is closed); it holds no request thread meanwhile
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder readTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("readTimeout must be > 0 but was " + timeout);
      }
      this.readTimeout = timeout;
      return this;
    }

    /**
     * @param timeout how long an idle keep-alive connection stays open
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder idleTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("idleTimeout must be > 0 but was " + timeout);
      }
      this.idleTimeout = timeout;
      return this;
    }

    /**
     * @param threads the HTTP server's event-loop threads, at least 1 (default: half the CPUs, at least 1; with
     *     {@link #inferenceOnEventLoop(boolean) inference on the event loop}, the CPUs)
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder ioThreads(int threads) {
      this.ioThreads = atLeast("ioThreads", threads, 1);
      return this;
    }

    /**
     * Where inference runs. {@code false} (the default): on the bounded pool of request threads ({@code httpThreads},
     * {@code httpQueue}, {@code grpcQueue}), two thread hand-offs per request (event loop to request thread and back).
     * {@code true}: on the I/O event-loop thread that read the request, for HTTP and gRPC {@code ModelInfer}: no
     * hand-off, so lower latency for models that run in microseconds, but a call that runs long (a slow model, a cold
     * cache miss on a heavy model) delays every other connection of that event loop, probes included; the pool's
     * bounds and its 503/RESOURCE_EXHAUSTED answers then do not apply (each HTTP connection has one request in progress,
     * and further gRPC calls wait in HTTP/2 flow control). Cannot be combined with batching (a batcher needs callers
     * that may wait, which an event loop must not).
     *
     * @param onEventLoop whether inference runs on the event loop
     * @return this builder
     */
    public Builder inferenceOnEventLoop(boolean onEventLoop) {
      this.inferenceOnEventLoop = onEventLoop;
      return this;
    }

    /**
     * @param host the address to bind
     * @return this builder
     * @throws IllegalArgumentException if blank
     */
    public Builder host(String host) {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank but was '" + host + "'");
      }
      this.host = host;
      return this;
    }

    /**
     * @param port 0 (a free port) to 65535
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be between 0 and 65535 but was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * @param models the repository root
     * @return this builder
     */
    public Builder models(Path models) {
      this.models = models;
      this.classpathModels = null;
      return this;
    }

    /**
     * A repository packaged as classpath resources ({@code ModelRegistry.newClasspathBuilder}), read through the
     * thread's context class loader when the service starts, instead of a directory.
     *
     * @param location the resource directory, e.g. {@code models/}
     * @return this builder
     * @throws IllegalArgumentException if blank
     */
    public Builder classpathModels(String location) {
      if (location == null || location.isBlank()) {
        throw new IllegalArgumentException("--models classpath: needs a resource directory, e.g. classpath:models, but got "
            + (location == null ? "null" : "'" + location + "'"));
      }
      this.classpathModels = location;
      this.models = null;
      return this;
    }

    /**
     * @param interval how often to rescan the repository, or null for never
     * @return this builder
     * @throws IllegalArgumentException if negative or zero
     */
    public Builder pollInterval(@Nullable Duration interval) {
      if (interval != null && (interval.isNegative() || interval.isZero())) {
        throw new IllegalArgumentException("pollInterval must be > 0 (or unset) but was " + interval);
      }
      this.pollInterval = interval;
      return this;
    }

    /**
     * @param threads threads serving requests, at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder httpThreads(int threads) {
      this.httpThreads = atLeast("httpThreads", threads, 1);
      return this;
    }

    /**
     * @param queue requests that may wait for a thread, at least 0
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder httpQueue(int queue) {
      this.httpQueue = atLeast("httpQueue", queue, 0);
      return this;
    }

    /**
     * @param bytes the largest request body, at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder bodyLimitBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("bodyLimitBytes must be > 0 but was " + bytes);
      }
      this.bodyLimitBytes = bytes;
      return this;
    }

    /**
     * @param rows rows per engine call; 0 turns batching off
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder batchMaxSize(int rows) {
      this.batchMaxSize = atLeast("batchMaxSize", rows, 0);
      return this;
    }

    /**
     * @param delay a fixed batching window (switches adaptive batching off)
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder batchDelay(Duration delay) {
      if (delay == null || delay.isNegative()) {
        throw new IllegalArgumentException("batchDelay must be >= 0 but was " + delay);
      }
      this.batchDelay = delay;
      return this;
    }

    /**
     * @param target the adaptive batcher's latency target
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder batchLatencyTarget(Duration target) {
      if (target == null || target.isNegative() || target.isZero()) {
        throw new IllegalArgumentException("batchLatencyTarget must be > 0 but was " + target);
      }
      this.batchLatencyTarget = target;
      return this;
    }

    /**
     * @param requests requests queued per model, at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder batchQueue(int requests) {
      this.batchQueue = atLeast("batchQueue", requests, 1);
      return this;
    }

    /**
     * @param workers batches in flight per model; 0 for the engine's session count
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder batchWorkers(int workers) {
      this.batchWorkers = atLeast("batchWorkers", workers, 0);
      return this;
    }

    /**
     * @param entries cached predictions per model; 0 turns the cache off
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder cacheSize(long entries) {
      if (entries < 0) {
        throw new IllegalArgumentException("cacheSize must be >= 0 but was " + entries);
      }
      this.cacheSize = entries;
      return this;
    }

    /**
     * @param calls calls in the breaker's window, at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder breakerWindow(int calls) {
      this.breakerWindow = atLeast("breakerWindow", calls, 1);
      return this;
    }

    /**
     * @param calls calls before the breaker may open, at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder breakerMinCalls(int calls) {
      this.breakerMinCalls = atLeast("breakerMinCalls", calls, 1);
      return this;
    }

    /**
     * @param percent the failure percentage that opens the breaker, above 0 and at most 100
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder breakerFailureRate(double percent) {
      if (!(percent > 0 && percent <= 100)) {
        throw new IllegalArgumentException("breakerFailureRate must be in (0, 100] but was " + percent);
      }
      this.breakerFailureRate = percent;
      return this;
    }

    /**
     * @param wait how long an open breaker refuses calls
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder breakerWait(Duration wait) {
      if (wait == null || wait.isNegative() || wait.isZero()) {
        throw new IllegalArgumentException("breakerWait must be > 0 but was " + wait);
      }
      this.breakerWait = wait;
      return this;
    }

    /**
     * @param threads engine intra-op threads per model version, at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder intraOpThreads(int threads) {
      this.intraOpThreads = atLeast("intraOpThreads", threads, 1);
      return this;
    }

    /**
     * @param sessions ONNX Runtime sessions per model version; 0 for the backend's default
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder sessions(int sessions) {
      this.sessions = atLeast("sessions", sessions, 0);
      return this;
    }

    /**
     * @param versions how many of each model's newest versions stay loaded (and servable by version), at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder keepVersions(int versions) {
      this.keepVersions = atLeast("keepVersions", versions, 1);
      return this;
    }

    /**
     * @param port the Open Inference Protocol's gRPC port; 0 picks a free one, -1 (the default) runs no gRPC server
     * @return this builder
     * @throws IllegalArgumentException if below -1 or above 65535
     */
    public Builder grpcPort(int port) {
      if (port < -1 || port > 65535) {
        throw new IllegalArgumentException("grpcPort must be -1 (off) or in [0, 65535] but was " + port);
      }
      this.grpcPort = port;
      return this;
    }

    /**
     * @param queue gRPC inference calls that may wait for a gRPC thread (there are {@code httpThreads}), at least 0;
     *     beyond, a call is answered RESOURCE_EXHAUSTED at once
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder grpcQueue(int queue) {
      this.grpcQueue = atLeast("grpcQueue", queue, 0);
      return this;
    }

    /**
     * The backends to load with; default {@link Backends#discover()}. Tests add their own.
     *
     * @param backends the backends
     * @return this builder
     */
    public Builder backends(Backends backends) {
      this.backends = backends;
      return this;
    }

    /**
     * @return the configuration
     * @throws IllegalStateException if the breaker needs more calls than its window holds, or inference on the event loop
     *     is combined with batching
     */
    public RestConfig build() {
      if (breakerMinCalls > breakerWindow) {
        throw new IllegalStateException("breakerMinCalls (" + breakerMinCalls + ") must be <= breakerWindow (" + breakerWindow + ")");
      }
      if (inferenceOnEventLoop && batchMaxSize > 0) {
        throw new IllegalStateException("execution event-loop cannot be combined with batching (batchMaxSize " + batchMaxSize
            + "): a batcher makes its callers wait for a batch, and an event loop must not wait; use batchMaxSize 0 or execution pool");
      }
      return new RestConfig(this);
    }

    private static int atLeast(String option, int value, int min) {
      if (value < min) {
        throw new IllegalArgumentException(option + " must be >= " + min + " but was " + value);
      }
      return value;
    }
  }
}
