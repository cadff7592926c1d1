package dev.jinfer.breaker;

import dev.jinfer.BackendException;
import dev.jinfer.FakeTicker;
import dev.jinfer.ModelId;
import java.time.Duration;
import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.kotlinx.lincheck.annotations.Operation;
import org.jetbrains.kotlinx.lincheck.strategy.stress.StressOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of the circuit breaker's state machine (Lincheck, stress mode) through its public hooks:
 * {@code tryAcquirePermission}, {@code onSuccess}, {@code onError}, the state, and a fake clock. Every
 * concurrent history must be one of {@link Spec}, a plain sequential breaker with the same settings: a
 * window of 100 calls (more than a scenario makes, so the window's documented "last n calls give or take
 * one" race between calls a lap apart never enters) that opens at a failure rate of 50%; after the wait in
 * open, the first permission moves it to half-open with two trial permits; one failed trial reopens it, two
 * successful ones close it.
 *
 * <p>The hooks are called unpaired (a report is recorded in the state current when it is reported, whoever
 * got a permission), since a permission held across operations has no sequential meaning: in half-open a
 * trial in flight refuses others, which no sequential history shows. Reports and moves of the clock run in
 * one thread (one non-parallel group), in parallel with permissions and state reads: the window and the state
 * are two atomics, so a verdict taken on the window is installed a moment later, and neither an outcome
 * recorded in between nor a clock that jumps in between (it shortens the open period by the jump) changes
 * it. That is the breaker's accepted imprecision, as in resilience4j; {@code CircuitBreakerConcurrencyTest}
 * checks the counts under concurrent reports. Stress mode, not model checking:
 * Lincheck 2.39's model checker cannot instrument objects that reach a record ({@code ModelId},
 * {@code BreakerThresholds}): "can't get field offset on a record class".
 */
@Timeout(120)
class CircuitBreakerLincheckTest {
  private static final Duration WAIT = Duration.ofSeconds(1);
  private static final BackendException FAILURE = new BackendException("engine failed");

  /** The breaker under test, one per scenario. */
  public static final class Harness {
    private final FakeTicker ticker = new FakeTicker();
    private final CircuitBreaker breaker = CircuitBreaker.newBuilder(new ModelId("m", "1"))
        .countBasedWindow(100)
        .minimumNumberOfCalls(1)
        .failureRateThreshold(50)
        .halfOpenFailureRateThreshold(50)
        .slowCallDurationThreshold(Duration.ofSeconds(60))
        .waitDurationInOpenState(WAIT)
        .permittedCallsInHalfOpenState(2)
        .ticker(ticker)
        .build();
    @Operation
    public boolean acquire() {
      return breaker.tryAcquirePermission();
    }

    @Operation(nonParallelGroup = "clock")
    public void succeed() {
      breaker.onSuccess(0);
    }

    @Operation(nonParallelGroup = "clock")
    public void fail() {
      breaker.onError(0, FAILURE);
    }

    @Operation
    public CircuitBreaker.State state() {
      return breaker.state();
    }

    @Operation(nonParallelGroup = "clock")
    public void elapse() {
      ticker.advance(WAIT.multipliedBy(2));
    }
  }

  /** The sequential specification: the breaker's rules, written out plainly. */
  public static final class Spec {
    private static final long WAIT_NANOS = WAIT.toNanos();
    private CircuitBreaker.State state = CircuitBreaker.State.CLOSED;
    private long now;
    private long retryAt;
    private int permits;
    private int trials;
    private int calls;
    private int failures;

    public boolean acquire() {
      if (state == CircuitBreaker.State.OPEN) {
        if (now < retryAt) {
          return false;
        }
        state = CircuitBreaker.State.HALF_OPEN;
        permits = 2;
        trials = 0;
      }
      if (state == CircuitBreaker.State.HALF_OPEN) {
        if (permits == 0) {
          return false;
        }
        permits--;
      }
      return true;
    }

    public void succeed() {
      if (state == CircuitBreaker.State.CLOSED) {
        calls++;
      } else if (state == CircuitBreaker.State.HALF_OPEN && ++trials == 2) {
        state = CircuitBreaker.State.CLOSED;
        calls = 0;
        failures = 0;
      }
    }

    public void fail() {
      if (state == CircuitBreaker.State.CLOSED) {
        calls++;
        failures++;
        if (failures * 2 >= calls) {
          open();
        }
      } else if (state == CircuitBreaker.State.HALF_OPEN) {
        open();
      }
    }

    private void open() {
      state = CircuitBreaker.State.OPEN;
      retryAt = now + WAIT_NANOS;
    }

    public CircuitBreaker.State state() {
      return state;
    }

    public void elapse() {
      now += 2 * WAIT_NANOS;
    }
  }

  @Test
  void breakerStateMachine_isLinearizable_againstThePlainRules() {
    LinChecker.check(Harness.class, new StressOptions()
        .iterations(20)
        .invocationsPerIteration(1_000)
        .threads(3)
        .actorsPerThread(3)
        .actorsBefore(3)
        .actorsAfter(2)
        .sequentialSpecification(Spec.class));
  }
}
