package dev.jinfer.breaker;

import dev.jinfer.CancelledException;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelId;
import dev.jinfer.Predictor;
import dev.jinfer.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops calling a model that keeps failing or slowing down, and lets it recover: a circuit breaker.
 *
 * <pre>{@code
 * CircuitBreaker breaker = CircuitBreaker.newBuilder(model.id())
 *     .failureRateThreshold(50)                              // percent of the window
 *     .slowCallDurationThreshold(Duration.ofMillis(50))      // a call over this is slow
 *     .slowCallRateThreshold(80)
 *     .waitDurationInOpenState(Duration.ofSeconds(10))
 *     .fallback(rulesPredictor)                              // optional: serves refused calls
 *     .meterRegistry(registry)
 *     .build();
 * Predictor guarded = breaker.decorate(model.predictor());
 * }</pre>
 *
 * <h2>States</h2>
 * <ul>
 *   <li>{@link State#CLOSED}: calls go through; their outcomes fill a sliding window, either the last
 *       {@code n} calls ({@link Builder#countBasedWindow}) or the calls of the last {@code d}
 *       ({@link Builder#timeBasedWindow}). Once the window holds {@link Builder#minimumNumberOfCalls} calls,
 *       a failure rate at or above {@link Builder#failureRateThreshold}, or a rate of calls slower than
 *       {@link Builder#slowCallDurationThreshold} at or above {@link Builder#slowCallRateThreshold}, opens
 *       the breaker.
 *   <li>{@link State#OPEN}: calls are refused ({@link CircuitOpenException}, or served by the fallback) for
 *       {@link Builder#waitDurationInOpenState}; the first call after that moves the breaker to half-open
 *       (no thread, no timer: the transition happens on that call, which takes the first trial permit).
 *   <li>{@link State#HALF_OPEN}: {@link Builder#permittedCallsInHalfOpenState} trial calls go through, the
 *       rest are refused. When the trials are done, the breaker closes (with an empty window) if their
 *       failure rate is below {@link Builder#halfOpenFailureRateThreshold} and their slow-call rate below
 *       the slow-call threshold; otherwise it opens again. It reopens as soon as enough trials failed that
 *       the rest cannot save the verdict.
 *   <li>{@link State#FORCED_OPEN} and {@link State#DISABLED}: set by hand; refuse every call, or let every
 *       call through without judging it.
 * </ul>
 *
 * <h2>What counts</h2>
 * A call counts as failed when it throws and {@link Builder#failurePredicate} says so. By default every
 * error counts except {@link InvalidInputException} (the caller's bad input says nothing about the model),
 * {@link ModelClosedException} (a closed model or predictor) and {@link IllegalStateException} (a misuse). An error that does not count is
 * ignored: it is in no rate, and in half-open it gives its trial permit back. A call that takes longer than
 * the slow-call threshold is slow, whether it succeeded or failed.
 *
 * <h2>Use</h2>
 * {@link #decorate} wraps any {@link Predictor}, sync and async. For custom wrappers the low-level hooks
 * are public: {@link #tryAcquirePermission()}, then exactly one of {@link #onSuccess}, {@link #onError} or
 * {@link #releasePermission()}. Manual transitions ({@link #transitionToOpen()} and friends) serve
 * operators and tests. Every transition is logged (opening at WARN, the others at INFO), counted in
 * Micrometer when a registry is set, and reported to the {@link Builder#listener}.
 *
 * <p>Thread-safe and lock-free: the state is an immutable object swapped by CAS, and the sliding windows
 * are rings of atomic counters. A call through a closed breaker costs two ticker reads and three atomic
 * updates, and allocates nothing.
 */
public final class CircuitBreaker {
  private static final Logger LOG = LoggerFactory.getLogger(CircuitBreaker.class);

  private static final Predicate<Throwable> DEFAULT_FAILURE_PREDICATE = new Predicate<>() {
    @Override
    public boolean test(Throwable t) {
      return !(t instanceof InvalidInputException) && !(t instanceof ModelClosedException)
          && !(t instanceof IllegalStateException) && !(t instanceof CancelledException) && !(t instanceof CancellationException);
    }

    @Override
    public String toString() {
      return "every error but InvalidInputException, ModelClosedException, IllegalStateException and a cancellation"
          + " (CancelledException, CancellationException)";
    }
  };

  /** The states of a breaker. Immutable, like every enum. */
  public enum State {
    /** Calls go through and are judged. */
    CLOSED,
    /** Calls are refused until the wait in open ends. */
    OPEN,
    /** A few trial calls go through; their outcomes close or reopen the breaker. */
    HALF_OPEN,
    /** Opened by hand: every call is refused until another manual transition. */
    FORCED_OPEN,
    /** Switched off by hand: every call goes through and none is judged. */
    DISABLED
  }

  /**
   * What a breaker saw, at one moment. Immutable, so thread-safe.
   *
   * @param state the state
   * @param failureRate failed calls in percent of the judged calls (the sliding window when closed; the
   *     window or the trials that opened it when open; the completed trials when half-open), or -1 when
   *     closed with fewer than the minimum number of calls, half-open with trials still to complete, or
   *     when nothing is judged (opened by hand, forced open, disabled)
   * @param slowCallRate slow calls in percent, or -1 as for the failure rate
   * @param bufferedCalls the judged calls
   * @param failedCalls the judged calls that failed
   * @param slowCalls the judged calls that were slow
   * @param notPermittedCalls calls refused since the breaker was built
   * @param waitUntilTrial how long until an open breaker lets a trial call through; zero in other states
   */
  public record Snapshot(State state, double failureRate, double slowCallRate, int bufferedCalls, int failedCalls,
      int slowCalls, long notPermittedCalls, Duration waitUntilTrial) {}

  /**
   * One state transition, as reported to the {@link Builder#listener}. Immutable, so thread-safe.
   *
   * @param model the model the breaker guards
   * @param from the state left
   * @param to the state entered
   * @param reason why, e.g. {@code failure rate 60.0% >= 50.0% over the last 20 calls}
   */
  public record Transition(ModelId model, State from, State to, String reason) {}

  private final ModelId model;
  private final Ticker ticker;
  private final int windowCalls;
  private final long windowNanos;
  private final BreakerThresholds thresholds;
  private final long slowCallNanos;
  private final long waitInOpenNanos;
  private final int permittedCallsInHalfOpen;
  private final double halfOpenFailureRate;
  private final Predicate<? super Throwable> isFailure;
  private final @Nullable Predictor fallback;
  private final boolean fallbackOnFailure;
  private final @Nullable Consumer<Transition> listener;
  private final BreakerMeters meters;
  private final LongAdder notPermitted = new LongAdder();
  private final AtomicReference<CircuitBreakerState> state;

  private CircuitBreaker(BreakerConfig config) {
    this.model = config.model();
    this.ticker = config.effectiveTicker();
    this.windowNanos = config.effectiveWindowNanos();
    this.windowCalls = config.effectiveWindowCalls();
    this.thresholds = config.thresholds();
    this.slowCallNanos = config.effectiveSlowCallNanos();
    this.waitInOpenNanos = config.effectiveWaitInOpenNanos();
    this.permittedCallsInHalfOpen = config.effectivePermittedCallsInHalfOpen();
    this.halfOpenFailureRate = config.effectiveHalfOpenFailureRate();
    this.isFailure = config.failurePredicate() == null ? DEFAULT_FAILURE_PREDICATE : config.failurePredicate();
    this.fallback = config.fallback();
    this.fallbackOnFailure = config.fallbackOnFailure();
    this.listener = config.listener();
    this.state = new AtomicReference<>(newClosed());
    this.meters = new BreakerMeters(config.meterRegistry(), model, this, CircuitBreaker::state,
        c -> c.snapshot().failureRate(), c -> c.snapshot().slowCallRate(), fallback != null);
  }

  /**
   * A builder for a breaker guarding a model, with the defaults of {@link Builder}.
   *
   * @param model the model the breaker guards: it names the breaker in messages, logs and meter tags
   * @return a new builder
   * @throws NullPointerException if the model is null
   */
  public static Builder newBuilder(ModelId model) {
    return new Builder(model);
  }

  /**
   * A breaker with every default (see {@link Builder}).
   *
   * @param model the model the breaker guards
   * @return the breaker
   * @throws NullPointerException if the model is null
   */
  public static CircuitBreaker of(ModelId model) {
    return newBuilder(model).build();
  }

  /**
   * The default {@link Builder#failurePredicate}: every error counts except {@link InvalidInputException},
   * {@link ModelClosedException}, {@link IllegalStateException} and a call its caller cancelled
   * ({@link CancelledException}, {@link CancellationException}). Compose it to ignore more, e.g.
   * {@code defaultFailurePredicate().and(t -> !(t instanceof DeadlineExceededException))}.
   *
   * @return the predicate, thread-safe
   */
  public static Predicate<Throwable> defaultFailurePredicate() {
    return DEFAULT_FAILURE_PREDICATE;
  }

  /**
   * The model this breaker guards.
   *
   * @return its id
   */
  public ModelId model() {
    return model;
  }

  /**
   * The current state. Reading it does not move an open breaker whose wait has ended to half-open; the
   * next call does.
   *
   * @return the state
   */
  public State state() {
    return state.get().kind;
  }

  /**
   * Wraps a predictor: calls go through this breaker, refused ones get a {@link CircuitOpenException} or
   * the fallback's answer. The async methods never throw: refusals and failures complete the future
   * exceptionally, and the outcome is recorded when the delegate's future completes (so its time includes
   * any queueing inside the delegate). Closing the returned predictor closes neither the delegate nor the
   * fallback, which the caller owns. A breaker may wrap several predictors (replicas of one model); they
   * then share its state.
   *
   * @param delegate the predictor to guard
   * @return a thread-safe predictor with the delegate's model id and signature
   * @throws NullPointerException if the delegate is null
   */
  public Predictor decorate(Predictor delegate) {
    return new CircuitBreakerPredictor(this, Objects.requireNonNull(delegate, "delegate"), ticker);
  }

  /**
   * Asks to make one call. If this returns true, report the call with exactly one of {@link #onSuccess},
   * {@link #onError} or {@link #releasePermission()}: in half-open the permission is one of the few trial
   * permits. An outcome is recorded in the state current when it is reported.
   *
   * @return true if the call may go ahead, false if the breaker refuses it (counted as rejected)
   */
  public boolean tryAcquirePermission() {
    return !acquire().rejects;
  }

  /**
   * Like {@link #tryAcquirePermission()}, but throws when refused.
   *
   * @throws CircuitOpenException if the breaker refuses the call, naming the state and when the next trial
   *     call is allowed
   */
  public void acquirePermission() {
    CircuitBreakerState s = acquire();
    if (s.rejects) {
      throw openException(s);
    }
  }

  /**
   * Gives back a permission whose call was never made (e.g. the caller gave up before calling), so that a
   * half-open breaker can admit another trial. No effect in other states.
   */
  public void releasePermission() {
    if (state.get() instanceof CircuitBreakerState.HalfOpen h) {
      h.release();
    }
  }

  /**
   * Reports a call that succeeded.
   *
   * @param durationNanos how long it took (it is slow if over the slow-call threshold)
   */
  public void onSuccess(long durationNanos) {
    complete(state.get(), durationNanos, ticker.read(), null);
  }

  /**
   * Reports a call that failed. Whether it counts is up to the {@link Builder#failurePredicate}.
   *
   * @param durationNanos how long it took
   * @param error what it threw
   * @throws NullPointerException if the error is null
   */
  public void onError(long durationNanos, Throwable error) {
    complete(state.get(), durationNanos, ticker.read(), Objects.requireNonNull(error, "error"));
  }

  /**
   * What the breaker has seen, now.
   *
   * @return an immutable snapshot
   */
  public Snapshot snapshot() {
    CircuitBreakerState s = state.get();
    long now = ticker.read();
    long refused = notPermitted.sum();
    if (s instanceof CircuitBreakerState.Closed c) {
      return snapshot(State.CLOSED, c.window.counts(now), thresholds.minimumCalls(), refused, Duration.ZERO);
    }
    if (s instanceof CircuitBreakerState.Open o) {
      return snapshot(State.OPEN, o.countsAtOpen, 1, refused,
          Duration.ofNanos(Math.max(0, o.retryAtNanos - now)));
    }
    if (s instanceof CircuitBreakerState.HalfOpen h) {
      long packed = h.outcomes();
      BreakerWindow.Counts counts = new BreakerWindow.Counts(CircuitBreakerState.HalfOpen.completed(packed),
          CircuitBreakerState.HalfOpen.failed(packed), CircuitBreakerState.HalfOpen.slow(packed));
      return snapshot(State.HALF_OPEN, counts, h.permittedCalls, refused, Duration.ZERO);
    }
    return snapshot(s.kind, BreakerWindow.Counts.EMPTY, Integer.MAX_VALUE, refused, Duration.ZERO);
  }

  private static Snapshot snapshot(State state, BreakerWindow.Counts c, int minimumCalls, long refused, Duration wait) {
    boolean judged = c.calls() > 0 && c.calls() >= minimumCalls;
    double failureRate = judged ? c.failures() * 100.0 / c.calls() : -1;
    double slowRate = judged ? c.slowCalls() * 100.0 / c.calls() : -1;
    return new Snapshot(state, failureRate, slowRate, c.calls(), c.failures(), c.slowCalls(), refused, wait);
  }

  /** Closes the breaker by hand, with an empty window. Reported as a transition if it was not closed. */
  public void transitionToClosed() {
    manual(newClosed(), "transitionToClosed()");
  }

  /** Opens the breaker by hand for the wait in open, after which it goes half-open as usual. */
  public void transitionToOpen() {
    manual(new CircuitBreakerState.Open(ticker.read() + waitInOpenNanos, BreakerWindow.Counts.EMPTY,
        () -> "opened by transitionToOpen()"), "transitionToOpen()");
  }

  /** Moves the breaker to half-open by hand, with all its trial permits. */
  public void transitionToHalfOpen() {
    manual(new CircuitBreakerState.HalfOpen(permittedCallsInHalfOpen), "transitionToHalfOpen()");
  }

  /** Refuses every call until another manual transition (e.g. while the model is being replaced). */
  public void transitionToForcedOpen() {
    manual(new CircuitBreakerState.ForcedOpen(), "transitionToForcedOpen()");
  }

  /** Lets every call through without judging it until another manual transition. */
  public void transitionToDisabled() {
    manual(new CircuitBreakerState.Disabled(), "transitionToDisabled()");
  }

  /**
   * Removes this breaker's meters from the registry, e.g. when the model version it guards is retired.
   * The breaker keeps working; its counts then go nowhere. Idempotent; no effect without a registry.
   */
  public void removeMeters() {
    meters.remove();
  }

  @Override
  public String toString() {
    return "CircuitBreaker[" + model + ", " + state() + "]";
  }

  // ---------------------------------------------------------------- the state machine

  /**
   * Asks for a permission. Returns the state that granted it (report the outcome to it), or a state whose
   * {@code rejects} is true, which tells why the call was refused.
   */
  CircuitBreakerState acquire() {
    CircuitBreakerState s = state.get();
    if (s instanceof CircuitBreakerState.Closed) {
      return s;
    }
    return acquireSlowly(s);
  }

  private CircuitBreakerState acquireSlowly(CircuitBreakerState s) {
    for (;;) {
      if (s instanceof CircuitBreakerState.Open o) {
        long now = ticker.read();
        if (now - o.retryAtNanos < 0) {
          return refused(o);
        }
        // the call that moves the breaker to half-open takes the first trial permit before the state is
        // published: otherwise a report landing in between could reopen it and refuse this call, though it
        // was the one that found the wait over (CircuitBreakerLincheckTest found that history)
        CircuitBreakerState.HalfOpen h = new CircuitBreakerState.HalfOpen(permittedCallsInHalfOpen);
        h.tryAcquire();
        if (state.compareAndSet(o, h)) {
          publish(o, h, "waited " + format(waitInOpenNanos) + " in OPEN");
          return h;
        }
      } else if (s instanceof CircuitBreakerState.HalfOpen h) {
        return h.tryAcquire() ? h : refused(h.busy);
      } else if (s.rejects) {
        return refused(s);
      } else {
        return s;
      }
      s = state.get();
    }
  }

  private CircuitBreakerState refused(CircuitBreakerState s) {
    notPermitted.increment();
    meters.call(BreakerMeters.REJECTED);
    return s;
  }

  /**
   * Records a call's outcome in the state that granted it.
   *
   * @return true if the call failed with an error that counts
   */
  boolean complete(CircuitBreakerState granted, long durationNanos, long nowNanos, @Nullable Throwable error) {
    int outcome = BreakerWindow.CALL;
    if (error != null) {
      if (!countsAsFailure(error)) {
        meters.call(BreakerMeters.IGNORED);
        if (granted instanceof CircuitBreakerState.HalfOpen h) {
          h.release();
        }
        return false;
      }
      outcome |= BreakerWindow.FAILED;
    }
    if (durationNanos > slowCallNanos) {
      outcome |= BreakerWindow.SLOW;
    }
    meters.call(error != null ? BreakerMeters.FAILURE : outcome == BreakerWindow.CALL ? BreakerMeters.SUCCESS : BreakerMeters.SLOW);
    if (granted instanceof CircuitBreakerState.Closed c) {
      int verdict = c.window.record(outcome, nowNanos);
      if (verdict != BreakerThresholds.BELOW) {
        trip(c, verdict, nowNanos);
      }
    } else if (granted instanceof CircuitBreakerState.HalfOpen h) {
      judgeTrials(h, h.record(outcome), nowNanos);
    }
    return error != null;
  }

  private boolean countsAsFailure(Throwable error) {
    try {
      return isFailure.test(error);
    } catch (RuntimeException e) {
      LOG.warn("circuit breaker of model {}: the failure predicate threw on {}; counting it as a failure", model,
          error.toString(), e);
      return true;
    }
  }

  private void trip(CircuitBreakerState.Closed c, int verdict, long now) {
    if (state.get() != c) {
      return; // another call tripped it first
    }
    BreakerWindow.Counts counts = c.window.counts(now);
    CircuitBreakerState.Open open = new CircuitBreakerState.Open(now + waitInOpenNanos, counts,
        () -> verdict == BreakerThresholds.FAILURE_RATE
            ? String.format(Locale.ROOT, "failure rate %.1f%% >= %.1f%% over %s", rate(counts.failures(), counts.calls()),
                thresholds.failureRate(), windowText(counts.calls()))
            : String.format(Locale.ROOT, "slow-call rate %.1f%% >= %.1f%% (calls over %s) over %s",
                rate(counts.slowCalls(), counts.calls()), thresholds.slowCallRate(), format(slowCallNanos),
                windowText(counts.calls())));
    if (state.compareAndSet(c, open)) {
      publish(c, open, open.reason());
    }
  }

  private void judgeTrials(CircuitBreakerState.HalfOpen h, long packed, long now) {
    int n = h.permittedCalls;
    int done = CircuitBreakerState.HalfOpen.completed(packed);
    int failed = CircuitBreakerState.HalfOpen.failed(packed);
    int slow = CircuitBreakerState.HalfOpen.slow(packed);
    // judged against all n trials: once enough have failed (or were slow), the rest cannot save the verdict
    boolean reopen = failed * 100.0 >= halfOpenFailureRate * n || slow * 100.0 >= thresholds.slowCallRate() * n;
    if (!reopen && done < n) {
      return;
    }
    Supplier<String> reason = () -> String.format(Locale.ROOT,
        "trial calls: %d failed and %d slow of %d (thresholds %.1f%% and %.1f%%)",
        failed, slow, n, halfOpenFailureRate, thresholds.slowCallRate());
    CircuitBreakerState next = reopen
        ? new CircuitBreakerState.Open(now + waitInOpenNanos, new BreakerWindow.Counts(done, failed, slow), reason)
        : newClosed();
    if (state.compareAndSet(h, next)) {
      publish(h, next, reason.get());
    }
  }

  private void manual(CircuitBreakerState next, String reason) {
    CircuitBreakerState previous = state.getAndSet(next);
    if (previous.kind != next.kind) {
      publish(previous, next, reason);
    }
  }

  private CircuitBreakerState.Closed newClosed() {
    BreakerWindow window = windowNanos > 0
        ? new BreakerTimeWindow(windowNanos, thresholds)
        : new BreakerCountWindow(windowCalls, thresholds);
    return new CircuitBreakerState.Closed(window);
  }

  private void publish(CircuitBreakerState from, CircuitBreakerState to, String reason) {
    meters.transition(to.kind);
    if (to.kind == State.OPEN || to.kind == State.FORCED_OPEN) {
      LOG.warn("circuit breaker of model {}: {} -> {}: {}; next trial call in {}", model, from.kind, to.kind, reason,
          to instanceof CircuitBreakerState.Open o ? format(o.retryAtNanos - ticker.read()) : "(manual)");
    } else {
      LOG.info("circuit breaker of model {}: {} -> {}: {}", model, from.kind, to.kind, reason);
    }
    Consumer<Transition> l = listener;
    if (l != null) {
      try {
        l.accept(new Transition(model, from.kind, to.kind, reason));
      } catch (RuntimeException e) {
        LOG.warn("circuit breaker of model {}: the transition listener failed", model, e);
      }
    }
  }

  // ---------------------------------------------------------------- for the decorator

  @Nullable Predictor fallback() {
    return fallback;
  }

  boolean fallbackOnFailure() {
    return fallbackOnFailure;
  }

  BreakerMeters meters() {
    return meters;
  }

  /** The exception for a call refused by the given (rejecting) state. */
  CircuitOpenException openException(CircuitBreakerState s) {
    String prefix = "circuit breaker of model " + model + " is " + s.kind;
    if (s instanceof CircuitBreakerState.Open o) {
      long wait = Math.max(0, o.retryAtNanos - ticker.read());
      return new CircuitOpenException(model, State.OPEN, Duration.ofNanos(wait),
          prefix + " (" + o.reason() + "); it allows a trial call in " + format(wait));
    }
    if (s instanceof CircuitBreakerState.Busy b) {
      return new CircuitOpenException(model, State.HALF_OPEN, null, prefix + " and its "
          + b.halfOpen.permittedCalls + " trial calls are in flight; it allows calls again when they have succeeded");
    }
    return new CircuitOpenException(model, s.kind, null,
        prefix + " (set by hand); it allows calls after transitionToClosed() or transitionToHalfOpen()");
  }

  // ---------------------------------------------------------------- formatting

  private String windowText(int calls) {
    return windowNanos > 0 ? calls + " calls in the last " + format(windowNanos) : "the last " + calls + " calls";
  }

  private static double rate(int part, int whole) {
    return whole == 0 ? 0 : part * 100.0 / whole;
  }

  static String format(long nanos) {
    if (nanos >= 1_000_000_000L) {
      return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
    if (nanos >= 1_000_000L) {
      return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
    return (nanos / 1_000) + " us";
  }

  /**
   * Builds a {@link CircuitBreaker}. Every option may be set once; a second call, or a conflicting option,
   * throws {@link IllegalStateException}, and a bad value {@link IllegalArgumentException} naming the
   * option. The checks and defaults live in the package's {@code BreakerConfig} record; this is its public
   * face. Not thread-safe.
   */
  public static final class Builder {
    private BreakerConfig config;

    private Builder(ModelId model) {
      this.config = BreakerConfig.defaults(model);
    }

    /**
     * Judges the last {@code calls} calls. This is the default, with 100 calls.
     *
     * @param calls 1 to 1,000,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already, or if a time-based window is set
     */
    public Builder countBasedWindow(int calls) {
      config = config.withWindowCalls(calls);
      return this;
    }

    /**
     * Judges the calls that ended in the last {@code length} instead of the last n calls. The window is ten
     * buckets of {@code length / 10}: an outcome expires between 0.9 and 1.0 {@code length} after it was
     * recorded. Off by default.
     *
     * @param length 10 ms to 365 days
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already, or if a count-based window is set
     */
    public Builder timeBasedWindow(Duration length) {
      config = config.withWindowLength(length);
      return this;
    }

    /**
     * Calls the window must hold before its rates are judged; default 20. With a count-based window
     * smaller than this, the window's size is used.
     *
     * @param calls at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     * @throws IllegalStateException if set already
     */
    public Builder minimumNumberOfCalls(int calls) {
      config = config.withMinimumNumberOfCalls(calls);
      return this;
    }

    /**
     * The failure rate, in percent of the window, at or above which the breaker opens; default 50.
     *
     * @param percent in (0, 100]
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already
     */
    public Builder failureRateThreshold(double percent) {
      config = config.withFailureRateThreshold(percent);
      return this;
    }

    /**
     * The slow-call rate, in percent of the window, at or above which the breaker opens; default 100 (it
     * opens only when every call in the window is slow).
     *
     * @param percent in (0, 100]
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already
     */
    public Builder slowCallRateThreshold(double percent) {
      config = config.withSlowCallRateThreshold(percent);
      return this;
    }

    /**
     * A call that takes longer than this is slow; default 5 s.
     *
     * @param duration 1 ns to 365 days
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already
     */
    public Builder slowCallDurationThreshold(Duration duration) {
      config = config.withSlowCallDuration(duration);
      return this;
    }

    /**
     * How long an open breaker refuses calls before it lets trial calls through; default 30 s.
     *
     * @param duration 1 ns to 365 days
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already
     */
    public Builder waitDurationInOpenState(Duration duration) {
      config = config.withWaitInOpen(duration);
      return this;
    }

    /**
     * Trial calls a half-open breaker lets through, and judges, before it closes or reopens; default 10.
     *
     * @param calls 1 to 1,000,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already
     */
    public Builder permittedCallsInHalfOpenState(int calls) {
      config = config.withPermittedCallsInHalfOpen(calls);
      return this;
    }

    /**
     * The failure rate of the trial calls, in percent, at or above which a half-open breaker opens again
     * instead of closing; default: the {@link #failureRateThreshold}. A stricter value (say 10 with 10
     * trials: one failure reopens) makes recovery more cautious.
     *
     * @param percent in (0, 100]
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already
     */
    public Builder halfOpenFailureRateThreshold(double percent) {
      config = config.withHalfOpenFailureRateThreshold(percent);
      return this;
    }

    /**
     * Which errors count as failures; the others are ignored. Default:
     * {@link CircuitBreaker#defaultFailurePredicate()}, every error except {@link InvalidInputException},
     * {@link ModelClosedException}, {@link IllegalStateException}, {@link CancelledException} and
     * {@link CancellationException}. Async failures are unwrapped from {@code CompletionException} first.
     *
     * @param isFailure true for an error that counts; called on the calling thread, must be thread-safe; if it
   *     throws, the error counts (and a warning is logged)
     * @return this builder
     * @throws NullPointerException if null
     * @throws IllegalStateException if set already
     */
    public Builder failurePredicate(Predicate<? super Throwable> isFailure) {
      config = config.withFailurePredicate(isFailure);
      return this;
    }

    /**
     * Serves the calls the breaker refuses, instead of a {@link CircuitOpenException} (e.g. a simpler model
     * or rules). It should accept the same inputs and return the same outputs as the guarded predictor. If
     * it fails, the caller gets the {@code CircuitOpenException}, with the fallback's error suppressed. None
     * by default.
     *
     * @param fallback a predictor the caller owns
     * @return this builder
     * @throws NullPointerException if null
     * @throws IllegalStateException if set already
     */
    public Builder fallback(Predictor fallback) {
      config = config.withFallback(fallback);
      return this;
    }

    /**
     * Also serves calls that failed with an error that counts from the {@link #fallback}. Errors that do
     * not count (a caller's invalid input) still reach the caller. If the fallback fails too, the caller
     * gets the original error, with the fallback's suppressed. Off by default.
     *
     * @return this builder
     * @throws IllegalStateException if set already ({@link #build} also throws it if no fallback is set)
     */
    public Builder fallbackOnFailure() {
      config = config.withFallbackOnFailure();
      return this;
    }

    /**
     * The clock for call durations, the time-based window and the wait in open; default
     * {@link Ticker#system()}.
     *
     * @param ticker the ticker
     * @return this builder
     * @throws NullPointerException if null
     * @throws IllegalStateException if set already
     */
    public Builder ticker(Ticker ticker) {
      config = config.withTicker(ticker);
      return this;
    }

    /**
     * Registers the breaker's meters ({@code jinfer.breaker.*}, tagged {@code model} and {@code version});
     * none by default.
     *
     * @param registry the registry
     * @return this builder
     * @throws NullPointerException if null
     * @throws IllegalStateException if set already
     */
    public Builder meterRegistry(MeterRegistry registry) {
      config = config.withMeterRegistry(registry);
      return this;
    }

    /**
     * Told of every state transition, once, on the thread that caused it, after the state changed. It
     * must be quick and thread-safe; what it throws is logged and dropped. Compose several with
     * {@link Consumer#andThen}. Transitions that follow each other within microseconds may reach it out of
     * order.
     *
     * @param listener the listener
     * @return this builder
     * @throws NullPointerException if null
     * @throws IllegalStateException if set already
     */
    public Builder listener(Consumer<Transition> listener) {
      config = config.withListener(listener);
      return this;
    }

    /**
     * Builds the breaker, closed.
     *
     * @return the breaker
     * @throws IllegalStateException if {@link #fallbackOnFailure()} is set without a {@link #fallback}
     */
    public CircuitBreaker build() {
      return new CircuitBreaker(config.validated());
    }
  }
}
