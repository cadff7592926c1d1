package dev.jinfer.batching;

import dev.jinfer.DeadlineExceededException;
import dev.jinfer.ModelClosedException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker lifecycle and the dispatch loop: the batcher threads (none in manual mode), each taking the
 * next due batch from the queue, sleeping on the lock's condition until one is due, failing expired
 * requests on the way and running batches through the {@link BatchRunner}; and the same loop run on the
 * caller's thread for {@link BatchingPredictor#dispatchDue()}. Thread-safe.
 */
final class Workers {
  private static final Logger LOG = LoggerFactory.getLogger(Workers.class);

  /** A batch taken from the queue, and when. */
  record Batch(List<PendingRequest> requests, long takenAt) {}

  /** Returned by {@link #nextBatch} when nothing is due now, or expired requests are to be failed first. */
  static final Batch NOTHING_DUE = new Batch(List.of(), 0);

  /** What the loop needs once started: made after the threads, so that a failing factory registers no meter. */
  private record Started(BatchRunner runner, BatchCounters counters) {}

  private final BatcherState state;
  private final boolean manual;
  private final List<Thread> threads = new ArrayList<>();
  /** Set on a caller's thread while it leads batches (see {@link #lead}). */
  private final ThreadLocal<Boolean> leading = new ThreadLocal<>();
  // set once by start(), before any thread starts (Thread.start orders the write before the threads' reads)
  private @Nullable Started started;

  /**
   * Creates the threads, not started yet, so that a failing factory leaves nothing behind.
   *
   * @throws IllegalStateException if the factory returns null
   */
  Workers(BatcherConfig config, BatcherState state) {
    this.state = state;
    this.manual = config.manual();
    if (!manual) {
      ThreadFactory factory = config.resolvedThreadFactory();
      for (int i = 0; i < state.workers; i++) {
        Thread t = factory.newThread(this::workerLoop);
        if (t == null) {
          throw new IllegalStateException("threadFactory returned null for batcher thread " + i);
        }
        threads.add(t);
      }
      state.liveWorkers = state.workers;
    }
  }

  /** Starts the threads, which run their batches with the runner and count on the counters. */
  void start(BatchRunner runner, BatchCounters counters) {
    this.started = new Started(runner, counters);
    for (Thread t : threads) {
      t.start();
    }
    LOG.debug("model {}: batching started ({})", state.id, manual ? "manual dispatch" : state.workers + " workers");
  }

  boolean manual() {
    return manual;
  }

  List<Thread> threads() {
    return threads;
  }

  /**
   * @return whether the calling thread runs this batcher's batches now: one of its threads, or a caller
   *     leading a batch (a dependent stage of a future it completes runs on it)
   */
  boolean onBatcherThread() {
    return (!threads.isEmpty() && threads.contains(Thread.currentThread())) || leading.get() != null;
  }

  /**
   * Runs on the calling thread every batch due at the ticker's current reading, failing expired requests.
   *
   * @return the number of batches run
   */
  int dispatchDue() {
    int batches = 0;
    List<PendingRequest> expiredNow = new ArrayList<>();
    for (;;) {
      Batch b = nextBatch(false, expiredNow);
      failExpired(expiredNow);
      if (b == null || b == NOTHING_DUE) {
        return batches;
      }
      run(b);
      batches++;
    }
  }

  void run(Batch b) {
    started().runner().run(b.requests(), b.takenAt());
  }

  private Started started() {
    Started s = started;
    if (s == null) {
      throw new IllegalStateException("batcher for model " + state.id + " was not started");
    }
    return s;
  }

  /**
   * Takes the next due batch. Expired requests found on the way go to {@code expiredOut}, to be failed by
   * the caller outside the lock.
   *
   * @param block whether to sleep until a batch is due (workers) or to return at once (manual mode)
   * @return a batch; {@link #NOTHING_DUE} if there is none now (or expired requests to fail first); null
   *     when the batcher is closing and the queue is empty
   */
  @Nullable Batch nextBatch(boolean block, List<PendingRequest> expiredOut) {
    return nextBatch(block, expiredOut, false);
  }

  /**
   * {@link #nextBatch(boolean, List)}, first giving back the slot of the batch this thread just ran.
   *
   * @param releaseSlot whether this thread ran a batch since its last call (it holds one of the
   *     {@code workers} slots of batches in flight)
   */
  private @Nullable Batch nextBatch(boolean block, List<PendingRequest> expiredOut, boolean releaseSlot) {
    state.lock.lock();
    try {
      if (releaseSlot) {
        state.inFlight--;
      }
      for (;;) {
        long now = state.ticker.read();
        state.queue.expire(now, expiredOut);
        BatchTuner.Tuning t = state.tuning.get();
        boolean flush = state.lifecycle != BatcherState.Lifecycle.RUNNING;
        if (flush && state.queue.isEmpty()) {
          return null;
        }
        if (!state.slotFree(manual)) {
          // every slot is taken by callers leading their own batches: wait for one to finish
          if (!block || !expiredOut.isEmpty()) {
            return NOTHING_DUE;
          }
          awaitUninterruptibly();
          continue;
        }
        long window = t.windowNanos();
        List<PendingRequest> requests = state.queue.poll(now, t.maxRows(), window, flush);
        if (requests != null) {
          if (!manual) {
            state.inFlight++;
          }
          if (state.idleWorkers > 0 && state.queue.nextDueAt(t.maxRows(), window) <= now) {
            state.workAvailable.signal();
          }
          return new Batch(requests, now);
        }
        if (!block || !expiredOut.isEmpty()) {
          return NOTHING_DUE;
        }
        long due = state.queue.nextDueAt(t.maxRows(), window);
        state.idleWorkers++;
        state.idleUntil = Math.min(state.idleUntil, due);
        try {
          if (due == Long.MAX_VALUE) {
            state.workAvailable.await();
          } else {
            state.workAvailable.awaitNanos(Math.max(1, due - now));
          }
        } catch (InterruptedException e) {
          // batcher threads stop on close(), not on interrupts
        } finally {
          state.idleWorkers--;
          state.idleUntil = Long.MAX_VALUE;
        }
      }
    } finally {
      state.lock.unlock();
    }
  }

