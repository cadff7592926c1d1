package dev.jinfer.breaker;

/**
 * When a window of calls trips a circuit breaker: at least {@code minimumCalls} calls, and a failure
 * rate or a slow-call rate (in percent) at or above its threshold.
 *
 * @param minimumCalls calls needed before the rates are judged, at least 1
 * @param failureRate failure-rate threshold in percent, in (0, 100]
 * @param slowCallRate slow-call-rate threshold in percent, in (0, 100]
 */
record BreakerThresholds(int minimumCalls, double failureRate, double slowCallRate) {
  /** Verdict: the window does not trip the breaker. */
  public static final int BELOW = 0;
  /** Verdict: the failure rate is at or above its threshold. */
  public static final int FAILURE_RATE = 1;
  /** Verdict: the slow-call rate is at or above its threshold. */
  public static final int SLOW_CALL_RATE = 2;

  /**
   * Judges counts.
   *
   * @param calls calls in the window
   * @param failures failed calls in it
   * @param slowCalls slow calls in it
   * @return {@link #BELOW}, {@link #FAILURE_RATE} or {@link #SLOW_CALL_RATE}
   */
  public int judge(long calls, long failures, long slowCalls) {
    return calls < minimumCalls ? BELOW : judgeRates(calls, failures, slowCalls);
  }

  /**
   * Judges the rates only, for a window that has already checked it holds the minimum number of calls.
   *
   * @param calls calls in the window
   * @param failures failed calls in it
   * @param slowCalls slow calls in it
   * @return {@link #BELOW} (also if there are no calls), {@link #FAILURE_RATE} or {@link #SLOW_CALL_RATE}
   */
  public int judgeRates(long calls, long failures, long slowCalls) {
    if (calls <= 0) {
      return BELOW;
    }
    if (failures * 100.0 >= failureRate * calls) {
      return FAILURE_RATE;
    }
    if (slowCalls * 100.0 >= slowCallRate * calls) {
      return SLOW_CALL_RATE;
    }
    return BELOW;
  }
}
