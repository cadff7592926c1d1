package dev.jinfer.batching;

import dev.jinfer.ModelId;
import dev.jinfer.Ticker;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * What admission, the workers and close share: the lock, the {@link BatchQueue} it guards, the lifecycle
 * and the worker accounting, and the limits in force. Each part of the batcher
 * ({@link Admission}, {@link Workers}, {@link Drain}) takes the lock itself and touches the guarded fields
 * only while holding it.
 */
final class BatcherState {
  enum Lifecycle { RUNNING, DRAINING, CANCELLING, TERMINATED }

  final ModelId id;
  final Ticker ticker;
  final int maxQueueSize;
  /** Batcher threads (batches in flight at once); 1 in manual mode. */
  final int workers;
  final BatchTuner tuner;
  /** The limits in force; the runner swaps them as it measures the engine. */
  final AtomicReference<BatchTuner.Tuning> tuning;
  /**
   * Adaptive mode with its own threads: whether blocking callers queue or call the delegate directly,
   * decided by measuring both ({@link ModeArbiter}); null otherwise.
   */
  final @Nullable ModeArbiter arbiter;

  /**
   * False from the moment close starts (with {@link #lifecycle} leaving RUNNING): read without the lock by
   * callers about to call the delegate directly (adaptive mode, batching off).
   */
  volatile boolean accepting = true;
  /** Calls of the delegate running directly on their callers' threads (adaptive mode, batching off). */
  final AtomicInteger directCalls = new AtomicInteger();

  final ReentrantLock lock = new ReentrantLock();
  final Condition workAvailable = lock.newCondition();
  final Condition workersExited = lock.newCondition();
  // guarded by lock
  final BatchQueue queue;
  Lifecycle lifecycle = Lifecycle.RUNNING;
  long drainDeadline;
  int idleWorkers;
  long idleUntil = Long.MAX_VALUE;
  int liveWorkers;
  /** Batches running now, on workers or on callers that lead (at most {@link #workers}). */
  int inFlight;

  BatcherState(BatcherConfig config) {
    this.id = config.delegate().modelId();
    this.ticker = config.resolvedTicker();
    this.maxQueueSize = config.resolvedMaxQueueSize();
    this.workers = config.resolvedWorkers();
    this.tuner = new BatchTuner(config.resolvedMaxBatchSize(), config.resolvedMaxQueueDelayNanos(),
        config.latencyTargetNanos());
    this.tuning = new AtomicReference<>(tuner.initial());
    this.queue = new BatchQueue(maxQueueSize);
    this.arbiter = tuner.adaptive() && !config.manual() ? new ModeArbiter(ticker.read()) : null;
  }

  /**
   * Registers a direct call of the delegate, unless close has started.
   *
   * @return whether the call may run; if so, {@link #endDirect()} must follow it
   */
  boolean beginDirect() {
    directCalls.incrementAndGet();
    if (accepting) {
      return true; // close sets accepting before it reads directCalls: it will wait for this call
    }
    endDirect();
    return false;
  }

  /** Ends a direct call; the last one to end while close waits for them wakes it. */
  void endDirect() {
    if (directCalls.decrementAndGet() == 0 && !accepting) {
      lock.lock();
      try {
        workersExited.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /** Holds the lock. Wakes one sleeping worker if the queue now has work before they would wake. */
  void wakeWorkerIfDue() {
    if (idleWorkers == 0 || inFlight >= workers) {
      return; // no worker to wake, or none could take a batch now (the next to finish one looks at the queue)
    }
    BatchTuner.Tuning t = tuning.get();
    long due = queue.nextDueAt(t.maxRows(), t.windowNanos());
    if (due < idleUntil) {
      idleUntil = due;
      workAvailable.signal();
    }
  }

  /** Holds the lock. Whether another batch may start now (manual mode has no limit: its callers dispatch). */
  boolean slotFree(boolean manual) {
    return manual || inFlight < workers;
  }

  int queuedRequests() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  boolean isClosed() {
    lock.lock();
    try {
      return lifecycle != Lifecycle.RUNNING;
    } finally {
      lock.unlock();
    }
  }

  static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
  }
}
