package dev.jinfer.batching;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The close sequence: stop accepting requests, run what is queued at once for up to the drain timeout (on
 * the workers, or on the closing thread in manual mode), fail what is left then, wait for the batches in
 * flight and the threads, and unregister the meters. Idempotent and thread-safe.
 */
final class Drain {
  private static final Logger LOG = LoggerFactory.getLogger(Drain.class);
  /** How often a closing thread looks at the ticker while the queue drains. */
  private static final long CLOSE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final BatcherState state;
  private final Workers workers;
  private final BatchCounters counters;
  private final long drainTimeoutNanos;

  Drain(BatcherConfig config, BatcherState state, Workers workers, BatchCounters counters) {
    this.state = state;
    this.workers = workers;
    this.counters = counters;
    this.drainTimeoutNanos = config.resolvedDrainTimeoutNanos();
  }

  /** See {@link BatchingPredictor#close()}. */
  void close() {
    boolean interrupted = false;
    state.lock.lock();
    try {
      if (state.lifecycle == BatcherState.Lifecycle.RUNNING) {
        state.lifecycle = BatcherState.Lifecycle.DRAINING;
        state.accepting = false;
        state.drainDeadline = PendingRequest.saturatedAdd(state.ticker.read(), drainTimeoutNanos);
        state.workAvailable.signalAll();
      }
    } finally {
      state.lock.unlock();
    }
    if (workers.manual()) {
      drainOnCaller();
    } else if (workers.onBatcherThread()) {
      // called from a dependent stage on a batcher thread: waiting here would wait for this very thread
      LOG.debug("model {}: close() on a batcher thread; the other threads drain the queue", state.id);
      return;
    } else {
      interrupted = awaitWorkers();
      for (Thread t : workers.threads()) {
        interrupted |= joinUninterruptibly(t);
      }
    }
    interrupted |= awaitDirectCalls();
    state.lock.lock();
    try {
      if (state.lifecycle != BatcherState.Lifecycle.TERMINATED) {
        state.lifecycle = BatcherState.Lifecycle.TERMINATED;
        counters.metrics.close();
        LOG.debug("model {}: batching closed", state.id);
      }
    } finally {
      state.lock.unlock();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits for the calls running directly on their callers' threads (adaptive mode, batching off) to end. */
  private boolean awaitDirectCalls() {
    boolean interrupted = false;
    state.lock.lock();
    try {
      while (state.directCalls.get() > 0) {
        try {
          state.workersExited.await();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      state.lock.unlock();
    }
    return interrupted;
  }

  /** Waits for the workers to drain the queue, cancelling what is left at the drain deadline. */
  private boolean awaitWorkers() {
    boolean interrupted = false;
    for (;;) {
      List<PendingRequest> cancelled = null;
      state.lock.lock();
      try {
        while ((state.liveWorkers > 0 || state.inFlight > 0) && cancelled == null) {
          long now = state.ticker.read();
          if (state.lifecycle == BatcherState.Lifecycle.DRAINING && now >= state.drainDeadline) {
            state.lifecycle = BatcherState.Lifecycle.CANCELLING;
            cancelled = state.queue.removeAll();
            state.workAvailable.signalAll();
            break;
          }
          try {
            if (state.lifecycle == BatcherState.Lifecycle.DRAINING) {
              state.workersExited.awaitNanos(state.drainDeadline == Long.MAX_VALUE ? CLOSE_POLL_NANOS
                  : Math.min(CLOSE_POLL_NANOS, state.drainDeadline - now));
            } else {
              state.workersExited.await();
            }
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      } finally {
        state.lock.unlock();
      }
      if (cancelled == null) {
        return interrupted;
      }
      workers.failAll(cancelled, drainTimeoutPassed());
    }
  }

  /** Manual mode: runs the queue on the closing thread until it is empty or the drain deadline passes. */
  private void drainOnCaller() {
    List<PendingRequest> expiredNow = new ArrayList<>();
    for (;;) {
      List<PendingRequest> cancelled = null;
      state.lock.lock();
      try {
        if (state.lifecycle == BatcherState.Lifecycle.DRAINING && state.ticker.read() >= state.drainDeadline) {
          state.lifecycle = BatcherState.Lifecycle.CANCELLING;
          cancelled = state.queue.removeAll();
        }
      } finally {
        state.lock.unlock();
      }
      if (cancelled != null) {
        workers.failAll(cancelled, drainTimeoutPassed());
        return;
      }
      Workers.Batch b = workers.nextBatch(false, expiredNow);
      workers.failExpired(expiredNow);
      if (b == null) {
        return;
      }
      if (b != Workers.NOTHING_DUE) {
        workers.run(b);
      }
    }
  }

  private String drainTimeoutPassed() {
    return "the drain timeout of " + BatcherState.millis(drainTimeoutNanos) + " passed";
  }

  private static boolean joinUninterruptibly(Thread t) {
    boolean interrupted = false;
    for (;;) {
      try {
        t.join();
        return interrupted;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
  }
}
