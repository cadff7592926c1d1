package dev.jinfer.resilience4j;

import dev.jinfer.CallOptions;
import dev.jinfer.ForwardingPredictor;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.breaker.CircuitBreaker.State;
import dev.jinfer.breaker.CircuitOpenException;
import dev.jinfer.serving.ServingChain;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Puts a resilience4j {@link CircuitBreaker} in a jinfer chain instead of jinfer's own breaker, so a team that
 * already runs resilience4j keeps one breaker library, one configuration (its {@code CircuitBreakerRegistry},
 * Spring Boot's {@code resilience4j.circuitbreaker.*} properties) and its Actuator endpoints and meters:
 *
 * <pre>{@code
 * CircuitBreaker cb = registry.circuitBreaker("fraud", Resilience4jGuard.engineFailuresOnly().build());
 * ServingChain chain = ServingChain.newBuilder(models, "fraud").cache().guard(Resilience4jGuard.of(cb)).batching().build();
 * }</pre>
 *
 * <p>Each call asks the breaker for a permit; a refused call fails with jinfer's own
 * {@link CircuitOpenException} (code {@code CIRCUIT_OPEN}), so callers, the REST service and metrics treat
 * both breakers alike. The call's outcome and duration go back to the breaker, which decides by its own
 * record/ignore settings whether an error counts. Thread-safe, as resilience4j's breaker is.
 */
public final class Resilience4jGuard {
  private Resilience4jGuard() {}

  /**
   * The guard for {@link ServingChain.Builder#guard}: wraps the chain's predictor with the breaker.
   *
   * @param breaker the resilience4j breaker, shared with whatever else the application guards with it
   * @return the guard
   * @throws NullPointerException if the breaker is null
   */
  public static UnaryOperator<Predictor> of(CircuitBreaker breaker) {
    Objects.requireNonNull(breaker, "breaker");
    return delegate -> decorate(delegate, breaker);
  }

  /**
   * Wraps a predictor so that every call goes through the breaker.
   *
   * @param delegate the predictor to guard; closing the result does not close it
   * @param breaker the resilience4j breaker
   * @return the guarded predictor
   * @throws NullPointerException if either is null
   */
  public static Predictor decorate(Predictor delegate, CircuitBreaker breaker) {
    return new Guarded(Objects.requireNonNull(delegate, "delegate"), Objects.requireNonNull(breaker, "breaker"));
  }

  /**
   * A resilience4j configuration that counts only what jinfer's own chain counts as a failure: the engine
   * failing (or anything unexpected), not the caller's bad input, a full queue, a deadline the caller chose,
   * or a version retired under the call ({@link ServingChain#isEngineFailure}). Without it, resilience4j
   * counts every exception, so a client sending malformed tensors could open the breaker for everyone.
   *
   * @return a builder with that record predicate, resilience4j's defaults otherwise
   */
  public static CircuitBreakerConfig.Builder engineFailuresOnly() {
    return CircuitBreakerConfig.custom().recordException(ServingChain::isEngineFailure);
  }

  /** The guarded predictor: one permit per call, the outcome reported back. */
  private static final class Guarded extends ForwardingPredictor {
    private final CircuitBreaker breaker;

    Guarded(Predictor delegate, CircuitBreaker breaker) {
      super(delegate);
      this.breaker = breaker;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
      if (!breaker.tryAcquirePermission()) {
        CircuitBreaker.State s = breaker.getState();
        throw new CircuitOpenException(modelId(), state(s), null, "model " + modelId() + ": resilience4j circuit"
            + " breaker '" + breaker.getName() + "' is " + s + " and refuses calls (failure rate "
            + breaker.getMetrics().getFailureRate() + "%, slow-call rate " + breaker.getMetrics().getSlowCallRate() + "%)");
      }
      long start = breaker.getCurrentTimestamp();
      try {
        NamedTensors out = super.predict(inputs, outputNames, options);
        breaker.onSuccess(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit());
        return out;
      } catch (Throwable t) {
        breaker.onError(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit(), t);
        throw t;
      }
    }

    private static State state(CircuitBreaker.State s) {
      switch (s) {
        case HALF_OPEN:
          return State.HALF_OPEN;
        case FORCED_OPEN:
          return State.FORCED_OPEN;
        case DISABLED:
        case METRICS_ONLY:
          return State.DISABLED;
        default:
          return State.OPEN;
      }
    }

    @Override
    public String toString() {
      return "Resilience4jGuard[" + breaker.getName() + "] -> " + delegate();
    }
  }
}
