package dev.jinfer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one model's predict path: one timer, {@code jinfer.predict}, tagged {@code model},
 * {@code version}, {@code outcome} ({@code success} or {@code error}) and {@code error} ({@code none} or the
 * {@link ErrorCode}), so the call count, the error count by code and the latency all come from one meter as
 * Micrometer's conventions ask; plus the optional SLA watcher. Without a registry and SLA every method is a
 * no-op.
 *
 * <p>The timer publishes its SLO buckets as a histogram (Prometheus computes any quantile from them) and no
 * client-side percentiles: those do not reach a Prometheus scrape beside a histogram, so they would be
 * computed for nothing. A registry that wants them adds them with a {@code MeterFilter}. The timer of an
 * error code is registered on that code's first failure, so a scrape carries no empty series per code.
 */
final class PredictorMetrics {
  /** The timer's name. */
  static final String PREDICT = "jinfer.predict";

  /** SLO buckets of the latency timer, chosen for in-process inference (tens of microseconds to a second). */
  static final Duration[] SLO_BUCKETS = {
      Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1)};

  private final @Nullable Timer success;
  private final AtomicReferenceArray<@Nullable Timer> errors = new AtomicReferenceArray<>(ErrorCode.values().length);
  private final @Nullable LatencySlaWatcher sla;
  private final @Nullable MeterRegistry registry;
  private final Tags tags;

  private PredictorMetrics(@Nullable MeterRegistry registry, ModelId id, @Nullable LatencySlaWatcher sla) {
    this.sla = sla;
    this.registry = registry;
    this.tags = Tags.of("model", id.name(), "version", id.version());
    this.success = registry == null ? null : timer(registry, "success", "none");
  }

  private Timer timer(MeterRegistry to, String outcome, String error) {
    return Timer.builder(PREDICT)
        .description("Predict calls: validation and engine run, by outcome and error code")
        .tags(tags).tag("outcome", outcome).tag("error", error)
        .serviceLevelObjectives(SLO_BUCKETS)
        .register(to);
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
      registry.remove(success);
      for (int i = 0; i < errors.length(); i++) {
        Timer t = errors.get(i);
        if (t != null) {
          registry.remove(t);
        }
      }
    }
  }

  /**
   * Records a successful call.
   *
   * @param nanos its duration
   */
  public void success(long nanos) {
    if (success != null) {
      success.record(nanos, TimeUnit.NANOSECONDS);
    }
    if (sla != null) {
      sla.record(nanos);
    }
  }

  /**
   * Records a failed call (under its own {@code outcome=error} series, so fast rejections do not hide slow
   * successes; not seen by the SLA watcher).
   *
   * @param code why it failed
   * @param nanos how long it took to fail
   */
  public void failure(ErrorCode code, long nanos) {
    if (registry == null) {
      return;
    }
    int i = code.ordinal();
    Timer t = errors.get(i);
    if (t == null) {
      t = timer(registry, "error", code.name()); // a racing first failure gets the same meter back
      errors.set(i, t);
    }
    t.record(nanos, TimeUnit.NANOSECONDS);
  }
}
