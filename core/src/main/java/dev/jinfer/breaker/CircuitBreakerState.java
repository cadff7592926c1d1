package dev.jinfer.breaker;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The states of a {@link CircuitBreaker}. Each is immutable as a reference (the breaker swaps them by CAS
 * in an {@code AtomicReference}); the ones that count calls own their counters, so an outcome reported to
 * a state that is no longer current changes nothing. Every transition creates a fresh state: a breaker
 * that closes again starts from an empty window.
 */
abstract sealed class CircuitBreakerState {
  final CircuitBreaker.State kind;
  /** Whether {@code acquire} handing out this object means the call was refused. */
  final boolean rejects;

  private CircuitBreakerState(CircuitBreaker.State kind, boolean rejects) {
    this.kind = kind;
    this.rejects = rejects;
  }

  /** Calls flow; their outcomes fill the sliding window. */
  static final class Closed extends CircuitBreakerState {
    final BreakerWindow window;

    Closed(BreakerWindow window) {
      super(CircuitBreaker.State.CLOSED, false);
      this.window = window;
    }
  }

  /** Calls are refused until {@code retryAtNanos}; the first call after it moves the breaker to half-open. */
  static final class Open extends CircuitBreakerState {
    final long retryAtNanos;
    final BreakerWindow.Counts countsAtOpen;
    private final Supplier<String> describe;
    // formatted on first use, after the CAS, so that a trip is installed as fast as possible
    private volatile @Nullable String reason;

    Open(long retryAtNanos, BreakerWindow.Counts countsAtOpen, Supplier<String> describe) {
      super(CircuitBreaker.State.OPEN, true);
      this.retryAtNanos = retryAtNanos;
      this.countsAtOpen = countsAtOpen;
      this.describe = describe;
    }

    /** Why it opened, e.g. {@code failure rate 60.0% >= 50.0% over the last 20 calls}. */
    String reason() {
      String r = reason;
      if (r == null) {
        r = describe.get();
        reason = r;
      }
      return r;
    }
  }

  /** A fixed number of trial calls go through; their outcomes close or reopen the breaker. */
  static final class HalfOpen extends CircuitBreakerState {
    private static final int BITS = 21;
    private static final long MASK = (1L << BITS) - 1;

    final int permittedCalls;
    /** What {@code acquire} returns when every trial permit is taken. */
    final Busy busy = new Busy(this);
    private final AtomicInteger permits;
    // completed trials, failed trials, slow trials: 21 bits each (permittedCalls <= 1,000,000)
    private final AtomicLong outcomes = new AtomicLong();

    HalfOpen(int permittedCalls) {
      super(CircuitBreaker.State.HALF_OPEN, false);
      this.permittedCalls = permittedCalls;
      this.permits = new AtomicInteger(permittedCalls);
    }

    boolean tryAcquire() {
      for (;;) {
        int p = permits.get();
        if (p <= 0) {
          return false;
        }
        if (permits.compareAndSet(p, p - 1)) {
          return true;
        }
      }
    }

    /** Gives back a permit whose call did not count (ignored error, or never made). */
    void release() {
      permits.incrementAndGet();
    }

    /**
     * Records a trial's outcome.
     *
     * @param outcome {@link BreakerWindow#CALL} plus {@link BreakerWindow#FAILED}, {@link BreakerWindow#SLOW}
     * @return completed, failed and slow trials after it, packed as by {@link #completed} and friends
     */
    long record(int outcome) {
      long delta = (outcome & BreakerWindow.CALL) | (long) (outcome & BreakerWindow.FAILED) << (BITS - 1)
          | (long) (outcome & BreakerWindow.SLOW) << (2 * BITS - 2);
      return outcomes.addAndGet(delta);
    }

    long outcomes() {
      return outcomes.get();
    }

    static int completed(long packed) {
      return (int) (packed & MASK);
    }

    static int failed(long packed) {
      return (int) (packed >>> BITS & MASK);
    }

    static int slow(long packed) {
      return (int) (packed >>> 2 * BITS & MASK);
    }
  }

  /** A refusal in half-open: every trial permit is taken. */
  static final class Busy extends CircuitBreakerState {
    final HalfOpen halfOpen;

    Busy(HalfOpen halfOpen) {
      super(CircuitBreaker.State.HALF_OPEN, true);
      this.halfOpen = halfOpen;
    }
  }

  /** Opened by hand: every call is refused until another manual transition. */
  static final class ForcedOpen extends CircuitBreakerState {
    ForcedOpen() {
      super(CircuitBreaker.State.FORCED_OPEN, true);
    }
  }

  /** Switched off by hand: every call goes through and nothing is judged. */
  static final class Disabled extends CircuitBreakerState {
    Disabled() {
      super(CircuitBreaker.State.DISABLED, false);
    }
  }
}
