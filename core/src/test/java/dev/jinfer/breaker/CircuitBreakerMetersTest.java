package dev.jinfer.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.FakeTicker;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import dev.jinfer.breaker.CircuitBreaker.State;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class CircuitBreakerMetersTest {
  private static final long MS = 1_000_000L;
  private static final ModelId MODEL = new ModelId("fraud", "7");

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final FakeTicker ticker = new FakeTicker();

  /** 4 calls judged, half failing opens, calls over 100 ms are slow; 2 trial calls. */
  private CircuitBreaker.Builder builder() {
    return CircuitBreaker.newBuilder(MODEL).countBasedWindow(4).minimumNumberOfCalls(4)
        .slowCallDurationThreshold(Duration.ofMillis(100)).permittedCallsInHalfOpenState(2)
        .waitDurationInOpenState(Duration.ofSeconds(1)).ticker(ticker).meterRegistry(registry);
  }

  private double calls(String outcome) {
    return registry.get("jinfer.breaker.calls").tags("model", "fraud", "version", "7").tag("outcome", outcome)
        .counter().count();
  }

  private double state(State s) {
    return registry.get("jinfer.breaker.state").tag("state", s.name().toLowerCase(Locale.ROOT)).gauge().value();
  }

  private double transitions(State to) {
    return registry.get("jinfer.breaker.transitions").tag("to", to.name().toLowerCase(Locale.ROOT)).counter().count();
  }

  private static void call(CircuitBreaker b, long nanos, Throwable error) {
    if (b.tryAcquirePermission()) {
      if (error == null) {
        b.onSuccess(nanos);
      } else {
        b.onError(nanos, error);
      }
    }
  }

  @Test
  void calls_areCountedByOutcome() {
    CircuitBreaker b = builder().build();

    call(b, MS, null);
    call(b, MS, null);
    call(b, 200 * MS, null);
    call(b, 200 * MS, new BackendException("slow and failed"));
    call(b, MS, new InvalidInputException("bad"));
    call(b, MS, new BackendException("failed")); // 2 of 4: opens
    call(b, MS, null);
    call(b, MS, null);

    assertThat(calls("success")).isEqualTo(2);
    assertThat(calls("slow")).as("successful but slow").isEqualTo(1);
    assertThat(calls("failure")).as("slow or not").isEqualTo(2);
    assertThat(calls("ignored")).isEqualTo(1);
    assertThat(calls("rejected")).isEqualTo(2);
  }

  @Test
  void stateGauges_areOneForTheCurrentStateOnly() {
    CircuitBreaker b = builder().build();
    assertThat(state(State.CLOSED)).isEqualTo(1);
    assertThat(state(State.OPEN)).isZero();

    for (int i = 0; i < 4; i++) {
      call(b, MS, new BackendException("down"));
    }
    assertThat(state(State.CLOSED)).isZero();
    assertThat(state(State.OPEN)).isEqualTo(1);

    ticker.advance(Duration.ofSeconds(1));
    call(b, MS, null);
    assertThat(state(State.HALF_OPEN)).isEqualTo(1);
    b.transitionToForcedOpen();
    assertThat(state(State.FORCED_OPEN)).isEqualTo(1);
    b.transitionToDisabled();
    assertThat(state(State.DISABLED)).isEqualTo(1);
    assertThat(state(State.CLOSED) + state(State.OPEN) + state(State.HALF_OPEN) + state(State.FORCED_OPEN)).isZero();
  }

  @Test
  void transitions_areCountedByTargetState() {
    CircuitBreaker b = builder().build();
    for (int i = 0; i < 4; i++) {
      call(b, MS, new BackendException("down"));
    }
    ticker.advance(Duration.ofSeconds(1));
    call(b, MS, null);
    call(b, MS, null);

    assertThat(transitions(State.OPEN)).isEqualTo(1);
    assertThat(transitions(State.HALF_OPEN)).isEqualTo(1);
    assertThat(transitions(State.CLOSED)).isEqualTo(1);
    assertThat(transitions(State.FORCED_OPEN)).isZero();
  }

  @Test
  void ratios_areGaugedFromZeroToOne_nanBelowTheMinimumNumberOfCalls() {
    CircuitBreaker b = builder().slowCallRateThreshold(100).build();
    call(b, MS, new BackendException("down"));
    assertThat(registry.get("jinfer.breaker.failure.ratio").gauge().value()).isNaN();

    call(b, MS, null);
    call(b, 200 * MS, null);
    call(b, MS, null);

    assertThat(registry.get("jinfer.breaker.failure.ratio").gauge().value()).isEqualTo(0.25);
    assertThat(registry.get("jinfer.breaker.slow.ratio").gauge().value()).isEqualTo(0.25);
  }

  @Test
  void fallbacks_areCountedByReason() {
    Predictor fallback = new ConstantPredictor();
    CircuitBreaker b = builder().fallback(fallback).fallbackOnFailure().build();
    Predictor p = b.decorate(new FailingPredictor());

    for (int i = 0; i < 6; i++) {
      p.predict(NamedTensors.empty());
    }

    assertThat(registry.get("jinfer.breaker.fallbacks").tag("reason", "failure").counter().count()).isEqualTo(4);
    assertThat(registry.get("jinfer.breaker.fallbacks").tag("reason", "open").counter().count()).isEqualTo(2);
  }

  @Test
  void everyMeter_carriesTheModelAndVersion() {
    builder().build();

    assertThat(registry.getMeters()).isNotEmpty().allSatisfy(m -> {
      assertThat(m.getId().getName()).startsWith("jinfer.breaker.");
      assertThat(m.getId().getTag("model")).isEqualTo("fraud");
      assertThat(m.getId().getTag("version")).isEqualTo("7");
    });
    assertThat(registry.getMeters()).as("no fallback meters without a fallback")
        .noneMatch(m -> m.getId().getName().equals("jinfer.breaker.fallbacks"));
  }

  @Test
  void removeMeters_unregistersThem_andTheBreakerKeepsWorking() {
    CircuitBreaker b = builder().build();

    b.removeMeters();
    b.removeMeters();

    assertThat(registry.getMeters()).extracting(Meter::getId).isEmpty();
    for (int i = 0; i < 4; i++) {
      call(b, MS, new BackendException("down"));
    }
    assertThat(b.state()).isEqualTo(State.OPEN);
  }

  @Test
  void withoutARegistry_nothingIsRegistered_andCallsWork() {
    CircuitBreaker b = CircuitBreaker.newBuilder(MODEL).ticker(ticker).build();
    call(b, MS, null);
    assertThat(registry.getMeters()).isEmpty();
    b.removeMeters();
  }

  /** Always answers the empty map. */
  private static final class ConstantPredictor implements Predictor {
    @Override
    public ModelId modelId() {
      return new ModelId("rules", "1");
    }

    @Override
    public ModelSignature signature() {
      return ScaleBackend.SIGNATURE;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, java.util.List<String> outputNames, CallOptions options) {
      return NamedTensors.empty();
    }

    @Override
    public void close() {}
  }

  /** Always fails like a broken engine. */
  private static final class FailingPredictor implements Predictor {
    @Override
    public ModelId modelId() {
      return MODEL;
    }

    @Override
    public ModelSignature signature() {
      return ScaleBackend.SIGNATURE;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, java.util.List<String> outputNames, CallOptions options) {
      throw new BackendException("engine down");
    }

    @Override
    public void close() {}
  }

  @Test
  void aFailingPredictorWithoutFallback_stillThrows() {
    Predictor p = builder().build().decorate(new FailingPredictor());
    assertThatThrownBy(() -> p.predict(NamedTensors.empty())).isInstanceOf(BackendException.class);
  }
}
