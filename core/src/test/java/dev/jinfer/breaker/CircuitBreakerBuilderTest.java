package dev.jinfer.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.jinfer.BackendException;
import dev.jinfer.FakeTicker;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelId;
import dev.jinfer.Ticker;
import dev.jinfer.breaker.CircuitBreaker.State;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CircuitBreakerBuilderTest {
  private static final ModelId MODEL = new ModelId("fraud", "1");

  private static CircuitBreaker.Builder builder() {
    return CircuitBreaker.newBuilder(MODEL);
  }

  @Test
  void defaults_judgeTheLast100Calls_afterTwenty_atHalfFailing() {
    FakeTicker ticker = new FakeTicker();
    CircuitBreaker b = builder().ticker(ticker).build();
    assertThat(b.state()).isEqualTo(State.CLOSED);
    assertThat(b.model()).isEqualTo(MODEL);

    for (int i = 0; i < 19; i++) {
      b.tryAcquirePermission();
      b.onError(1, new BackendException("down"));
    }
    assertThat(b.state()).as("19 calls").isEqualTo(State.CLOSED);
    b.tryAcquirePermission();
    b.onSuccess(Duration.ofSeconds(5).toNanos());
    assertThat(b.state()).as("19 of 20 failed").isEqualTo(State.OPEN);

    ticker.advance(Duration.ofSeconds(29));
    assertThat(b.tryAcquirePermission()).as("30 s in open").isFalse();
    ticker.advance(Duration.ofSeconds(1));
    for (int i = 0; i < 10; i++) {
      assertThat(b.tryAcquirePermission()).as("10 trial calls").isTrue();
    }
    assertThat(b.tryAcquirePermission()).isFalse();
  }

  @Test
  void defaults_treatFiveSecondsAsNotYetSlow_andNeedEveryCallSlow() {
    CircuitBreaker b = builder().ticker(new FakeTicker()).build();
    b.tryAcquirePermission();
    b.onSuccess(1_000);
    for (int i = 0; i < 98; i++) {
      b.tryAcquirePermission();
      b.onSuccess(Duration.ofSeconds(6).toNanos());
    }
    b.tryAcquirePermission();
    b.onSuccess(Duration.ofSeconds(5).toNanos());

    assertThat(b.snapshot().slowCalls()).isEqualTo(98);
    assertThat(b.state()).as("98% slow < 100%").isEqualTo(State.CLOSED);
    b.tryAcquirePermission();
    b.onSuccess(Duration.ofSeconds(6).toNanos()); // pushes out the fast call: 99 of 100
    assertThat(b.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void of_buildsWithTheDefaults() {
    assertThat(CircuitBreaker.of(MODEL).state()).isEqualTo(State.CLOSED);
    assertThat(CircuitBreaker.defaultFailurePredicate()).hasToString(
        "every error but InvalidInputException, ModelClosedException, IllegalStateException and a cancellation"
            + " (CancelledException, CancellationException)");
    assertThat(CircuitBreaker.defaultFailurePredicate().test(new ModelClosedException("model m:1 is closed")))
        .isFalse();
    assertThat(CircuitBreaker.defaultFailurePredicate().test(new dev.jinfer.CancelledException("model m:1: cancelled", null)))
        .isFalse();
    assertThat(CircuitBreaker.defaultFailurePredicate().test(new java.util.concurrent.CancellationException("cancelled")))
        .isFalse();
    assertThat(CircuitBreaker.defaultFailurePredicate().test(new BackendException("x"))).isTrue();
    assertThat(CircuitBreaker.defaultFailurePredicate().test(new InvalidInputException("x"))).isFalse();
    assertThat(CircuitBreaker.defaultFailurePredicate().test(new IllegalStateException("x"))).isFalse();
  }

  @Test
  void badValues_areRejected_namingTheOption() {
    assertThatIllegalArgumentException().isThrownBy(() -> builder().countBasedWindow(0))
        .withMessage("countBasedWindow must be in [1, 1000000] but was 0");
    assertThatIllegalArgumentException().isThrownBy(() -> builder().countBasedWindow(1_000_001));
    assertThatIllegalArgumentException().isThrownBy(() -> builder().timeBasedWindow(Duration.ofMillis(9)))
        .withMessage("timeBasedWindow must be in [PT0.01S, PT8760H] but was PT0.009S");
    assertThatIllegalArgumentException().isThrownBy(() -> builder().timeBasedWindow(null))
        .withMessage("timeBasedWindow must be in [PT0.01S, PT8760H] but was null");
    assertThatIllegalArgumentException().isThrownBy(() -> builder().minimumNumberOfCalls(0))
        .withMessage("minimumNumberOfCalls must be > 0 but was 0");
    assertThatIllegalArgumentException().isThrownBy(() -> builder().failureRateThreshold(0))
        .withMessage("failureRateThreshold must be in (0, 100] but was 0.0");
    assertThatIllegalArgumentException().isThrownBy(() -> builder().failureRateThreshold(100.5));
    assertThatIllegalArgumentException().isThrownBy(() -> builder().failureRateThreshold(Double.NaN));
    assertThatIllegalArgumentException().isThrownBy(() -> builder().slowCallRateThreshold(-1))
        .withMessage("slowCallRateThreshold must be in (0, 100] but was -1.0");
    assertThatIllegalArgumentException().isThrownBy(() -> builder().halfOpenFailureRateThreshold(101))
        .withMessage("halfOpenFailureRateThreshold must be in (0, 100] but was 101.0");
    assertThatIllegalArgumentException().isThrownBy(() -> builder().slowCallDurationThreshold(Duration.ZERO))
        .withMessage("slowCallDurationThreshold must be in [PT0.000000001S, PT8760H] but was PT0S");
    assertThatIllegalArgumentException().isThrownBy(() -> builder().waitDurationInOpenState(Duration.ofDays(366)))
        .withMessage("waitDurationInOpenState must be in [PT0.000000001S, PT8760H] but was PT8784H");
    assertThatIllegalArgumentException().isThrownBy(() -> builder().permittedCallsInHalfOpenState(0))
        .withMessage("permittedCallsInHalfOpenState must be in [1, 1000000] but was 0");
  }

  @Test
  void nulls_areRejected_namingTheOption() {
    assertThatNullPointerException().isThrownBy(() -> CircuitBreaker.newBuilder(null)).withMessage("model");
    assertThatNullPointerException().isThrownBy(() -> builder().ticker(null)).withMessage("ticker");
    assertThatNullPointerException().isThrownBy(() -> builder().failurePredicate(null)).withMessage("failurePredicate");
    assertThatNullPointerException().isThrownBy(() -> builder().fallback(null)).withMessage("fallback");
    assertThatNullPointerException().isThrownBy(() -> builder().meterRegistry(null)).withMessage("meterRegistry");
    assertThatNullPointerException().isThrownBy(() -> builder().listener(null)).withMessage("listener");
    assertThatNullPointerException().isThrownBy(() -> CircuitBreaker.of(MODEL).decorate(null)).withMessage("delegate");
    assertThatNullPointerException().isThrownBy(() -> CircuitBreaker.of(MODEL).onError(1, null)).withMessage("error");
  }

  @Test
  void optionsSetTwice_areRejected() {
    assertThatIllegalStateException().isThrownBy(() -> builder().failureRateThreshold(50).failureRateThreshold(60))
        .withMessage("failureRateThreshold was already set to 50.0");
    assertThatIllegalStateException().isThrownBy(() -> builder().countBasedWindow(10).countBasedWindow(20))
        .withMessage("countBasedWindow was already set to 10");
    assertThatIllegalStateException().isThrownBy(() -> builder().fallbackOnFailure().fallbackOnFailure())
        .withMessage("fallbackOnFailure was already set");
    assertThatIllegalStateException().isThrownBy(() -> builder().ticker(Ticker.system()).ticker(Ticker.system()));
    assertThatIllegalStateException().isThrownBy(() -> builder().minimumNumberOfCalls(1).minimumNumberOfCalls(1));
  }

  @Test
  void conflictingOptions_areRejected() {
    assertThatIllegalStateException().isThrownBy(() -> builder().countBasedWindow(10).timeBasedWindow(Duration.ofSeconds(1)))
        .withMessage("timeBasedWindow conflicts with countBasedWindow(10): choose one");
    assertThatIllegalStateException().isThrownBy(() -> builder().timeBasedWindow(Duration.ofSeconds(1)).countBasedWindow(10))
        .withMessage("countBasedWindow conflicts with timeBasedWindow(PT1S): choose one");
    assertThatIllegalStateException().isThrownBy(() -> builder().fallbackOnFailure().build())
        .withMessage("fallbackOnFailure needs a fallback(Predictor)");
  }
}
