package dev.jinfer.cache;

import java.time.Duration;

/**
 * A snapshot of a {@link CachedPredictor}'s counters, for tests, health checks and logs (the same figures go
 * to Micrometer when a registry is given). Immutable and thread-safe; the figures are read one after another,
 * not atomically together.
 *
 * @param hits requests answered from the in-process cache, including those that waited for an identical
 *     request's computation (single flight)
 * @param misses requests that found no entry and loaded one (from Redis or the model)
 * @param bypassed requests that did not use the cache: inputs over {@code maxInputBytes}, inputs that do not
 *     match the signature's names, or outputs the cache does not keep
 * @param loadSuccesses loads that produced an entry
 * @param loadFailures loads that failed (nothing was cached)
 * @param totalLoadTime the time spent in loads, successful or not
 * @param evictions entries removed for size, weight or expiry
 * @param entries the entries held now (an estimate while evictions are pending)
 * @param weightedSize the weight held now, in estimated bytes; 0 unless {@code maximumWeight} is set
 * @param redis what the Redis tier did; all zeros without one
 */
public record CacheStats(
    long hits,
    long misses,
    long bypassed,
    long loadSuccesses,
    long loadFailures,
    Duration totalLoadTime,
    long evictions,
    long entries,
    long weightedSize,
    RedisTierStats redis) {

  /**
   * Hits in proportion of the requests that used the cache.
   *
   * @return {@code hits / (hits + misses)}, or 1.0 before the first request (as Caffeine reports it)
   */
  public double hitRatio() {
    long n = hits + misses;
    return n == 0 ? 1.0 : (double) hits / n;
  }

  /**
   * The mean time of a load.
   *
   * @return {@code totalLoadTime / (loadSuccesses + loadFailures)}, or zero before the first load
   */
  public Duration averageLoadTime() {
    long n = loadSuccesses + loadFailures;
    return n == 0 ? Duration.ZERO : totalLoadTime.dividedBy(n);
  }
}
