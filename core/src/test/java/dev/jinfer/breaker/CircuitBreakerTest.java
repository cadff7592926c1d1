package dev.jinfer.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.jinfer.BackendException;
import dev.jinfer.ErrorCode;
import dev.jinfer.FakeTicker;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelId;
import dev.jinfer.OverloadedException;
import dev.jinfer.breaker.CircuitBreaker.State;
import dev.jinfer.breaker.CircuitBreaker.Transition;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The state machine, driven through the low-level hooks on a fake clock. */
class CircuitBreakerTest {
  private static final long MS = 1_000_000L;
  private static final ModelId MODEL = new ModelId("fraud", "1");

  private final FakeTicker ticker = new FakeTicker();
  private final List<Transition> transitions = new CopyOnWriteArrayList<>();

  /**
   * Window of 10 calls; opens at 50% failures or 50% calls over 100 ms; waits 10 s in open. Each test sets
   * the minimum number of calls and the trial calls (every option may be set once).
   */
  private CircuitBreaker.Builder base() {
    return CircuitBreaker.newBuilder(MODEL).countBasedWindow(10).failureRateThreshold(50)
        .slowCallRateThreshold(50).slowCallDurationThreshold(Duration.ofMillis(100))
        .waitDurationInOpenState(Duration.ofSeconds(10)).ticker(ticker).listener(transitions::add);
  }

  /** The base, with at least 5 calls judged and 4 trial calls. */
  private CircuitBreaker breaker() {
    return base().minimumNumberOfCalls(5).permittedCallsInHalfOpenState(4).build();
  }

  private static void succeed(CircuitBreaker b, int calls) {
    for (int i = 0; i < calls; i++) {
      assertThat(b.tryAcquirePermission()).as("permission for success %d", i).isTrue();
      b.onSuccess(MS);
    }
  }

  private static void fail(CircuitBreaker b, int calls) {
    for (int i = 0; i < calls; i++) {
      assertThat(b.tryAcquirePermission()).as("permission for failure %d", i).isTrue();
      b.onError(MS, new BackendException("engine failed"));
    }
  }

  private static void slow(CircuitBreaker b, int calls) {
    for (int i = 0; i < calls; i++) {
      assertThat(b.tryAcquirePermission()).isTrue();
      b.onSuccess(101 * MS);
    }
  }

  private void openIt(CircuitBreaker b) {
    fail(b, 5);
    assertThat(b.state()).isEqualTo(State.OPEN);
  }

  private void halfOpenIt(CircuitBreaker b) {
    openIt(b);
    ticker.advance(Duration.ofSeconds(10));
    assertThat(b.tryAcquirePermission()).isTrue();
    b.releasePermission();
    assertThat(b.state()).isEqualTo(State.HALF_OPEN);
  }

  private List<String> path() {
    return transitions.stream().map(t -> t.from() + "->" + t.to()).toList();
  }

  // ---------------------------------------------------------------- closed

  @Test
  void closed_opens_whenTheFailureRateReachesTheThreshold() {
    CircuitBreaker b = breaker();
    succeed(b, 3);
    fail(b, 2);
    assertThat(b.state()).as("2 of 5 = 40%").isEqualTo(State.CLOSED);

    fail(b, 1);

    assertThat(b.state()).as("3 of 6 = 50%").isEqualTo(State.OPEN);
    assertThat(path()).containsExactly("CLOSED->OPEN");
    assertThat(transitions.get(0).reason()).isEqualTo("failure rate 50.0% >= 50.0% over the last 6 calls");
  }

  @Test
  void closed_staysClosed_untilTheMinimumNumberOfCalls() {
    CircuitBreaker b = breaker();
    fail(b, 4);
    assertThat(b.state()).as("100% failures, but only 4 calls").isEqualTo(State.CLOSED);
    assertThat(b.snapshot().failureRate()).isEqualTo(-1);

    fail(b, 1);

    assertThat(b.state()).isEqualTo(State.OPEN);
  }

  @Test
  void closed_judgesTheFirstSuccessThatReachesTheMinimum() {
    CircuitBreaker b = breaker();
    fail(b, 4);

    succeed(b, 1);

    assertThat(b.state()).as("4 of 5 failed").isEqualTo(State.OPEN);
  }

  @Test
  void closed_opens_whenTheSlowCallRateReachesTheThreshold() {
    CircuitBreaker b = breaker();
    succeed(b, 3);
    slow(b, 2);
    assertThat(b.state()).isEqualTo(State.CLOSED);

    slow(b, 1);

    assertThat(b.state()).isEqualTo(State.OPEN);
    assertThat(transitions.get(0).reason())
        .isEqualTo("slow-call rate 50.0% >= 50.0% (calls over 100.0 ms) over the last 6 calls");
  }

