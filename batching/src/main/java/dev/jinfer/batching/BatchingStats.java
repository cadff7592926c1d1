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
 * @param direct adaptive mode's verdict that batching does not pay for callers blocked in the sync
 *     {@code predict}, who then call the delegate directly on their own threads: decided by measuring the calls
 *     completed per second in short alternating epochs of both modes (see the module README); always false in
 *     fixed mode and with manual dispatch
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
