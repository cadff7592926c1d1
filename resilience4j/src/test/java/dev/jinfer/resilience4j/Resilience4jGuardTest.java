package dev.jinfer.resilience4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.ErrorCode;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import dev.jinfer.Tensor;
import dev.jinfer.breaker.CircuitBreaker.State;
import dev.jinfer.breaker.CircuitOpenException;
import dev.jinfer.serving.ServingChain;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class Resilience4jGuardTest {
  /** Doubles x, or throws what it is told to. */
  static final class Flaky implements Predictor {
    final AtomicInteger calls = new AtomicInteger();
    volatile @Nullable RuntimeException failure;

    @Override
    public ModelId modelId() {
      return new ModelId("fraud", "3");
    }

    @Override
    public ModelSignature signature() {
      return ScaleBackend.SIGNATURE;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
      calls.incrementAndGet();
      RuntimeException f = failure;
      if (f != null) {
        throw f;
      }
      float[] x = inputs.get("x").toFloatArray();
      return NamedTensors.of("y", Tensor.ofFloats(new float[] {2 * x[0], 2 * x[1]}, 1, 2));
    }

    @Override
    public void close() {}
  }

  private static final NamedTensors IN = ScaleBackend.input(new float[] {1f, 2f});

  private static CircuitBreaker breaker() {
    return CircuitBreaker.of("fraud", Resilience4jGuard.engineFailuresOnly().slidingWindowSize(4).minimumNumberOfCalls(4)
        .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMinutes(1)).build());
  }

  @Test
  void engineFailures_openTheResilience4jBreaker_andARefusedCallIsJinfersCircuitOpen() {
    Flaky model = new Flaky();
    CircuitBreaker cb = breaker();
    Predictor guarded = Resilience4jGuard.decorate(model, cb);
    assertThat(guarded.predict(IN).get("y").toFloatArray()).containsExactly(2f, 4f);
    model.failure = new BackendException("engine crashed");
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> guarded.predict(IN)).isInstanceOf(BackendException.class);
    }
    assertThat(cb.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    int before = model.calls.get();

    assertThatThrownBy(() -> guarded.predict(IN)).isInstanceOfSatisfying(CircuitOpenException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.CIRCUIT_OPEN);
      assertThat(e.state()).isEqualTo(State.OPEN);
      assertThat(e.model()).isEqualTo(new ModelId("fraud", "3"));
      assertThat(e).hasMessageContaining("model fraud:3: resilience4j circuit breaker 'fraud' is OPEN")
          .hasMessageContaining("failure rate 75.0%");
    });
    assertThat(model.calls).as("a refused call never reaches the model").hasValue(before);
    assertThat(cb.getMetrics().getNumberOfNotPermittedCalls()).isEqualTo(1);
  }

  @Test
  void theCallersBadInput_isIgnored_withTheEngineFailuresOnlyConfig_butCountedWithResilience4jsDefault() {
    Flaky model = new Flaky();
    model.failure = new InvalidInputException("input 'x': expected FLOAT32 [-1, 2] but got INT32 [1, 2]");
    CircuitBreaker strict = breaker();
    Predictor guarded = Resilience4jGuard.decorate(model, strict);
    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(() -> guarded.predict(IN)).isInstanceOf(InvalidInputException.class);
    }
    assertThat(strict.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(strict.getMetrics().getNumberOfFailedCalls()).isZero();

    CircuitBreaker plain = CircuitBreaker.of("plain", CircuitBreakerConfig.custom().slidingWindowSize(4)
        .minimumNumberOfCalls(4).build());
    Predictor naive = Resilience4jGuard.decorate(model, plain);
    for (int i = 0; i < 4; i++) {
      assertThatThrownBy(() -> naive.predict(IN)).isInstanceOf(InvalidInputException.class);
    }
    assertThat(plain.getState()).as("why engineFailuresOnly exists").isEqualTo(CircuitBreaker.State.OPEN);
  }

  @Test
  void inAServingChain_theGuardTakesTheBreakersPlace_andTheTwoAreExclusive() {
    Flaky model = new Flaky();
    CircuitBreaker cb = breaker();
    try (ServingChain chain = ServingChain.newBuilder(model).cache().guard(Resilience4jGuard.of(cb)).build()) {
      assertThat(chain.breaker()).isEmpty();
      assertThat(chain.predict(IN).get("y").toFloatArray()).containsExactly(2f, 4f);
      assertThat(chain.predict(IN).get("y").toFloatArray()).as("from the cache").containsExactly(2f, 4f);
      assertThat(cb.getMetrics().getNumberOfSuccessfulCalls()).as("the cache sits in front of the guard").isEqualTo(1);
    }
    assertThatThrownBy(() -> ServingChain.newBuilder(model).breaker().guard(Resilience4jGuard.of(cb)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected either jinfer's circuit breaker or a guard in its place, but both were set");
  }
}
