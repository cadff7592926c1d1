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
 * <p>Adaptive mode also decides whether batching pays for callers blocked in the sync {@code predict} on
 * platform threads. What a full batch saves a request in engine time is {@code cost(1) - cost(n) / n =
 * fixed * (1 - 1 / n)} (n the limit): the engine call's fixed cost, shared. What the queue costs such a
 * caller is its hand-off: it parks and is woken by another thread, about {@link #BLOCKING_HANDOFF_NANOS} of
 * CPU. When the fitted saving is below that (the batch time per row does not fall enough with the batch
 * size: a cheap model such as a 10 us fraud MLP), {@link Tuning#direct()} says so (reported by
 * {@code BatchingStats.direct()}, not acted on); every {@link #PROBE_INTERVAL_NANOS} it is reconsidered
 * after {@link #PROBE_BATCHES} more batches. Async and virtual-thread callers are not concerned (their
 * hand-off is 1-4 us). The decision is made after
 * {@link #DECIDE_BATCHES} batches, and batching is turned off only by a fit whose batch sizes spread by
 * {@link #MIN_ROW_VARIANCE} rows squared or more (batches of one size cannot separate the fixed cost).
 *
 * <p>Immutable and thread-safe.
 */
final class BatchTuner {
  /** Batches measured before the adaptive limits (and shedding) kick in. */
  static final int WARMUP_BATCHES = 3;
  /** Batches measured before adaptive mode decides whether batching pays for blocking callers. */
  static final int DECIDE_BATCHES = 8;
  /**
   * The CPU a blocked platform-thread caller's hand-off costs (park, wake-up by a batcher thread, two
   * context switches): 13-15 us per request measured on the 2-vCPU KVM machine of the batching benchmark
   * (identity model, 64 callers); bare-metal machines pay less, so this errs toward batching off.
   */
  static final long BLOCKING_HANDOFF_NANOS = 12_000;
  /** How long blocking callers call directly before a probe measures batches again. */
  static final long PROBE_INTERVAL_NANOS = 100_000_000L;
  /** The spread of batch sizes, in rows squared, the fit needs before it may turn batching off. */
  static final double MIN_ROW_VARIANCE = 4;
  /** Batches a probe measures before deciding again. */
  static final int PROBE_BATCHES = 8;

  /**
   * A snapshot of the limits in force and the model they came from.
   *
   * @param cost the cost model
   * @param maxRows the batch limit in rows
   * @param windowNanos the batch window
   */
  record Tuning(CostModel cost, int maxRows, long windowNanos, boolean direct, long probeAt, int probed) {
    Tuning(CostModel cost, int maxRows, long windowNanos) {
      this(cost, maxRows, windowNanos, false, 0, 0);
    }

    /** @return whether the cost model has seen enough batches to predict */
    boolean warm() {
      return cost.samples() >= WARMUP_BATCHES;
    }

    /**
     * @param now the ticker's reading
     * @return whether a caller blocked on a platform thread should call the delegate directly now
     */
    boolean directAt(long now) {
      return direct && now - probeAt < 0;
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
    return observe(previous, rows, nanos, 0);
  }

  /**
   * The limits after one more measured batch, and whether blocking callers should bypass the queue.
   *
   * @param previous the limits in force
   * @param rows the batch's rows; a batch of 0 rows is ignored
   * @param nanos its engine time
   * @param now when it ended (ticker reading): the next probe is {@link #PROBE_INTERVAL_NANOS} after
   * @return the new limits
   */
  Tuning observe(Tuning previous, int rows, long nanos, long now) {
    if (rows <= 0) {
      return previous;
    }
    CostModel cost = previous.cost().add(rows, nanos);
    if (!adaptive() || cost.samples() < WARMUP_BATCHES) {
      return new Tuning(cost, previous.maxRows(), previous.windowNanos());
    }
    int limit = cost.largestWithin(targetNanos / 2.0, maxBatchSize);
    if (cost.samples() < DECIDE_BATCHES) {
      return new Tuning(cost, limit, 0);
    }
    int probed = previous.direct() ? previous.probed() + 1 : 0;
    if (previous.direct() && probed < PROBE_BATCHES) {
      return new Tuning(cost, limit, 0, true, previous.probeAt(), probed);
    }
    // only an identified fit may turn batching off: batches of nearly one size (a saturated batcher, or the
    // first batches) give the proportional model, whose fixed cost of zero would say batching never pays
    boolean direct = cost.rowVariance() >= MIN_ROW_VARIANCE ? !pays(cost, limit) : previous.direct();
    if (!direct) {
      return new Tuning(cost, limit, 0);
    }
    return new Tuning(cost, limit, 0, true, now + PROBE_INTERVAL_NANOS, 0);
  }

  /**
   * Whether a batch of {@code limit} rows saves a request more engine time than a blocking hand-off costs.
   *
   * @param cost the fitted cost
   * @param limit the batch limit
   * @return whether batching pays for blocking platform-thread callers
   */
  static boolean pays(CostModel cost, int limit) {
    return cost.fixedNanos() * (1 - 1.0 / limit) >= BLOCKING_HANDOFF_NANOS;
  }
}
