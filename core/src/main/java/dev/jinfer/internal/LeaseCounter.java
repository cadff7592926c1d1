package dev.jinfer.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts leases (calls in flight) on something that must not be freed under a running call, and closes it
 * after the last one: a loaded model (a native session, ONNX Runtime's above all, must never be freed under
 * a running call) and a registry version (retired when a newer one serves, closed after its last call).
 * Once closed, no lease is granted. One CAS to acquire, one atomic decrement to release; thread-safe.
 *
 * <p>Two ways to close: {@link #closeAndAwait()} blocks until the last lease is returned (a model's
 * {@code close()}); {@link #close()} returns at once and tells whether the caller is the one to free the
 * resource now, else {@link #release()} tells the thread returning the last lease (a registry version's
 * retirement, which must not block the swapping thread).
 */
public final class LeaseCounter {
  private static final long CLOSED = Long.MIN_VALUE;

  // sign bit: closed; the rest: leases held
  private final AtomicLong state = new AtomicLong();

  /**
   * Takes a lease, unless closed.
   *
   * @return false if closed (the caller must not proceed)
   */
  public boolean tryAcquire() {
    for (;;) {
      long s = state.get();
      if (s < 0) {
        return false;
      }
      if (state.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  /**
   * Returns a lease; wakes a closer blocked in {@link #closeAndAwait()} if this was the last one.
   *
   * @return true if the counter is closed and this was the last lease: the caller frees the resource
   */
  public boolean release() {
    if (state.decrementAndGet() == CLOSED) {
      synchronized (this) {
        notifyAll();
      }
      return true;
    }
    return false;
  }

  /**
   * Closes without waiting: no lease is granted from now on. Idempotent.
   *
   * @return true if this call closed the counter and no lease was held: the caller frees the resource now
   *     (otherwise the {@link #release()} of the last lease reports it)
   */
  public boolean close() {
    return state.getAndUpdate(s -> s | CLOSED) == 0;
  }

  /**
   * Closes and blocks until no lease is held. Interrupts are remembered, not obeyed: giving up early would
   * let the caller free memory a running call uses.
   *
   * @return true if this call closed the counter, false if it was already closed
   */
  public boolean closeAndAwait() {
    long before = state.getAndUpdate(s -> s | CLOSED);
    boolean interrupted = false;
    synchronized (this) {
      while (state.get() != CLOSED) {
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return before >= 0;
  }

  /**
   * Waits, up to a bound, until the counter is closed and no lease is held. Interrupts are remembered and end
   * the wait early (returning false), since a bounded wait's caller does not free the resource itself.
   *
   * @param timeoutNanos the longest wait
   * @return true if closed with no lease held; false if leases are still held when the bound passes
   */
  public boolean awaitDrained(long timeoutNanos) {
    long end = System.nanoTime() + Math.max(0, timeoutNanos);
    synchronized (this) {
      while (state.get() != CLOSED) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return state.get() == CLOSED;
        }
      }
    }
    return true;
  }

  /** @return whether the counter is closed */
  public boolean isClosed() {
    return state.get() < 0;
  }

  /** @return leases held now */
  public long held() {
    return state.get() & Long.MAX_VALUE;
  }
}
