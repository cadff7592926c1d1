package dev.jinfer.cache;

import dev.jinfer.ModelId;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one cache, all tagged {@code model} and {@code version} (of the model when the cache was
 * built):
 * <ul>
 *   <li>{@code jinfer.cache.gets} (function counter, tag {@code result}: {@code hit}, {@code miss} or
 *       {@code bypass}),
 *   <li>{@code jinfer.cache.loads} (function counter, tag {@code result}: {@code success}, {@code failure}),
 *   <li>{@code jinfer.cache.load.duration} (timer, per load, SLO buckets),
 *   <li>{@code jinfer.cache.evictions} (function counter),
 *   <li>{@code jinfer.cache.size} (gauge, entries), {@code jinfer.cache.weight} (gauge, bytes),
 *       {@code jinfer.cache.hit.ratio} (gauge),
 *   <li>with a Redis tier: {@code jinfer.cache.redis.gets} (function counter, tag {@code result}: {@code hit},
 *       {@code miss}, {@code corrupt}, {@code timeout}, {@code error}, {@code skipped}),
 *       {@code jinfer.cache.redis.puts} (tag {@code result}: {@code success}, {@code failure},
 *       {@code skipped}) and {@code jinfer.cache.redis.breaker.open} (gauge, 1 when open).
 * </ul>
 * The counters read the cache's own adders when scraped, so the hit path pays nothing for them. Without a
 * registry every method is a no-op. Every meter is removed on {@link #close}. Thread-safe.
 */
final class CacheMetrics {
  private static final Duration[] LOAD_BUCKETS = {
      Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
      Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1)};

  private final @Nullable MeterRegistry registry;
  private final @Nullable Timer loadDuration;
  private final List<Meter> meters = new ArrayList<>();
  /** Held strongly: function counters and gauges keep only a weak reference to what they read. */
  private final Supplier<CacheStats> stats;

  CacheMetrics(@Nullable MeterRegistry registry, ModelId id, Supplier<CacheStats> stats, boolean redis) {
    this.registry = registry;
    this.stats = stats;
    if (registry == null) {
      loadDuration = null;
      return;
    }
    Tags tags = Tags.of("model", id.name(), "version", id.version());
    loadDuration = Timer.builder("jinfer.cache.load.duration").description("Time of one load: Redis read and model call")
        .tags(tags).serviceLevelObjectives(LOAD_BUCKETS).register(registry);
    meters.add(loadDuration);
    counter("jinfer.cache.gets", "Requests by outcome", tags.and("result", "hit"), stats, s -> s.hits());
    counter("jinfer.cache.gets", "Requests by outcome", tags.and("result", "miss"), stats, s -> s.misses());
    counter("jinfer.cache.gets", "Requests by outcome", tags.and("result", "bypass"), stats, s -> s.bypassed());
    counter("jinfer.cache.loads", "Loads by outcome", tags.and("result", "success"), stats, s -> s.loadSuccesses());
    counter("jinfer.cache.loads", "Loads by outcome", tags.and("result", "failure"), stats, s -> s.loadFailures());
    counter("jinfer.cache.evictions", "Entries evicted for size, weight or expiry", tags, stats, s -> s.evictions());
    gauge("jinfer.cache.size", "Entries held", "entries", tags, stats, s -> s.entries());
    gauge("jinfer.cache.weight", "Estimated bytes held (with maximumWeight)", "bytes", tags, stats, s -> s.weightedSize());
    gauge("jinfer.cache.hit.ratio", "Hits over hits and misses", null, tags, stats, s -> s.hitRatio());
    if (redis) {
      String[] gets = {"hit", "miss", "corrupt", "timeout", "error", "skipped"};
      List<ToDoubleFunction<RedisTierStats>> getters = List.of(RedisTierStats::hits, RedisTierStats::misses,
          RedisTierStats::corrupt, RedisTierStats::timeouts, RedisTierStats::errors, RedisTierStats::skipped);
      for (int i = 0; i < gets.length; i++) {
        ToDoubleFunction<RedisTierStats> g = getters.get(i);
        counter("jinfer.cache.redis.gets", "Redis reads by outcome", tags.and("result", gets[i]), stats,
            s -> g.applyAsDouble(s.redis()));
      }
      counter("jinfer.cache.redis.puts", "Redis writes by outcome", tags.and("result", "success"), stats, s -> s.redis().writes());
      counter("jinfer.cache.redis.puts", "Redis writes by outcome", tags.and("result", "failure"), stats,
          s -> s.redis().writeFailures());
      counter("jinfer.cache.redis.puts", "Redis writes by outcome", tags.and("result", "skipped"), stats,
          s -> s.redis().writesSkipped());
      gauge("jinfer.cache.redis.breaker.open", "1 while the Redis tier's breaker refuses calls", null, tags, stats,
          s -> s.redis().breakerOpen() ? 1 : 0);
    }
  }

  private void counter(String name, String description, Tags tags, Supplier<CacheStats> source,
      ToDoubleFunction<CacheStats> f) {
    meters.add(FunctionCounter.builder(name, source, s -> f.applyAsDouble(s.get())).description(description).tags(tags)
        .register(registry));
  }

  private void gauge(String name, String description, @Nullable String unit, Tags tags, Supplier<CacheStats> source,
      ToDoubleFunction<CacheStats> f) {
    meters.add(Gauge.builder(name, source, s -> f.applyAsDouble(s.get())).description(description).baseUnit(unit)
        .tags(tags).register(registry));
  }

  void load(long nanos) {
    if (loadDuration != null) {
      loadDuration.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Removes every meter, which would otherwise keep reading a closed cache. */
  void close() {
    if (registry != null) {
      for (Meter m : meters) {
        registry.remove(m);
      }
    }
  }
}
