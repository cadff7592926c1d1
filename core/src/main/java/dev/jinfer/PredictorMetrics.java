package dev.jinfer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one model's predict path: {@code jinfer.predict.latency} (timer with p50/p95/p99 and SLO
 * buckets), {@code jinfer.predict.requests} and {@code jinfer.predict.errors} (tagged with the error
 * code), all tagged {@code model} and {@code version}; plus the optional SLA watcher. Without a registry
 * and SLA every method is a no-op.
 */
final class PredictorMetrics {
  /** SLO buckets of the latency timer, chosen for in-process inference (tens of microseconds to a second). */
  static final Duration[] SLO_BUCKETS = {
      Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1)};

  private final @Nullable Timer latency;
  private final @Nullable Counter requests;
  private final Map<ErrorCode, Counter> errors;
  private final @Nullable LatencySlaWatcher sla;
  private final @Nullable MeterRegistry registry;

  private PredictorMetrics(@Nullable MeterRegistry registry, ModelId id, @Nullable LatencySlaWatcher sla) {
    this.sla = sla;
    this.registry = registry;
    this.errors = new EnumMap<>(ErrorCode.class);
    if (registry == null) {
      latency = null;
      requests = null;
      return;
    }
    Tags tags = Tags.of("model", id.name(), "version", id.version());
    latency = Timer.builder("jinfer.predict.latency")
        .description("Time of one predict call, validation and engine run included")
        .tags(tags)
        .publishPercentiles(0.5, 0.95, 0.99)
        .serviceLevelObjectives(SLO_BUCKETS)
        .register(registry);
    requests = Counter.builder("jinfer.predict.requests").description("Predict calls, successful or not")
        .tags(tags).register(registry);
    for (ErrorCode code : ErrorCode.values()) {
      errors.put(code, Counter.builder("jinfer.predict.errors").description("Failed predict calls by error code")
          .tags(tags).tag("code", code.name()).register(registry));
    }
  }

  /**
   * Meters for a model as its options ask.
   *
   * @param id the model
   * @param options the load options (registry, SLA, ticker)
   * @return the meters
   */
  public static PredictorMetrics create(ModelId id, LoadOptions options) {
    LatencySlaWatcher watcher = options.latencySla()
        .map(sla -> LatencySlaWatcher.newBuilder(id.toString(), sla).ticker(options.ticker()).build())
        .orElse(null);
    return new PredictorMetrics(options.meterRegistry().orElse(null), id, watcher);
  }

  /**
   * Removes this model's meters from the registry, so that a process that loads many versions over its
   * life (a model registry) does not keep meters for versions long gone.
   */
  public void close() {
    if (registry != null) {
      registry.remove(latency);
      registry.remove(requests);
      errors.values().forEach(registry::remove);
    }
  }

  /**
   * Records a successful call.
   *
   * @param nanos its duration
   */
  public void success(long nanos) {
    if (requests != null) {
      requests.increment();
      latency.record(nanos, TimeUnit.NANOSECONDS);
    }
    if (sla != null) {
      sla.record(nanos);
    }
  }

  /**
   * Records a failed call (not in the latency timer: fast rejections would hide slow successes).
   *
   * @param code why it failed
   */
  public void failure(ErrorCode code) {
    if (requests != null) {
      requests.increment();
      errors.get(code).increment();
    }
  }
}
