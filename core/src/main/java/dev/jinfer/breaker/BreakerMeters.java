package dev.jinfer.breaker;

import dev.jinfer.ModelId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one circuit breaker, all tagged {@code model} and {@code version}:
 * <ul>
 *   <li>{@code jinfer.breaker.state} (gauge per {@code state} tag: 1 for the current state, 0 for the others),
 *   <li>{@code jinfer.breaker.calls} (counter per {@code outcome}: {@code success}, {@code slow} (successful
 *       but slower than the threshold), {@code failure}, {@code ignored}, {@code rejected}),
 *   <li>{@code jinfer.breaker.failure.ratio} and {@code jinfer.breaker.slow.ratio} (gauges, a 0-1 ratio over
 *       the window, NaN until it holds the minimum number of calls; the builder's thresholds stay in percent,
 *       as resilience4j's do),
 *   <li>{@code jinfer.breaker.transitions} (counter per {@code to} state),
 *   <li>{@code jinfer.breaker.fallbacks} (counter per {@code reason}: {@code open}, {@code failure}; only
 *       with a fallback).
 * </ul>
 * Without a registry every method is a no-op. Thread-safe.
 */
final class BreakerMeters {
  /** Outcome index: successful and fast. */
  public static final int SUCCESS = 0;
  /** Outcome index: successful but slow. */
  public static final int SLOW = 1;
  /** Outcome index: failed with an error that counts (slow or not). */
  public static final int FAILURE = 2;
  /** Outcome index: failed with an error that does not count. */
  public static final int IGNORED = 3;
  /** Outcome index: refused by the breaker. */
  public static final int REJECTED = 4;

  private static final String[] OUTCOMES = {"success", "slow", "failure", "ignored", "rejected"};

  private final @Nullable MeterRegistry registry;
  private final Counter @Nullable [] calls;
  private final Map<CircuitBreaker.State, Counter> transitions = new EnumMap<>(CircuitBreaker.State.class);
  private final @Nullable Counter fallbacksOpen;
  private final @Nullable Counter fallbacksFailure;
  private final List<Meter> meters = new ArrayList<>();

  /**
   * Registers the meters.
   *
   * @param registry where, or null for none
   * @param model the model, for the tags
   * @param breaker what the gauges read (held weakly by the registry)
   * @param state reads the breaker's state
   * @param failureRate reads the failure rate in percent, or -1
   * @param slowCallRate reads the slow-call rate in percent, or -1
   * @param withFallback whether to register the fallback counters
   * @param <T> the breaker's type
   */
  public <T> BreakerMeters(@Nullable MeterRegistry registry, ModelId model, T breaker,
      Function<T, CircuitBreaker.State> state, ToDoubleFunction<T> failureRate, ToDoubleFunction<T> slowCallRate,
      boolean withFallback) {
    this.registry = registry;
    if (registry == null) {
      calls = null;
      fallbacksOpen = null;
      fallbacksFailure = null;
      return;
    }
    Tags tags = Tags.of("model", model.name(), "version", model.version());
    calls = new Counter[OUTCOMES.length];
    for (int i = 0; i < OUTCOMES.length; i++) {
      calls[i] = keep(Counter.builder("jinfer.breaker.calls").description("Calls through the circuit breaker by outcome")
          .tags(tags).tag("outcome", OUTCOMES[i]).register(registry));
    }
    for (CircuitBreaker.State s : CircuitBreaker.State.values()) {
      String name = s.name().toLowerCase(Locale.ROOT);
      keep(Gauge.builder("jinfer.breaker.state", breaker, b -> state.apply(b) == s ? 1 : 0)
          .description("1 for the circuit breaker's current state, 0 for the others").tags(tags).tag("state", name)
          .register(registry));
      transitions.put(s, keep(Counter.builder("jinfer.breaker.transitions")
          .description("Circuit breaker state transitions by target state").tags(tags).tag("to", name).register(registry)));
    }
    keep(Gauge.builder("jinfer.breaker.failure.ratio", breaker, b -> ratio(failureRate.applyAsDouble(b)))
        .description("Failed calls over judged calls in the sliding window (0-1), NaN below the minimum number of calls")
        .tags(tags).register(registry));
    keep(Gauge.builder("jinfer.breaker.slow.ratio", breaker, b -> ratio(slowCallRate.applyAsDouble(b)))
        .description("Slow calls over judged calls in the sliding window (0-1), NaN below the minimum number of calls")
        .tags(tags).register(registry));
    if (withFallback) {
      fallbacksOpen = keep(fallbackCounter(registry, tags, "open"));
      fallbacksFailure = keep(fallbackCounter(registry, tags, "failure"));
    } else {
      fallbacksOpen = null;
      fallbacksFailure = null;
    }
  }

  /** A percent as a 0-1 ratio; the breaker's -1 ("not judged yet") as NaN, Micrometer's "no value". */
  private static double ratio(double percent) {
    return percent < 0 ? Double.NaN : percent / 100.0;
  }

  private static Counter fallbackCounter(MeterRegistry registry, Tags tags, String reason) {
    return Counter.builder("jinfer.breaker.fallbacks").description("Calls the fallback predictor served, by reason")
        .tags(tags).tag("reason", reason).register(registry);
  }

  private <M extends Meter> M keep(M meter) {
    meters.add(meter);
    return meter;
  }

  /**
   * Counts one call.
   *
   * @param outcome {@link #SUCCESS}, {@link #SLOW}, {@link #FAILURE}, {@link #IGNORED} or {@link #REJECTED}
   */
  public void call(int outcome) {
    Counter[] c = calls;
    if (c != null) {
      c[outcome].increment();
    }
  }

  /**
   * Counts one transition.
   *
   * @param to the state entered
   */
  public void transition(CircuitBreaker.State to) {
    Counter c = transitions.get(to);
    if (c != null) {
      c.increment();
    }
  }

  /**
   * Counts one call the fallback served.
   *
   * @param becauseOpen true if the breaker refused the call, false if the call failed
   */
  public void fallback(boolean becauseOpen) {
    Counter c = becauseOpen ? fallbacksOpen : fallbacksFailure;
    if (c != null) {
      c.increment();
    }
  }

  /** Removes every meter from the registry; later counts go nowhere. Idempotent. */
  public void remove() {
    if (registry != null) {
      synchronized (meters) {
        for (Meter m : meters) {
          registry.remove(m);
        }
        meters.clear();
      }
    }
  }
}
