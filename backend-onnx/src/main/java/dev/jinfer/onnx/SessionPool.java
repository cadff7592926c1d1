package dev.jinfer.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A fixed set of ONNX Runtime sessions of one model. {@link #acquire()} hands out an idle session if
 * there is one (claimed with a CAS, so two callers never get the same idle session), else the least busy:
 * ONNX Runtime sessions are thread-safe, so callers beyond the pool size share sessions rather than wait.
 * Lock-free; a pool of one session does no bookkeeping at all.
 *
 * <p>Thread-safe. {@link #close()} must only run once no call is in flight (core guarantees it).
 */
final class SessionPool implements AutoCloseable {
  // one counter per 64-byte cache line, so that two sessions' callers do not false-share
  private static final int STRIDE = 16;

  private final OrtSession[] sessions;
  private final AtomicIntegerArray busy;

  SessionPool(List<OrtSession> sessions) {
    if (sessions.isEmpty()) {
      throw new IllegalArgumentException("a session pool needs at least one session");
    }
    this.sessions = sessions.toArray(new OrtSession[0]);
    this.busy = new AtomicIntegerArray(this.sessions.length * STRIDE);
  }

  int size() {
    return sessions.length;
  }

  OrtSession session(int slot) {
    return sessions[slot];
  }

  /**
   * Claims a session; pair every call with {@link #release(int)} in a finally block.
   *
   * @return the slot of the claimed session
   */
  int acquire() {
    int n = sessions.length;
    if (n == 1) {
      return 0;
    }
    // start where this thread started last time (spreads threads, keeps a thread on its session)
    int start = (int) (Thread.currentThread().getId() % n);
    for (int i = 0; i < n; i++) {
      int slot = (start + i) % n;
      if (busy.get(slot * STRIDE) == 0 && busy.compareAndSet(slot * STRIDE, 0, 1)) {
        return slot;
      }
    }
    int best = start;
    int least = Integer.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      int slot = (start + i) % n;
      int b = busy.get(slot * STRIDE);
      if (b < least) {
        least = b;
        best = slot;
      }
    }
    busy.incrementAndGet(best * STRIDE);
    return best;
  }

  void release(int slot) {
    if (sessions.length > 1) {
      busy.decrementAndGet(slot * STRIDE);
    }
  }

  /**
   * Calls in flight on one session (tests and diagnostics).
   *
   * @param slot the session
   * @return the count; always 0 for a pool of one
   */
  int busy(int slot) {
    return busy.get(slot * STRIDE);
  }

  /**
   * Closes every session, even if some fail to close.
   *
   * @throws IllegalStateException carrying the first failure (later ones suppressed)
   */
  @Override
  public void close() {
    closeAll(List.of(sessions));
  }

  /**
   * Closes sessions, even if some fail to close.
   *
   * @param sessions the sessions
   * @throws IllegalStateException carrying the first failure (later ones suppressed)
   */
  static void closeAll(List<OrtSession> sessions) {
    IllegalStateException failure = null;
    for (OrtSession s : sessions) {
      try {
        s.close();
      } catch (OrtException | RuntimeException e) {
        if (failure == null) {
          failure = new IllegalStateException("onnx: failed to close a session: " + e.getMessage(), e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