  @Test
  void slowCalls_areThoseOverTheDuration_notAtIt() {
    CircuitBreaker b = breaker();
    for (int i = 0; i < 10; i++) {
      b.tryAcquirePermission();
      b.onSuccess(100 * MS);
    }
    assertThat(b.snapshot().slowCalls()).isZero();
    assertThat(b.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void slowFailures_countInBothRates() {
    CircuitBreaker b = base().minimumNumberOfCalls(10).build();
    succeed(b, 8);
    b.tryAcquirePermission();
    b.onError(200 * MS, new BackendException("timed out in the engine"));

    CircuitBreaker.Snapshot s = b.snapshot();
    assertThat(s.failedCalls()).isEqualTo(1);
    assertThat(s.slowCalls()).isEqualTo(1);
    assertThat(s.bufferedCalls()).isEqualTo(9);
  }

  @Test
  void countWindow_forgetsCallsOlderThanItsSize() {
    CircuitBreaker b = breaker();
    succeed(b, 6);
    fail(b, 4);
    assertThat(b.snapshot().failedCalls()).isEqualTo(4);
    succeed(b, 6);
    assertThat(b.snapshot().failedCalls()).as("the 6 oldest calls were successes").isEqualTo(4);

    succeed(b, 4);

    CircuitBreaker.Snapshot s = b.snapshot();
    assertThat(s.bufferedCalls()).isEqualTo(10);
    assertThat(s.failedCalls()).as("the 4 failures were pushed out").isZero();
    assertThat(s.failureRate()).isZero();
    fail(b, 4);
    assertThat(b.state()).as("4 of the last 10").isEqualTo(State.CLOSED);
    fail(b, 1);
    assertThat(b.state()).as("5 of the last 10").isEqualTo(State.OPEN);
  }

  @Test
  void countWindow_smallerThanTheMinimum_usesItsSizeAsTheMinimum() {
    CircuitBreaker b = base().minimumNumberOfCalls(50).build();

    fail(b, 10);

    assertThat(b.state()).isEqualTo(State.OPEN);
  }

  @Test
  void timeWindow_opens_whenTheCallsOfTheLastPeriodFailEnough() {
    CircuitBreaker b = CircuitBreaker.newBuilder(MODEL).timeBasedWindow(Duration.ofSeconds(10)).minimumNumberOfCalls(4)
        .ticker(ticker).listener(transitions::add).build();
    fail(b, 2);
    ticker.advance(Duration.ofSeconds(3));
    succeed(b, 1);
    ticker.advance(Duration.ofSeconds(3));
    assertThat(b.state()).isEqualTo(State.CLOSED);

    fail(b, 1);

    assertThat(b.state()).as("3 of 4 within 6 s").isEqualTo(State.OPEN);
    assertThat(transitions.get(0).reason()).isEqualTo("failure rate 75.0% >= 50.0% over 4 calls in the last 10.0 s");
  }

  @Test
  void timeWindow_forgetsOutcomesOnceTheyExpire() {
    CircuitBreaker b = CircuitBreaker.newBuilder(MODEL).timeBasedWindow(Duration.ofSeconds(10)).minimumNumberOfCalls(4)
        .ticker(ticker).build();
    fail(b, 3);
    assertThat(b.snapshot().bufferedCalls()).isEqualTo(3);

    ticker.advance(Duration.ofSeconds(9));
    assertThat(b.snapshot().failedCalls()).as("9 s later, still in the 10 s window").isEqualTo(3);
    ticker.advance(Duration.ofSeconds(1));
    assertThat(b.snapshot().bufferedCalls()).as("10 s later, expired").isZero();

    fail(b, 1);
    succeed(b, 3);
    assertThat(b.state()).as("1 of 4: the old failures no longer count").isEqualTo(State.CLOSED);
    ticker.advance(Duration.ofMinutes(10));
    assertThat(b.snapshot().bufferedCalls()).as("an idle window empties by itself").isZero();
  }

  @Test
  void timeWindow_expiresByBucket_notByCall() {
    CircuitBreaker b = CircuitBreaker.newBuilder(MODEL).timeBasedWindow(Duration.ofSeconds(10)).ticker(ticker).build();
    ticker.advance(Duration.ofMillis(500)); // mid-bucket: buckets are 1 s
    fail(b, 1);

    ticker.advance(Duration.ofMillis(9_400));
    assertThat(b.snapshot().bufferedCalls()).as("9.4 s later, same bucket still in").isEqualTo(1);
    ticker.advance(Duration.ofMillis(100));
    assertThat(b.snapshot().bufferedCalls()).as("its bucket left the window at 10 s").isZero();
  }

  @Test
  void ignoredErrors_neverCount_soBadInputCannotTripTheBreaker() {
    CircuitBreaker b = breaker();
    for (int i = 0; i < 100; i++) {
      assertThat(b.tryAcquirePermission()).isTrue();
      b.onError(MS, new InvalidInputException("input 'x': expected FLOAT32 [-1, 2] but got FLOAT32 [1, 3]"));
      assertThat(b.tryAcquirePermission()).isTrue();
      b.onError(MS, new ModelClosedException("model fraud:1 is closed"));
      assertThat(b.tryAcquirePermission()).isTrue();
      b.onError(MS, new IllegalStateException("misuse"));
    }

    assertThat(b.state()).isEqualTo(State.CLOSED);
    assertThat(b.snapshot().bufferedCalls()).isZero();
  }

  @Test
  void failurePredicate_decidesWhichErrorsCount() {
    CircuitBreaker b = base().minimumNumberOfCalls(5).failurePredicate(
        CircuitBreaker.defaultFailurePredicate().and(t -> !(t instanceof OverloadedException))).build();
    for (int i = 0; i < 10; i++) {
      b.tryAcquirePermission();
      b.onError(MS, new OverloadedException("queue full", null));
    }
    assertThat(b.state()).isEqualTo(State.CLOSED);

    CircuitBreaker counting = base().minimumNumberOfCalls(5).failurePredicate(t -> true).build();
    for (int i = 0; i < 5; i++) {
      counting.tryAcquirePermission();
      counting.onError(MS, new InvalidInputException("bad"));
    }
    assertThat(counting.state()).as("a predicate that counts everything").isEqualTo(State.OPEN);
  }

  @Test
  void aFailurePredicateThatThrows_countsTheError() {
    CircuitBreaker b = base().minimumNumberOfCalls(5).failurePredicate(t -> {
      throw new IllegalArgumentException("predicate bug");
    }).build();

    fail(b, 5);

    assertThat(b.state()).isEqualTo(State.OPEN);
  }

  // ---------------------------------------------------------------- open

  @Test
  void open_rejectsCalls_untilTheWaitEnds_thenGoesHalfOpen() {
    CircuitBreaker b = breaker();
    openIt(b);

    ticker.advance(Duration.ofMillis(9_999));
    assertThat(b.tryAcquirePermission()).isFalse();
    assertThat(b.state()).isEqualTo(State.OPEN);
    assertThat(b.snapshot().waitUntilTrial()).isEqualTo(Duration.ofMillis(1));

    ticker.advance(Duration.ofMillis(1));
    assertThat(b.state()).as("no timer: the state moves on the next call").isEqualTo(State.OPEN);
    assertThat(b.tryAcquirePermission()).isTrue();

    assertThat(b.state()).isEqualTo(State.HALF_OPEN);
    assertThat(path()).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN");
    assertThat(transitions.get(1).reason()).isEqualTo("waited 10.0 s in OPEN");
    assertThat(b.snapshot().notPermittedCalls()).isEqualTo(1);
  }

  @Test
  void open_ignoresOutcomesOfCallsPermittedBefore() {
    CircuitBreaker b = breaker();
    openIt(b);

    b.onSuccess(MS);
    b.onError(MS, new BackendException("late"));

    assertThat(b.state()).isEqualTo(State.OPEN);
    assertThat(b.snapshot().bufferedCalls()).as("the window that opened it").isEqualTo(5);
  }

  @Test
  void acquirePermission_whenOpen_throwsCircuitOpenException_namingModelStateAndNextTrial() {
    CircuitBreaker b = breaker();
    openIt(b);
    ticker.advance(Duration.ofMillis(2_500));

    CircuitOpenException e = catchThrowableOfType(CircuitOpenException.class, b::acquirePermission);

    assertThat(e.code()).isEqualTo(ErrorCode.CIRCUIT_OPEN);
    assertThat(e.state()).isEqualTo(State.OPEN);
    assertThat(e.model()).isEqualTo(MODEL);
    assertThat(e.retryAfter()).contains(Duration.ofMillis(7_500));
    assertThat(e).hasMessage("circuit breaker of model fraud:1 is OPEN (failure rate 100.0% >= 50.0% over the last"
        + " 5 calls); it allows a trial call in 7.5 s");
  }

  // ---------------------------------------------------------------- half-open

  @Test
  void halfOpen_closes_afterThePermittedTrialsSucceed() {
    CircuitBreaker b = breaker();
    halfOpenIt(b);

    succeed(b, 3);
    assertThat(b.state()).isEqualTo(State.HALF_OPEN);
    succeed(b, 1);

    assertThat(b.state()).isEqualTo(State.CLOSED);
    assertThat(path()).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    assertThat(transitions.get(2).reason()).isEqualTo("trial calls: 0 failed and 0 slow of 4 (thresholds 50.0% and 50.0%)");
    assertThat(b.snapshot().bufferedCalls()).as("closed again with an empty window").isZero();
  }

  @Test
  void halfOpen_closes_whenTrialFailuresStayBelowTheThreshold() {
    CircuitBreaker b = breaker();
    halfOpenIt(b);

    fail(b, 1);
    succeed(b, 3);

    assertThat(b.state()).as("1 of 4 = 25% < 50%").isEqualTo(State.CLOSED);
  }

  @Test
  void halfOpen_reopens_assoonAsEnoughTrialsFailed() {
    CircuitBreaker b = breaker();
    halfOpenIt(b);

    fail(b, 1);
    assertThat(b.state()).isEqualTo(State.HALF_OPEN);
    fail(b, 1);

    assertThat(b.state()).as("2 of 4 failed: the other two cannot bring it under 50%").isEqualTo(State.OPEN);
    assertThat(path()).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN");
    assertThat(b.snapshot().waitUntilTrial()).as("a full wait again").isEqualTo(Duration.ofSeconds(10));
    assertThat(b.snapshot().failureRate()).as("of the trials that reopened it").isEqualTo(100.0);
    assertThat(b.snapshot().bufferedCalls()).isEqualTo(2);
  }

  @Test
  void halfOpen_reopens_onOneFailure_withAStrictTrialThreshold() {
    CircuitBreaker b = base().minimumNumberOfCalls(5).permittedCallsInHalfOpenState(4).halfOpenFailureRateThreshold(25).build();
    halfOpenIt(b);
    succeed(b, 2);

    fail(b, 1);

    assertThat(b.state()).isEqualTo(State.OPEN);
  }

  @Test
  void halfOpen_reopens_whenTheTrialsAreSlow() {
    CircuitBreaker b = breaker();
    halfOpenIt(b);

    slow(b, 2);

    assertThat(b.state()).isEqualTo(State.OPEN);
  }

  @Test
  void halfOpen_rejectsCallsBeyondThePermittedTrials() {
    CircuitBreaker b = breaker();
    halfOpenIt(b);

    for (int i = 0; i < 4; i++) {
      assertThat(b.tryAcquirePermission()).as("trial %d", i).isTrue();
    }
    assertThat(b.tryAcquirePermission()).isFalse();
    CircuitOpenException e = catchThrowableOfType(CircuitOpenException.class, b::acquirePermission);

    assertThat(e.state()).isEqualTo(State.HALF_OPEN);
    assertThat(e.retryAfter()).isEmpty();
    assertThat(e).hasMessage("circuit breaker of model fraud:1 is HALF_OPEN and its 4 trial calls are in flight;"
        + " it allows calls again when they have succeeded");
    b.onSuccess(MS);
    assertThat(b.tryAcquirePermission()).as("a completed trial does not free a permit").isFalse();
  }

  @Test
  void halfOpen_ignoredErrorsAndReleasedPermissions_giveTheirPermitBack() {
    CircuitBreaker b = base().minimumNumberOfCalls(5).permittedCallsInHalfOpenState(1).build();
    halfOpenIt(b);

    assertThat(b.tryAcquirePermission()).isTrue();
    assertThat(b.tryAcquirePermission()).isFalse();
    b.onError(MS, new InvalidInputException("bad"));
    assertThat(b.tryAcquirePermission()).isTrue();
    b.releasePermission();
    assertThat(b.tryAcquirePermission()).isTrue();
    b.onSuccess(MS);

    assertThat(b.state()).isEqualTo(State.CLOSED);
  }

  // ---------------------------------------------------------------- events, manual transitions, snapshot

  @Test
  void events_areFiredOncePerTransition_throughAFullCycle() {
    CircuitBreaker b = breaker();
    openIt(b);
    for (int i = 0; i < 5; i++) {
      b.tryAcquirePermission(); // rejected: no transition
    }
    ticker.advance(Duration.ofSeconds(10));
    fail(b, 2);                 // half-open, then open again
    ticker.advance(Duration.ofSeconds(10));
    succeed(b, 4);              // half-open, then closed

    assertThat(path()).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN", "OPEN->HALF_OPEN",
        "HALF_OPEN->CLOSED");
    assertThat(transitions).allSatisfy(t -> assertThat(t.model()).isEqualTo(MODEL));
  }

  @Test
  void aFailingListener_isLogged_andChangesNothing() {
    CircuitBreaker b = CircuitBreaker.newBuilder(MODEL).countBasedWindow(5).minimumNumberOfCalls(5).ticker(ticker)
        .listener(t -> {
          throw new IllegalStateException("listener bug");
        }).build();

    fail(b, 5);

    assertThat(b.state()).isEqualTo(State.OPEN);
  }

  @Test
  void forcedOpen_rejectsEveryCall_untilClosedByHand() {
    CircuitBreaker b = breaker();
    b.transitionToForcedOpen();
    ticker.advance(Duration.ofDays(1));

    CircuitOpenException e = catchThrowableOfType(CircuitOpenException.class, b::acquirePermission);
    assertThat(e.state()).isEqualTo(State.FORCED_OPEN);
    assertThat(e).hasMessage("circuit breaker of model fraud:1 is FORCED_OPEN (set by hand); it allows calls after"
        + " transitionToClosed() or transitionToHalfOpen()");

    b.transitionToClosed();
    succeed(b, 1);
    assertThat(path()).containsExactly("CLOSED->FORCED_OPEN", "FORCED_OPEN->CLOSED");
    assertThat(transitions.get(0).reason()).isEqualTo("transitionToForcedOpen()");
  }

  @Test
  void disabled_letsEveryCallThrough_andNeverTrips() {
    CircuitBreaker b = breaker();
    b.transitionToDisabled();

    fail(b, 100);

    assertThat(b.state()).isEqualTo(State.DISABLED);
    assertThat(b.snapshot().failureRate()).isEqualTo(-1);
  }

  @Test
  void manualTransitions_toTheSameState_resetButFireNothing() {
    CircuitBreaker b = breaker();
    fail(b, 4);

    b.transitionToClosed();

    assertThat(b.snapshot().bufferedCalls()).isZero();
    assertThat(transitions).isEmpty();
  }

  @Test
  void transitionToOpen_waitsAndGoesHalfOpenAsUsual() {
    CircuitBreaker b = breaker();
    b.transitionToOpen();
    assertThat(b.tryAcquirePermission()).isFalse();

    ticker.advance(Duration.ofSeconds(10));
    assertThat(b.tryAcquirePermission()).isTrue();

    assertThat(path()).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN");
  }

  @Test
  void transitionToHalfOpen_grantsTheTrialPermits() {
    CircuitBreaker b = breaker();
    b.transitionToHalfOpen();

    succeed(b, 4);

    assertThat(path()).containsExactly("CLOSED->HALF_OPEN", "HALF_OPEN->CLOSED");
  }

  @Test
  void snapshot_reportsTheWindow_inEveryState() {
    CircuitBreaker b = breaker();
    succeed(b, 5);
    slow(b, 2);
    fail(b, 1);

    CircuitBreaker.Snapshot closed = b.snapshot();
    assertThat(closed).isEqualTo(new CircuitBreaker.Snapshot(State.CLOSED, 12.5, 25.0, 8, 1, 2, 0, Duration.ZERO));

    fail(b, 2); // 3 of 10 failed, 2 slow: still closed
    fail(b, 2); // 5 of 10 (two successes pushed out): open
    ticker.advance(Duration.ofSeconds(4));
    b.tryAcquirePermission();
    CircuitBreaker.Snapshot open = b.snapshot();
    assertThat(open.state()).isEqualTo(State.OPEN);
    assertThat(open.failureRate()).isEqualTo(50.0);
    assertThat(open.bufferedCalls()).isEqualTo(10);
    assertThat(open.notPermittedCalls()).isEqualTo(1);
    assertThat(open.waitUntilTrial()).isEqualTo(Duration.ofSeconds(6));

    ticker.advance(Duration.ofSeconds(6));
    b.tryAcquirePermission();
    b.onSuccess(MS);
    CircuitBreaker.Snapshot halfOpen = b.snapshot();
    assertThat(halfOpen).isEqualTo(new CircuitBreaker.Snapshot(State.HALF_OPEN, -1, -1, 1, 0, 0, 1, Duration.ZERO));
  }

  @Test
  void toString_namesModelAndState() {
    assertThat(breaker()).hasToString("CircuitBreaker[fraud:1, CLOSED]");
  }
}
