package dev.jinfer;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * How to load a model: device, threads, optimization, warmup, which backend, engine-specific properties,
 * and observability. Build with {@link #newBuilder()}; {@link #defaults()} suits a CPU service.
 *
 * <p>Immutable and thread-safe.
 */
public final class LoadOptions {
  private static final LoadOptions DEFAULTS = newBuilder().build();

  private final Device device;
  private final int intraOpThreads;
  private final int interOpThreads;
  private final OptimizationLevel optimizationLevel;
  private final int warmupCalls;
  private final @Nullable String backend;
  private final @Nullable String modelName;
  private final @Nullable String modelVersion;
  private final Map<String, String> properties;
  private final @Nullable MeterRegistry meterRegistry;
  private final @Nullable Duration latencySla;
  private final boolean rejectNonFinite;
  private final Ticker ticker;
  private final @Nullable Executor deadlineExecutor;

  private LoadOptions(Builder b) {
    this.device = b.device;
    this.intraOpThreads = b.intraOpThreads;
    this.interOpThreads = b.interOpThreads;
    this.optimizationLevel = b.optimizationLevel;
    this.warmupCalls = b.warmupCalls;
    this.backend = b.backend;
    this.modelName = b.modelName;
    this.modelVersion = b.modelVersion;
    this.properties = Map.copyOf(b.properties);
    this.meterRegistry = b.meterRegistry;
    this.latencySla = b.latencySla;
    this.rejectNonFinite = b.rejectNonFinite;
    this.ticker = b.ticker;
    this.deadlineExecutor = b.deadlineExecutor;
  }

  /**
   * The defaults: CPU, threads sized to the CPUs this JVM may use, full optimization, no warmup, the
   * best available backend, no metrics.
   *
   * @return the default options
   */
  public static LoadOptions defaults() {
    return DEFAULTS;
  }

  /**
   * A builder starting from the defaults.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * A builder starting from these options.
   *
   * @return a new builder holding this object's values
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.device = device;
    b.intraOpThreads = intraOpThreads;
    b.interOpThreads = interOpThreads;
    b.optimizationLevel = optimizationLevel;
    b.warmupCalls = warmupCalls;
    b.backend = backend;
    b.modelName = modelName;
    b.modelVersion = modelVersion;
    b.properties.putAll(properties);
    b.meterRegistry = meterRegistry;
    b.latencySla = latencySla;
    b.rejectNonFinite = rejectNonFinite;
    b.ticker = ticker;
    b.deadlineExecutor = deadlineExecutor;
    return b;
  }

  /**
   * The CPUs this JVM may use, which honours container CPU limits ({@link Runtime#availableProcessors()}).
   *
   * @return at least 1
   */
  public static int availableCpus() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /** @return the device to run on; default CPU */
  public Device device() {
    return device;
  }

  /**
   * Intra-op threads the model's engine may use in total; a backend that keeps several sessions splits
   * them (see its README).
   *
   * @return the thread count; default {@link #availableCpus()}
   */
  public int intraOpThreads() {
    return intraOpThreads;
  }

  /** @return threads for running independent graph nodes in parallel; default 1 */
  public int interOpThreads() {
    return interOpThreads;
  }

  /** @return the graph optimization level; default {@link OptimizationLevel#ALL} */
  public OptimizationLevel optimizationLevel() {
    return optimizationLevel;
  }

  /** @return predictions run on synthetic inputs before the model is returned; default 0 */
  public int warmupCalls() {
    return warmupCalls;
  }

  /** @return the backend forced by name, or empty to pick the highest-priority one that accepts the model */
  public Optional<String> backend() {
    return Optional.ofNullable(backend);
  }

  /** @return the model name to use instead of the one derived from the path */
  public Optional<String> modelName() {
    return Optional.ofNullable(modelName);
  }

  /** @return the model version to use instead of the default "1" */
  public Optional<String> modelVersion() {
    return Optional.ofNullable(modelVersion);
  }

  /** @return engine-specific properties, each documented by its backend; unmodifiable */
  public Map<String, String> properties() {
    return properties;
  }

  /**
   * One engine-specific property.
   *
   * @param key the property name
   * @return the value, or empty
   */
  public Optional<String> property(String key) {
    return Optional.ofNullable(properties.get(key));
  }

  /**
   * An integer property, validated.
   *
   * @param key the property name
   * @param defaultValue the value when absent
   * @param min the smallest allowed value
   * @return the value
   * @throws IllegalArgumentException naming the property if it is not an integer or below min
   */
  public int intProperty(String key, int defaultValue, int min) {
    String v = properties.get(key);
    if (v == null) {
      return defaultValue;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("property " + key + " must be an integer but was '" + v + "'", e);
    }
    if (parsed < min) {
      throw new IllegalArgumentException("property " + key + " must be >= " + min + " but was " + parsed);
    }
    return parsed;
  }

  /**
   * A boolean property, validated.
   *
   * @param key the property name
   * @param defaultValue the value when absent
   * @return the value
   * @throws IllegalArgumentException naming the property if it is not true or false
   */
  public boolean booleanProperty(String key, boolean defaultValue) {
    String v = properties.get(key);
    if (v == null) {
      return defaultValue;
    }
    String t = v.trim();
    if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(t);
    }
    throw new IllegalArgumentException("property " + key + " must be true or false but was '" + v + "'");
  }

  /** @return where to publish metrics, or empty for none */
  public Optional<MeterRegistry> meterRegistry() {
    return Optional.ofNullable(meterRegistry);
  }

  /** @return the p95 latency above which a warning is logged, or empty for no watcher */
  public Optional<Duration> latencySla() {
    return Optional.ofNullable(latencySla);
  }

  /** @return whether NaN and infinite float inputs are rejected; default false (passed to the engine) */
  public boolean rejectNonFinite() {
    return rejectNonFinite;
  }

  /** @return the time source for latency measurement; default the system ticker */
  public Ticker ticker() {
    return ticker;
  }

  /**
   * The executor that runs a call with a deadline on an engine that cannot cancel its calls, so that the caller
   * can stop waiting at the deadline; empty for the model's own pool (up to
   * {@code 64} daemon threads that end when idle).
   *
   * @return the executor the caller supplied, or empty
   */
  public Optional<Executor> deadlineExecutor() {
    return Optional.ofNullable(deadlineExecutor);
  }

  @Override
  public String toString() {
    return "LoadOptions{device=" + device + ", intraOpThreads=" + intraOpThreads + ", interOpThreads=" + interOpThreads
        + ", optimizationLevel=" + optimizationLevel + ", warmupCalls=" + warmupCalls + ", backend=" + backend
        + ", properties=" + properties + ", metrics=" + (meterRegistry != null) + ", latencySla=" + latencySla
        + ", rejectNonFinite=" + rejectNonFinite + "}";
  }

  /** Builds {@link LoadOptions}; each setter validates at once and names the option. Not thread-safe. */
  public static final class Builder {
    private Device device = Device.cpu();
    private int intraOpThreads = availableCpus();
    private int interOpThreads = 1;
    private OptimizationLevel optimizationLevel = OptimizationLevel.ALL;
    private int warmupCalls;
    private @Nullable String backend;
    private @Nullable String modelName;
    private @Nullable String modelVersion;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private @Nullable MeterRegistry meterRegistry;
    private @Nullable Duration latencySla;
    private boolean rejectNonFinite;
    private Ticker ticker = Ticker.system();
    private @Nullable Executor deadlineExecutor;

    private Builder() {}

    /**
     * The device.
     *
     * @param device CPU or a GPU
     * @return this builder
     */
    public Builder device(Device device) {
      this.device = Objects.requireNonNull(device, "device");
      return this;
    }

    /**
     * Threads one engine call may use.
     *
     * @param threads at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder intraOpThreads(int threads) {
      this.intraOpThreads = positive("intraOpThreads", threads);
      return this;
    }

    /**
     * Threads for independent graph branches.
     *
     * @param threads at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder interOpThreads(int threads) {
      this.interOpThreads = positive("interOpThreads", threads);
      return this;
    }

    /**
     * The graph optimization level.
     *
     * @param level the level
     * @return this builder
     */
    public Builder optimizationLevel(OptimizationLevel level) {
      this.optimizationLevel = Objects.requireNonNull(level, "optimizationLevel");
      return this;
    }

    /**
     * Predictions to run on synthetic inputs (zeros; one row where a dimension is dynamic) before the
     * model is returned, so that the first real request does not pay for lazy initialization.
     *
     * @param calls at least 0
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder warmupCalls(int calls) {
      if (calls < 0) {
        throw new IllegalArgumentException("warmupCalls must be >= 0 but was " + calls);
      }
      this.warmupCalls = calls;
      return this;
    }

    /**
     * Forces a backend by name (e.g. {@code onnx}).
     *
     * @param name the backend's name
     * @return this builder
     */
    public Builder backend(String name) {
      this.backend = nonBlank("backend", name);
      return this;
    }

    /**
     * The model name to report (default: the file name without extension).
     *
     * @param name the name
     * @return this builder
     */
    public Builder modelName(String name) {
      this.modelName = nonBlank("modelName", name);
      return this;
    }

    /**
     * The model version to report (default "1").
     *
     * @param version the version
     * @return this builder
     */
    public Builder modelVersion(String version) {
      this.modelVersion = nonBlank("modelVersion", version);
      return this;
    }

    /**
     * Sets an engine-specific property (see each backend's documentation).
     *
     * @param key the name, e.g. {@code onnx.sessions}
     * @param value the value
     * @return this builder
     */
    public Builder property(String key, String value) {
      properties.put(nonBlank("property key", key), Objects.requireNonNull(value, "property value"));
      return this;
    }

    /**
     * Publishes latency, request and error metrics here, tagged with the model name and version.
     *
     * @param registry the registry
     * @return this builder
     */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /**
     * Logs a warning (at most once a minute) when the p95 latency over the last 1,024 calls exceeds
     * this value; see {@link LatencySlaWatcher}.
     *
     * @param sla a positive duration
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder latencySla(Duration sla) {
      if (sla == null || sla.isNegative() || sla.isZero()) {
        throw new IllegalArgumentException("latencySla must be > 0 but was " + sla);
      }
      this.latencySla = sla;
      return this;
    }

    /**
     * Whether NaN and infinite values in float inputs are rejected with {@link InvalidInputException}.
     * Off by default: they are valid IEEE values and some models use NaN as "missing".
     *
     * @param reject true to reject
     * @return this builder
     */
    public Builder rejectNonFinite(boolean reject) {
      this.rejectNonFinite = reject;
      return this;
    }

    /**
     * The time source for latency measurement (tests use a fake one).
     *
     * @param ticker the ticker
     * @return this builder
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * The executor for calls with a deadline on an engine that cannot cancel them (TensorFlow, PyTorch): the
     * call runs there while its caller waits until the deadline. Supply one to bound, name or monitor those
     * threads with the application's other pools; the model never shuts it down. A call it rejects fails with
     * {@link OverloadedException}. Each running call holds one of its threads until the engine returns, even
     * after its caller gave up, so size it for the engine's slowest calls. Default: the model's own pool of up
     * to 64 daemon threads.
     *
     * @param executor the executor, owned by the caller
     * @return this builder
     */
    public Builder deadlineExecutor(Executor executor) {
      this.deadlineExecutor = Objects.requireNonNull(executor, "deadlineExecutor");
      return this;
    }

    /**
     * Builds the options.
     *
     * @return immutable options
     */
    public LoadOptions build() {
      return new LoadOptions(this);
    }

    private static int positive(String name, int value) {
      if (value < 1) {
        throw new IllegalArgumentException(name + " must be > 0 but was " + value);
      }
      return value;
    }

    private static String nonBlank(String name, String value) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(name + " must not be blank but was '" + value + "'");
      }
      return value;
    }
  }
}
