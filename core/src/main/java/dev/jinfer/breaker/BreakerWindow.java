package dev.jinfer.breaker;

/**
 * The sliding window a circuit breaker's closed state judges: the latest calls, each a success or a
 * failure and fast or slow, and whether they cross the breaker's thresholds. Implementations take no
 * lock and are thread-safe.
 */
interface BreakerWindow {
  /** Outcome bit every recorded call has. */
  int CALL = 1;
  /** Outcome bit of a call that failed with an error that counts. */
  int FAILED = 2;
  /** Outcome bit of a call slower than the slow-call threshold. */
  int SLOW = 4;

  /**
   * Records one call and judges the window it leaves.
   *
   * @param outcome {@link #CALL}, plus {@link #FAILED} and {@link #SLOW} as they apply
   * @param nowNanos the ticker's reading when the call ended (time-based windows place it by this)
   * @return the verdict: {@link BreakerThresholds#BELOW}, {@link BreakerThresholds#FAILURE_RATE} or
   *     {@link BreakerThresholds#SLOW_CALL_RATE}
   */
  int record(int outcome, long nowNanos);

  /**
   * What the window holds now.
   *
   * @param nowNanos the ticker's reading (time-based windows drop what has expired)
   * @return the counts
   */
  Counts counts(long nowNanos);

  /**
   * What a window holds at one moment.
   *
   * @param calls calls recorded (successes and failures)
   * @param failures those that failed
   * @param slowCalls those slower than the threshold, successful or not
   */
  record Counts(int calls, int failures, int slowCalls) {
    /** No calls. */
    public static final Counts EMPTY = new Counts(0, 0, 0);
  }
}
