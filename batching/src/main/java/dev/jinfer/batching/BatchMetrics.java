package dev.jinfer.batching;

import dev.jinfer.ModelId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one batcher, all tagged {@code model} and {@code version}:
 * <ul>
 *   <li>{@code jinfer.batch.size} (summary, rows per engine call, a histogram of SLO buckets),
 *   <li>{@code jinfer.batch.queue.wait} (timer, per request, submit to dispatch),
 *   <li>{@code jinfer.batch.compute} (timer, per successful engine call),
 *   <li>{@code jinfer.batch.queue.depth} (gauge, requests queued),
 *   <li>{@code jinfer.batch.rejected} (counter, refused or displaced because the queue was full),
 *   <li>{@code jinfer.batch.expired} (counter, deadline passed while queued),
 *   <li>{@code jinfer.batch.shed} (counter, dropped by the adaptive mode as predicted to miss its deadline),
 *   <li>{@code jinfer.batch.splits} (counter, failed batches retried in halves to isolate a bad request),
 *   <li>{@code jinfer.batch.limit} (gauge, rows) and {@code jinfer.batch.window} (gauge, seconds): the
 *       limits in force, which move in adaptive mode.
 * </ul>
 * Without a registry every method is a no-op. Gauges are removed from the registry on {@link #close}.
 * Thread-safe.
 */
final class BatchMetrics {
  private static final Duration[] TIME_BUCKETS = {
      Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1)};
  private static final double[] SIZE_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

  private final @Nullable MeterRegistry registry;
  private final @Nullable DistributionSummary batchSize;
  private final @Nullable Timer queueWait;
  private final @Nullable Timer compute;
  private final @Nullable Counter rejected;
  private final @Nullable Counter expired;
  private final @Nullable Counter shed;
  private final @Nullable Counter splits;
  private final List<Meter> gauges = new ArrayList<>();

  /**
   * Registers the meters.
   *
   * @param registry where, or null for none
   * @param id the model, for the tags
   * @param state what the gauges read
   * @param queueDepth reads the queue depth
   * @param limitRows reads the batch limit
   * @param windowSeconds reads the batch window
   * @param <T> the type of the state
   */
  <T> BatchMetrics(@Nullable MeterRegistry registry, ModelId id, T state, ToDoubleFunction<T> queueDepth,
      ToDoubleFunction<T> limitRows, ToDoubleFunction<T> windowSeconds) {
    this.registry = registry;
    if (registry == null) {
      batchSize = null;
      queueWait = null;
      compute = null;
      rejected = null;
      expired = null;
      shed = null;
      splits = null;
      return;
    }
    Tags tags = Tags.of("model", id.name(), "version", id.version());
    batchSize = DistributionSummary.builder("jinfer.batch.size").description("Rows per engine call").baseUnit("rows")
        .tags(tags).serviceLevelObjectives(SIZE_BUCKETS).register(registry);
    queueWait = Timer.builder("jinfer.batch.queue.wait").description("Time a request waited in the batching queue")
        .tags(tags).serviceLevelObjectives(TIME_BUCKETS).register(registry);
    compute = Timer.builder("jinfer.batch.compute").description("Time of one successful engine call on a batch")
        .tags(tags).serviceLevelObjectives(TIME_BUCKETS).register(registry);
    rejected = counter(registry, "jinfer.batch.rejected", "Requests refused or displaced because the queue was full", tags);
    expired = counter(registry, "jinfer.batch.expired", "Requests whose deadline passed while queued", tags);
    shed = counter(registry, "jinfer.batch.shed", "Requests dropped as predicted to miss their deadline", tags);
    splits = counter(registry, "jinfer.batch.splits", "Failed batches retried in halves to isolate a bad request", tags);
    gauges.add(Gauge.builder("jinfer.batch.queue.depth", state, queueDepth).description("Requests queued")
        .tags(tags).register(registry));
    gauges.add(Gauge.builder("jinfer.batch.limit", state, limitRows).description("Batch limit in force")
        .baseUnit("rows").tags(tags).register(registry));
    gauges.add(Gauge.builder("jinfer.batch.window", state, windowSeconds).description("Batch window in force")
        .baseUnit("seconds").tags(tags).register(registry));
  }

  private static Counter counter(MeterRegistry registry, String name, String description, Tags tags) {
    return Counter.builder(name).description(description).tags(tags).register(registry);
  }

  void batch(int rows, long computeNanos) {
    if (batchSize != null) {
      batchSize.record(rows);
      compute.record(computeNanos, TimeUnit.NANOSECONDS);
    }
  }

  void queueWait(long nanos) {
    if (queueWait != null) {
      queueWait.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  void rejected() {
    if (rejected != null) {
      rejected.increment();
    }
  }

  void expired(int n) {
    if (expired != null && n > 0) {
      expired.increment(n);
    }
  }

  void shed() {
    if (shed != null) {
      shed.increment();
    }
  }

  void split() {
    if (splits != null) {
      splits.increment();
    }
  }

  /** Removes the gauges, which would otherwise keep reading a closed batcher. */
  void close() {
    if (registry != null) {
      for (Meter g : gauges) {
        registry.remove(g);
      }
    }
  }
}
