package dev.jinfer.batching;

/**
 * Decides the batch limit (rows) and the batch window (how long the oldest request may wait for others)
 * from the configuration and, in adaptive mode, from the measured {@link CostModel}.
 *
 * <p>Fixed mode: the limit is {@code maxBatchSize} and the window {@code maxQueueDelay}, always.
 *
 * <p>Adaptive mode, for a latency target {@code T}: the window is zero (greedy: a free worker takes what
 * is queued, so a request never waits for company, only for a worker), and a request waits at most for
 * one batch already running plus its own, so the limit is the largest {@code n <= maxBatchSize} with
 * {@code 2 * cost(n) <= T}. Until {@link #WARMUP_BATCHES} batches have been measured the limit is
 * {@code maxBatchSize}.
 *
 * <p>Why greedy rather than a tuned window: with callers that wait for their answers, a window longer
 * than the time it takes them to come back is waited out in full at every batch whenever fewer callers
 * than the limit are active (the fixed batcher at 16 callers ran at a quarter of the direct throughput
 * on the wide MLP of the batching benchmark, the greedy one at twice), while waiting with a worker idle
 * never adds capacity: under load the workers are busy and batches fill while they are.
 *
 * <p>Whether batching pays at all for callers blocked in the sync {@code predict} is not decided here
 * from the fitted costs (batch times measured while other threads call the engine directly are too noisy
 * for that) but by {@link ModeArbiter}, which measures both modes.
 *
 * <p>Immutable and thread-safe.
 */
final class BatchTuner {
  /** Batches measured before the adaptive limits (and shedding) kick in. */
  static final int WARMUP_BATCHES = 3;
  /**
   * A snapshot of the limits in force and the model they came from.
   *
   * @param cost the cost model
   * @param maxRows the batch limit in rows
   * @param windowNanos the batch window
   */
  record Tuning(CostModel cost, int maxRows, long windowNanos) {
    /** @return whether the cost model has seen enough batches to predict */
    boolean warm() {
      return cost.samples() >= WARMUP_BATCHES;
    }
  }

  private final int maxBatchSize;
  private final long maxQueueDelayNanos;
  private final long targetNanos;

  /**
   * A tuner.
   *
   * @param maxBatchSize the configured batch limit
   * @param maxQueueDelayNanos the configured window
   * @param targetNanos the latency target, or 0 for fixed mode
   */
  BatchTuner(int maxBatchSize, long maxQueueDelayNanos, long targetNanos) {
    this.maxBatchSize = maxBatchSize;
    this.maxQueueDelayNanos = maxQueueDelayNanos;
    this.targetNanos = targetNanos;
  }

  /** @return whether the limits adapt to a latency target */
  boolean adaptive() {
    return targetNanos > 0;
  }

  /** @return the limits before any batch has run */
  Tuning initial() {
    return new Tuning(CostModel.empty(), maxBatchSize, adaptive() ? 0 : maxQueueDelayNanos);
  }

  /**
   * The limits after one more measured batch.
   *
   * @param previous the limits in force
   * @param rows the batch's rows; a batch of 0 rows (only zero-row requests) is ignored: it says nothing
   *     about the cost per row and would divide by zero rows in the fit
   * @param nanos its engine time
   * @return the new limits
   */
  Tuning observe(Tuning previous, int rows, long nanos) {
    if (rows <= 0) {
      return previous;
    }
    CostModel cost = previous.cost().add(rows, nanos);
    if (!adaptive() || cost.samples() < WARMUP_BATCHES) {
      return new Tuning(cost, previous.maxRows(), previous.windowNanos());
    }
    return new Tuning(cost, cost.largestWithin(targetNanos / 2.0, maxBatchSize), 0);
  }
}
