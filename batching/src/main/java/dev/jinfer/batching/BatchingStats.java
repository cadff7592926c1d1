package dev.jinfer.batching;

import java.time.Duration;

/**
 * A snapshot of a {@link BatchingPredictor}'s queue, counters and limits, for tests, health checks and
 * logs (the same figures go to Micrometer when a registry is given). Immutable and thread-safe; the
 * figures are read one after another, not atomically together.
 *
 * @param queuedRequests requests waiting in the queue
 * @param queuedRows rows waiting in the queue
 * @param accepted requests accepted into the queue since the start
 * @param rejected requests refused, or displaced by a high-priority one, because the queue was full
 * @param expired requests whose deadline passed while queued (they did not run)
 * @param shed requests dropped in adaptive mode because they were predicted to miss their deadline
 * @param cancelled requests cancelled while queued: by their caller, or by close after the drain timeout
 * @param engineCalls successful calls of the delegate (batches, and halves of failed batches)
 * @param splits failed batches retried in halves to isolate a bad request
 * @param batchLimit the batch limit in rows now in force
 * @param batchWindow the batch window now in force
 * @param fixedCostNanos the fitted fixed cost of an engine call, in nanoseconds
 * @param perRowCostNanos the fitted cost of one more row, in nanoseconds
 * @param direct adaptive mode's verdict, from the fitted costs, that batching does not pay for callers blocked
 *     on platform threads (the shared fixed cost of an engine call is below a hand-off; see the module README).
 *     (false while a probe re-measures, every 100 ms). Advisory: the batcher reports it and does not act on it
 */
public record BatchingStats(
    int queuedRequests,
    long queuedRows,
    long accepted,
    long rejected,
    long expired,
    long shed,
    long cancelled,
    long engineCalls,
    long splits,
    int batchLimit,
    Duration batchWindow,
    double fixedCostNanos,
    double perRowCostNanos,
    boolean direct) {}
