package dev.jinfer.breaker;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * A window of the calls that ended in the last {@code length} of time, without a lock: ten buckets of
 * {@code length / 10} each, in a ring indexed by the bucket's epoch ({@code now / bucketLength}). A call
 * adds to its bucket's counters; the first call of a new epoch replaces the bucket that epoch reuses (one
 * CAS, one small allocation per bucket period). Judging sums the ten buckets still inside the window, so
 * an outcome expires between 0.9 and 1.0 {@code length} after it was recorded. An idle window costs
 * nothing and empties by itself.
 *
 * <p>Each bucket counts calls in one {@link AtomicLong} and failures and slow calls (32 bits each) in
 * another. Recorders add the calls first, readers read the failures first, so a reader never sees a
 * failure whose call it does not count: a racing read can only under-estimate a rate, never trip early.
 *
 * <p>Thread-safe.
 */
final class BreakerTimeWindow implements BreakerWindow {
  /** Buckets in the ring. */
  public static final int BUCKETS = 10;

  private final long bucketNanos;
  private final BreakerThresholds thresholds;
  private final AtomicReferenceArray<Bucket> ring = new AtomicReferenceArray<>(BUCKETS);

  /**
   * An empty window.
   *
   * @param lengthNanos how long an outcome counts, at least {@link #BUCKETS} nanoseconds
   * @param thresholds what trips the breaker
   * @throws IllegalArgumentException if the length is too short
   */
  public BreakerTimeWindow(long lengthNanos, BreakerThresholds thresholds) {
    if (lengthNanos < BUCKETS) {
      throw new IllegalArgumentException("lengthNanos must be >= " + BUCKETS + " but was " + lengthNanos);
    }
    this.bucketNanos = lengthNanos / BUCKETS;
    this.thresholds = thresholds;
  }

  @Override
  public int record(int outcome, long nowNanos) {
    long epoch = Math.floorDiv(nowNanos, bucketNanos);
    Bucket b = bucket(epoch);
    if (b != null) {
      b.calls.incrementAndGet();
      long failSlow = ((long) (outcome & FAILED) << 31) | (outcome & SLOW) >>> 2;
      if (failSlow != 0) {
        b.failuresAndSlow.addAndGet(failSlow);
      }
    }
    long calls = 0;
    long failures = 0;
    long slow = 0;
    for (int i = 0; i < BUCKETS; i++) {
      Bucket x = ring.get(i);
      if (x != null && x.epoch > epoch - BUCKETS && x.epoch <= epoch) {
        long fs = x.failuresAndSlow.get();
        calls += x.calls.get();
        failures += fs >>> 32;
        slow += fs & 0xFFFF_FFFFL;
      }
    }
    return thresholds.judge(calls, Math.min(failures, calls), Math.min(slow, calls));
  }

  @Override
  public Counts counts(long nowNanos) {
    long epoch = Math.floorDiv(nowNanos, bucketNanos);
    long calls = 0;
    long failures = 0;
    long slow = 0;
    for (int i = 0; i < BUCKETS; i++) {
      Bucket x = ring.get(i);
      if (x != null && x.epoch > epoch - BUCKETS && x.epoch <= epoch) {
        long fs = x.failuresAndSlow.get();
        calls += x.calls.get();
        failures += fs >>> 32;
        slow += fs & 0xFFFF_FFFFL;
      }
    }
    return new Counts(saturate(calls), saturate(Math.min(failures, calls)), saturate(Math.min(slow, calls)));
  }

  // The bucket of an epoch, creating it if its slot holds an older one. Null if the slot already holds a
  // newer epoch: the caller read the ticker a whole window ago, so its outcome has expired anyway.
  private @Nullable Bucket bucket(long epoch) {
    int i = Math.floorMod(epoch, BUCKETS);
    for (;;) {
      Bucket b = ring.get(i);
      if (b != null && b.epoch >= epoch) {
        return b.epoch == epoch ? b : null;
      }
      Bucket fresh = new Bucket(epoch);
      if (ring.compareAndSet(i, b, fresh)) {
        return fresh;
      }
    }
  }

  private static int saturate(long n) {
    return (int) Math.min(n, Integer.MAX_VALUE);
  }

  private static final class Bucket {
    final long epoch;
    final AtomicLong calls = new AtomicLong();
    // failures in the high 32 bits, slow calls in the low 32
    final AtomicLong failuresAndSlow = new AtomicLong();

    Bucket(long epoch) {
      this.epoch = epoch;
    }
  }
}