  /** Holds the lock. Sleeps as an idle worker until signalled (a slot freed, or work queued). */
  private void awaitUninterruptibly() {
    state.idleWorkers++;
    try {
      state.workAvailable.await();
    } catch (InterruptedException e) {
      // batcher threads stop on close(), not on interrupts
    } finally {
      state.idleWorkers--;
    }
  }

  /**
   * Leader/follower: a caller blocked in the sync {@code predict} that took a batch at admission (see
   * {@link Admission}) runs it on its own thread, instead of waking a batcher thread and parking until it
   * is done; then, while its own request is still queued, it runs the next due batch if a slot is free.
   * Gives the slot back at the end and wakes a worker if work is left queued.
   *
   * @param first the batch taken at admission (it holds a slot)
   * @param own the caller's own request's future
   */
  void lead(Batch first, java.util.concurrent.CompletableFuture<?> own) {
    List<PendingRequest> expiredNow = new ArrayList<>(0);
    leading.set(Boolean.TRUE);
    try {
      leadBatches(first, own, expiredNow);
    } finally {
      leading.remove();
    }
  }

  private void leadBatches(Batch first, java.util.concurrent.CompletableFuture<?> own, List<PendingRequest> expiredNow) {
    for (Batch b = first; b != null;) {
      run(b);
      b = null;
      state.lock.lock();
      try {
        state.inFlight--;
        if (!own.isDone() && state.lifecycle == BatcherState.Lifecycle.RUNNING) {
          long now = state.ticker.read();
          state.queue.expire(now, expiredNow);
          BatchTuner.Tuning t = state.tuning.get();
          List<PendingRequest> requests = state.queue.poll(now, t.maxRows(), t.windowNanos(), false);
          if (requests != null) {
            state.inFlight++;
            b = new Batch(requests, now);
          }
        }
        if (b == null) {
          if (state.idleWorkers > 0 && !state.queue.isEmpty()) {
            state.workAvailable.signal();
          }
          if (state.lifecycle != BatcherState.Lifecycle.RUNNING && state.inFlight == 0) {
            state.workersExited.signalAll();
          }
        }
      } finally {
        state.lock.unlock();
      }
      failExpired(expiredNow);
    }
  }

  /** Fails the requests whose deadline passed while they were queued, and empties the list. */
  void failExpired(List<PendingRequest> expiredNow) {
    if (expiredNow.isEmpty()) {
      return;
    }
    started().counters().expired(expiredNow.size());
    for (PendingRequest r : expiredNow) {
      r.future.completeExceptionally(new DeadlineExceededException("model " + state.id + ": deadline of "
          + BatcherState.millis(r.timeoutNanos) + " passed while the request was queued; it did not run"));
    }
    expiredNow.clear();
  }

  /** Fails requests that close (or dead workers) leave unrun, with {@link ModelClosedException}. */
  void failAll(List<PendingRequest> requests, String why) {
    started().counters().cancelledOnClose(requests.size());
    for (PendingRequest r : requests) {
      r.future.completeExceptionally(new ModelClosedException("BatchingPredictor for model " + state.id
          + " closed before the request ran: " + why));
    }
  }

  private void workerLoop() {
    List<PendingRequest> expiredNow = new ArrayList<>();
    try {
      boolean ran = false;
      for (;;) {
        Batch b = nextBatch(true, expiredNow, ran);
        ran = false;
        failExpired(expiredNow);
        if (b == null) {
          return;
        }
        if (b != NOTHING_DUE) {
          ran = true;
          run(b);
        }
      }
    } catch (Throwable e) {
      LOG.error("model {}: batcher thread {} failed", state.id, Thread.currentThread().getName(), e);
      throw e;
    } finally {
      state.lock.lock();
      try {
        if (--state.liveWorkers == 0) {
          if (state.lifecycle == BatcherState.Lifecycle.RUNNING) {
            // only after an unexpected error: nobody is left to serve the queue
            state.lifecycle = BatcherState.Lifecycle.CANCELLING;
            failAll(state.queue.removeAll(), "its batcher threads died");
          }
          state.workersExited.signalAll();
        }
      } finally {
        state.lock.unlock();
      }
    }
  }
}
