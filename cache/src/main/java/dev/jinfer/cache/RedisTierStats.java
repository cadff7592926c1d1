package dev.jinfer.cache;

/**
 * A snapshot of what a {@link CachedPredictor}'s Redis tier did. Every failure of Redis counts as a miss for
 * the request that met it. Immutable and thread-safe; the figures are read one after another, not atomically
 * together.
 *
 * @param hits reads that found a valid entry for the exact request
 * @param misses reads that found nothing, or an entry written for different inputs (a hash collision)
 * @param corrupt reads that found bytes that fail the format or checksum checks (ignored and deleted)
 * @param timeouts reads that took longer than the tier's timeout
 * @param errors reads that failed: refused or lost connection, Redis error
 * @param skipped reads not attempted because the tier's breaker was open
 * @param writes entries written
 * @param writeFailures writes that failed or timed out
 * @param writesSkipped writes not attempted: breaker open, not yet connected, or too many writes pending
 * @param breakerOpen whether the tier's breaker refuses calls now
 */
public record RedisTierStats(
    long hits,
    long misses,
    long corrupt,
    long timeouts,
    long errors,
    long skipped,
    long writes,
    long writeFailures,
    long writesSkipped,
    boolean breakerOpen) {

  static final RedisTierStats NONE = new RedisTierStats(0, 0, 0, 0, 0, 0, 0, 0, 0, false);
}
