package dev.jinfer.cli.bench;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * What one level of a sweep (a concurrency, or a request rate) measured, over the windows it reports:
 * the last {@code stableWindows} when the level became stable, else every measurement window. Immutable
 * once built (the histogram is a private copy that nobody records into).
 *
 * @param concurrency the clients of a closed loop; 0 for an open loop
 * @param rate the requested rate of an open loop, requests per second; 0 for a closed loop
 * @param rowsPerRequest rows in each request
 * @param latency the latencies of the successful requests, in nanoseconds, including those of an open loop's
 *     drained requests
 * @param drainedRequests successful requests of an open loop that were due in the measured period but
 *     answered after it ended (the slowest ones): in {@code latency}, not in the throughput; 0 for a closed loop
 * @param seconds the length of the reported windows
 * @param errors failed requests by type, sorted by type
 * @param sloNanos the latency objective, 0 when none was given
 * @param stable whether the level became stable before the window limit
 * @param windows every measurement window, in order
 * @param reportedWindows how many trailing windows the figures cover
 * @param counters the change of the target's counters (cache, batcher) over the reported windows
 * @param openLoop the open loop's sending figures, null for a closed loop
 */
record LevelResult(int concurrency, double rate, int rowsPerRequest, Histogram latency, long drainedRequests, double seconds,
    Map<String, Long> errors, long sloNanos, boolean stable, List<WindowResult> windows, int reportedWindows,
    Map<String, Long> counters, @Nullable OpenLoopStats openLoop) {

  /**
   * What an open loop's request threads achieved in sending.
   *
   * @param sentRate requests sent per second over the reported windows
   * @param maxSendLagNanos how late a request went out at worst
   * @param behindNanos how long overdue the next unsent request was when the last window ended
   * @param behindSchedule whether less than 95% of the requested rate was sent
   * @param overloaded whether the loop was more than one window behind schedule at the end: every request
   *     thread was busy that long, the target cannot sustain the rate
   */
  record OpenLoopStats(double sentRate, long maxSendLagNanos, long behindNanos, boolean behindSchedule, boolean overloaded) {}

  /** Whether this level is an open loop. */
  boolean isOpenLoop() {
    return openLoop != null;
  }

  /** Successful requests. */
  long requests() {
    return latency.getTotalCount();
  }

  /** Failed requests. */
  long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Successful requests per second: those that ended in the reported windows, over their length. */
  double throughput() {
    return seconds > 0 ? (requests() - drainedRequests) / seconds : 0;
  }

  /** Successful rows per second. */
  double rowsPerSecond() {
    return throughput() * rowsPerRequest;
  }

  /** Latency at a percentile (0..100), in nanoseconds; 0 without successful requests. */
  long percentileNanos(double percentile) {
    return requests() == 0 ? 0 : latency.getValueAtPercentile(percentile);
  }

  /** The largest latency, in nanoseconds. */
  long maxNanos() {
    return requests() == 0 ? 0 : latency.getMaxValue();
  }

  /** The mean latency, in nanoseconds. */
  double meanNanos() {
    return requests() == 0 ? 0 : latency.getMean();
  }

  /** Successful requests within the SLO; all of them when there is none. */
  long withinSlo() {
    if (sloNanos <= 0 || requests() == 0) {
      return requests();
    }
    return latency.getCountBetweenValues(0, sloNanos);
  }

  /** Share of successful and failed requests that succeeded within the SLO. */
  double withinSloShare() {
    long all = requests() + errorCount();
    return all == 0 ? 0 : (double) withinSlo() / all;
  }

  /**
   * Requests per second that succeeded within the SLO (= throughput when there is no SLO): the throughput
   * times the share of successful requests within the SLO.
   */
  double goodput() {
    return requests() == 0 ? 0 : throughput() * withinSlo() / requests();
  }

  /** Cache hits in proportion of lookups over the reported windows; NaN without a cache. */
  double cacheHitRatio() {
    Long hits = counters.get(PredictorTarget.CACHE_HITS);
    Long misses = counters.get(PredictorTarget.CACHE_MISSES);
    if (hits == null || misses == null || hits + misses == 0) {
      return Double.NaN;
    }
    return (double) hits / (hits + misses);
  }

  /** Requests per engine call of the batcher over the reported windows; NaN without batching. */
  double meanBatchRequests() {
    Long requests = counters.get(PredictorTarget.BATCH_REQUESTS);
    Long calls = counters.get(PredictorTarget.BATCH_CALLS);
    if (requests == null || calls == null || calls == 0) {
      return Double.NaN;
    }
    return (double) requests / calls;
  }

  /** The level's label: {@code c=4} or {@code 500/s}. */
  String label() {
    return isOpenLoop() ? Units.compact(rate) + "/s" : "c=" + concurrency;
  }
}
