package dev.jinfer.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts calls in flight and lets a closer wait until the last one leaves, after which no call can
 * enter. This is what makes closing a model safe while other threads run it: a native session (ONNX
 * Runtime's above all) must never be freed under a running call. One CAS to enter, one to leave.
 */
public final class InFlightGate {
  private static final long CLOSED = Long.MIN_VALUE;

  // sign bit: closed; the rest: calls in flight
  private final AtomicLong state = new AtomicLong();

  /**
   * Enters, unless closed.
   *
   * @return false if the gate is closed (the caller must not proceed)
   */
  public boolean tryEnter() {
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

  /** Leaves; wakes the closer if this was the last call. */
  public void exit() {
    if (state.decrementAndGet() == CLOSED) {
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /**
   * Closes the gate and blocks until no call is in flight. Interrupts are remembered, not obeyed: giving
   * up early would let the caller free memory a running call uses.
   *
   * @return true if this call closed the gate, false if it was already closed
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

  /** @return whether the gate is closed */
  public boolean isClosed() {
    return state.get() < 0;
  }

  /** @return calls currently in flight */
  public long inFlight() {
    return state.get() & Long.MAX_VALUE;
  }
}
