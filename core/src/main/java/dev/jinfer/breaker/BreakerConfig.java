package dev.jinfer.breaker;

import dev.jinfer.ModelId;
import dev.jinfer.Predictor;
import dev.jinfer.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The options of a {@link CircuitBreaker}, their validation and their defaults; {@link CircuitBreaker.Builder}
 * is the public shell over it. Each {@code with..} method checks one option (set once, in range, no conflict)
 * and returns a new config; {@link #validated()} checks what spans options. An option left unset is null
 * and the {@code effective..} accessors apply its default. Immutable.
 *
 * @param model the guarded model
 * @param windowCalls the option, or null when unset
 * @param windowLength the option, or null when unset
 * @param minimumNumberOfCalls the option, or null when unset
 * @param failureRateThreshold the option, or null when unset
 * @param slowCallRateThreshold the option, or null when unset
 * @param slowCallDuration the option, or null when unset
 * @param waitInOpen the option, or null when unset
 * @param permittedCallsInHalfOpen the option, or null when unset
 * @param halfOpenFailureRateThreshold the option, or null when unset
 * @param failurePredicate the option, or null when unset
 * @param fallback the option, or null when unset
 * @param fallbackOnFailure whether set
 * @param ticker the option, or null when unset
 * @param meterRegistry the option, or null when unset
 * @param listener the option, or null when unset
 */
record BreakerConfig(
    ModelId model,
    @Nullable Integer windowCalls,
    @Nullable Duration windowLength,
    @Nullable Integer minimumNumberOfCalls,
    @Nullable Double failureRateThreshold,
    @Nullable Double slowCallRateThreshold,
    @Nullable Duration slowCallDuration,
    @Nullable Duration waitInOpen,
    @Nullable Integer permittedCallsInHalfOpen,
    @Nullable Double halfOpenFailureRateThreshold,
    @Nullable Predicate<? super Throwable> failurePredicate,
    @Nullable Predictor fallback,
    boolean fallbackOnFailure,
    @Nullable Ticker ticker,
    @Nullable MeterRegistry meterRegistry,
    @Nullable Consumer<CircuitBreaker.Transition> listener) {
  static final int DEFAULT_WINDOW_CALLS = 100;
  static final int DEFAULT_MINIMUM_CALLS = 20;
  static final double DEFAULT_FAILURE_RATE = 50;
  static final double DEFAULT_SLOW_CALL_RATE = 100;
  static final Duration DEFAULT_SLOW_CALL_DURATION = Duration.ofSeconds(5);
  static final Duration DEFAULT_WAIT_IN_OPEN = Duration.ofSeconds(30);
  static final int DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN = 10;
  private static final Duration MIN_TIME_WINDOW = Duration.ofMillis(10);
  private static final Duration MAX_DURATION = Duration.ofDays(365);

  /** Every option unset. */
  static BreakerConfig defaults(ModelId model) {
    return new BreakerConfig(Objects.requireNonNull(model, "model"), null, null, null, null, null, null, null, null,
        null, null, null, false, null, null, null);
  }

  BreakerConfig withWindowCalls(int calls) {
    once(windowCalls, "countBasedWindow");
    if (windowLength != null) {
      throw new IllegalStateException("countBasedWindow conflicts with timeBasedWindow(" + windowLength + "): choose one");
    }
    if (calls < 1 || calls > BreakerCountWindow.MAX_SIZE) {
      throw new IllegalArgumentException("countBasedWindow must be in [1, " + BreakerCountWindow.MAX_SIZE + "] but was " + calls);
    }
    return new BreakerConfig(model, calls, windowLength, minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, fallback, fallbackOnFailure, ticker, meterRegistry, listener);
  }

  BreakerConfig withWindowLength(@Nullable Duration length) {
    once(windowLength, "timeBasedWindow");
    if (windowCalls != null) {
      throw new IllegalStateException("timeBasedWindow conflicts with countBasedWindow(" + windowCalls + "): choose one");
    }
    return new BreakerConfig(model, windowCalls, requireDuration(length, MIN_TIME_WINDOW, "timeBasedWindow"), minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, fallback, fallbackOnFailure, ticker, meterRegistry, listener);
  }

  BreakerConfig withMinimumNumberOfCalls(int calls) {
    once(minimumNumberOfCalls, "minimumNumberOfCalls");
    if (calls < 1) {
      throw new IllegalArgumentException("minimumNumberOfCalls must be > 0 but was " + calls);
    }
    return new BreakerConfig(model, windowCalls, windowLength, calls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, fallback, fallbackOnFailure, ticker, meterRegistry, listener);
  }

  BreakerConfig withFailureRateThreshold(double percent) {
    once(failureRateThreshold, "failureRateThreshold");
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, requirePercent(percent, "failureRateThreshold"), slowCallRateThreshold, slowCallDuration, waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, fallback, fallbackOnFailure, ticker, meterRegistry, listener);
  }

  BreakerConfig withSlowCallRateThreshold(double percent) {
    once(slowCallRateThreshold, "slowCallRateThreshold");
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, failureRateThreshold, requirePercent(percent, "slowCallRateThreshold"), slowCallDuration, waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, fallback, fallbackOnFailure, ticker, meterRegistry, listener);
  }

  BreakerConfig withSlowCallDuration(@Nullable Duration duration) {
    once(slowCallDuration, "slowCallDurationThreshold");
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, requireDuration(duration, Duration.ofNanos(1), "slowCallDurationThreshold"), waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, fallback, fallbackOnFailure, ticker, meterRegistry, listener);
  }

  BreakerConfig withWaitInOpen(@Nullable Duration duration) {
    once(waitInOpen, "waitDurationInOpenState");
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, requireDuration(duration, Duration.ofNanos(1), "waitDurationInOpenState"), permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, fallback, fallbackOnFailure, ticker, meterRegistry, listener);
  }

  BreakerConfig withPermittedCallsInHalfOpen(int calls) {
    once(permittedCallsInHalfOpen, "permittedCallsInHalfOpenState");
    if (calls < 1 || calls > BreakerCountWindow.MAX_SIZE) {
      throw new IllegalArgumentException("permittedCallsInHalfOpenState must be in [1, "
          + BreakerCountWindow.MAX_SIZE + "] but was " + calls);
    }
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, waitInOpen, calls, halfOpenFailureRateThreshold, failurePredicate, fallback, fallbackOnFailure, ticker, meterRegistry, listener);
  }

  BreakerConfig withHalfOpenFailureRateThreshold(double percent) {
    once(halfOpenFailureRateThreshold, "halfOpenFailureRateThreshold");
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, waitInOpen, permittedCallsInHalfOpen, requirePercent(percent, "halfOpenFailureRateThreshold"), failurePredicate, fallback, fallbackOnFailure, ticker, meterRegistry, listener);
  }

  BreakerConfig withFailurePredicate(Predicate<? super Throwable> isFailure) {
    once(failurePredicate, "failurePredicate");
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, Objects.requireNonNull(isFailure, "failurePredicate"), fallback, fallbackOnFailure, ticker, meterRegistry, listener);
  }

  BreakerConfig withFallback(Predictor predictor) {
    once(fallback, "fallback");
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, Objects.requireNonNull(predictor, "fallback"), fallbackOnFailure, ticker, meterRegistry, listener);
  }

  BreakerConfig withFallbackOnFailure() {
    if (fallbackOnFailure) {
      throw new IllegalStateException("fallbackOnFailure was already set");
    }
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, fallback, true, ticker, meterRegistry, listener);
  }

  BreakerConfig withTicker(Ticker t) {
    once(ticker, "ticker");
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, fallback, fallbackOnFailure, Objects.requireNonNull(t, "ticker"), meterRegistry, listener);
  }

  BreakerConfig withMeterRegistry(MeterRegistry registry) {
    once(meterRegistry, "meterRegistry");
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, fallback, fallbackOnFailure, ticker, Objects.requireNonNull(registry, "meterRegistry"), listener);
  }

  BreakerConfig withListener(Consumer<CircuitBreaker.Transition> l) {
    once(listener, "listener");
    return new BreakerConfig(model, windowCalls, windowLength, minimumNumberOfCalls, failureRateThreshold, slowCallRateThreshold, slowCallDuration, waitInOpen, permittedCallsInHalfOpen, halfOpenFailureRateThreshold, failurePredicate, fallback, fallbackOnFailure, ticker, meterRegistry, Objects.requireNonNull(l, "listener"));
  }

  /**
   * Checks what spans options.
   *
   * @return this config
   * @throws IllegalStateException if fallbackOnFailure is set without a fallback
   */
  BreakerConfig validated() {
    if (fallbackOnFailure && fallback == null) {
      throw new IllegalStateException("fallbackOnFailure needs a fallback(Predictor)");
    }
    return this;
  }

  Ticker effectiveTicker() {
    return ticker == null ? Ticker.system() : ticker;
  }

  /** The time window in nanoseconds, 0 for a count-based window. */
  long effectiveWindowNanos() {
    return windowLength == null ? 0 : windowLength.toNanos();
  }

  /** The count window's size, 0 for a time-based window. */
  int effectiveWindowCalls() {
    return windowLength != null ? 0 : windowCalls == null ? DEFAULT_WINDOW_CALLS : windowCalls;
  }

  /** The thresholds judged; the minimum is capped by a smaller count window. */
  BreakerThresholds thresholds() {
    int calls = effectiveWindowCalls();
    int minimumCalls = minimumNumberOfCalls == null ? DEFAULT_MINIMUM_CALLS : minimumNumberOfCalls;
    return new BreakerThresholds(calls > 0 ? Math.min(minimumCalls, calls) : minimumCalls, effectiveFailureRate(),
        slowCallRateThreshold == null ? DEFAULT_SLOW_CALL_RATE : slowCallRateThreshold);
  }

  double effectiveFailureRate() {
    return failureRateThreshold == null ? DEFAULT_FAILURE_RATE : failureRateThreshold;
  }

  long effectiveSlowCallNanos() {
    return (slowCallDuration == null ? DEFAULT_SLOW_CALL_DURATION : slowCallDuration).toNanos();
  }

  long effectiveWaitInOpenNanos() {
    return (waitInOpen == null ? DEFAULT_WAIT_IN_OPEN : waitInOpen).toNanos();
  }

  int effectivePermittedCallsInHalfOpen() {
    return permittedCallsInHalfOpen == null ? DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN : permittedCallsInHalfOpen;
  }

  /** The failure rate that reopens a half-open breaker: its own, else the failure rate threshold. */
  double effectiveHalfOpenFailureRate() {
    return halfOpenFailureRateThreshold == null ? effectiveFailureRate() : halfOpenFailureRateThreshold;
  }

  private static void once(@Nullable Object current, String option) {
    if (current != null) {
      throw new IllegalStateException(option + " was already set to " + current);
    }
  }

  private static double requirePercent(double percent, String option) {
    if (!(percent > 0 && percent <= 100)) {
      throw new IllegalArgumentException(option + " must be in (0, 100] but was " + percent);
    }
    return percent;
  }

  private static Duration requireDuration(@Nullable Duration d, Duration min, String option) {
    if (d == null || d.compareTo(min) < 0 || d.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException(option + " must be in [" + min + ", " + MAX_DURATION + "] but was " + d);
    }
    return d;
  }
}
