package dev.jinfer.batching;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * The batcher's counters and meters: what admission, the workers and close count, mirrored to
 * {@link BatchMetrics} (whose gauges read the shared state), and the {@link BatchingStats} snapshot.
 * Thread-safe.
 */
final class BatchCounters {
  final BatchMetrics metrics;
  private final LongAdder accepted = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder expired = new LongAdder();
  private final LongAdder shedOnAdmission = new LongAdder();
  private final LongAdder cancelledOnClose = new LongAdder();

  BatchCounters(BatcherConfig config, BatcherState state) {
    this.metrics = new BatchMetrics(config.meterRegistry(), state.id, state, BatcherState::queuedRequests,
        s -> s.tuning.get().maxRows(), s -> s.tuning.get().windowNanos() / 1e9);
  }

  void accepted() {
    accepted.increment();
  }

  /** Refused because the queue was full, or displaced from it by a high-priority request. */
  void rejected() {
    rejected.increment();
    metrics.rejected();
  }

  /** Shed on arrival in adaptive mode: predicted to miss its deadline. */
  void shedOnAdmission() {
    shedOnAdmission.increment();
    metrics.shed();
  }

  void expired(int requests) {
    expired.add(requests);
    metrics.expired(requests);
  }

  void cancelledOnClose(int requests) {
    cancelledOnClose.add(requests);
  }

  /**
   * A snapshot of the queue, the counters and the limits in force.
   *
   * @param state the queue, read under its lock
   * @param runner the engine-call counters
   * @return the statistics
   */
  BatchingStats snapshot(BatcherState state, BatchRunner runner) {
    int queuedRequests;
    long queuedRows;
    long cancelled;
    state.lock.lock();
    try {
      queuedRequests = state.queue.size();
      queuedRows = state.queue.rows();
      cancelled = state.queue.cancelled();
    } finally {
      state.lock.unlock();
    }
    BatchTuner.Tuning t = state.tuning.get();
    return new BatchingStats(queuedRequests, queuedRows, accepted.sum(), rejected.sum(), expired.sum(),
        shedOnAdmission.sum() + runner.shed.sum(), cancelled + cancelledOnClose.sum(), runner.calls.sum(),
        runner.splits.sum(), t.maxRows(), Duration.ofNanos(t.windowNanos()), t.cost().fixedNanos(),
        t.cost().perRowNanos(), state.arbiter != null && state.arbiter.verdict());
  }
}
