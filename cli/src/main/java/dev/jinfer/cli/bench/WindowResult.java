package dev.jinfer.cli.bench;

/**
 * One measurement window of a level. Immutable.
 *
 * @param seconds its measured length
 * @param requests successful requests that ended in it
 * @param errors failed requests that ended in it
 * @param p50Nanos median latency of its successful requests
 * @param p99Nanos p99 latency of its successful requests
 * @param maxNanos the largest latency of its successful requests
 * @param sent requests sent in it (open loop; 0 for a closed loop)
 * @param maxSendLagNanos how far behind schedule the sender was at worst (open loop)
 * @param behindNanos how long overdue the next unsent request was at its end (open loop; 0 = on schedule)
 */
record WindowResult(double seconds, long requests, long errors, long p50Nanos, long p99Nanos, long maxNanos, long sent,
    long maxSendLagNanos, long behindNanos) {
  /** Successful requests per second. */
  double throughput() {
    return seconds > 0 ? requests / seconds : 0;
  }
}
