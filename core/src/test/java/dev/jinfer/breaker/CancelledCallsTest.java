package dev.jinfer.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.jinfer.Backends;
import dev.jinfer.CallOptions;
import dev.jinfer.CancelledException;
import dev.jinfer.Deadline;
import dev.jinfer.ErrorCode;
import dev.jinfer.InferenceException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import dev.jinfer.breaker.CircuitBreaker.State;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A call whose caller gives up (its thread interrupted: a cancelled gRPC call or future, a stream processor's
 * timeout) while the engine runs is a {@link CancelledException} ({@link ErrorCode#CANCELLED}), keeps the interrupt
 * flag, is metered under {@code error=CANCELLED} and is not counted by the breaker, on each of the three ways an
 * engine call runs: on the caller's thread, handed to a deadline thread, and cancellable with a deadline.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CancelledCallsTest {
  private static final NamedTensors GOOD = ScaleBackend.input(new float[] {1f, 2f});
  private static final int CALLS = 4;

  @TempDir
  Path dir;

  private final ScaleBackend backend = new ScaleBackend();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private Model model;

  @BeforeEach
  void load() throws IOException {
    model = Backends.of(backend).load(ScaleBackend.writeModel(dir, "doubler.scale", 2f),
        LoadOptions.newBuilder().meterRegistry(meters).build());
  }

  @AfterEach
  void close() {
    CountDownLatch release = backend.release;
    if (release != null) {
      release.countDown(); // abandoned calls on deadline threads end
    }
    model.close();
  }

  /** {@value #CALLS} calls judged, half failing opens: as many counted failures as calls would trip it. */
  private CircuitBreaker breaker() {
    return CircuitBreaker.newBuilder(model.id()).countBasedWindow(CALLS).minimumNumberOfCalls(CALLS)
        .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMinutes(1)).build();
  }

  private record Outcome(Throwable thrown, boolean interruptFlag) {}

  /** Runs one call on its own thread, interrupts it once the engine runs, and returns what the call threw. */
  private Outcome cancelWhileTheEngineRuns(Predictor p, CallOptions options) throws InterruptedException {
    CountDownLatch entered = new CountDownLatch(1);
    backend.entered = entered;
    AtomicReference<Outcome> outcome = new AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        p.predict(GOOD, List.of(), options);
        outcome.set(new Outcome(null, Thread.currentThread().isInterrupted()));
      } catch (Throwable t) {
        outcome.set(new Outcome(t, Thread.currentThread().isInterrupted()));
      }
    });
    caller.start();
    assertThat(entered.await(10, TimeUnit.SECONDS)).as("the engine started").isTrue();
    caller.interrupt();
    caller.join(10_000);
    assertThat(caller.isAlive()).as("the cancelled call returned").isFalse();
    return outcome.get();
  }

  private void cancelledCallsAreNotFailures(CallOptions options) throws InterruptedException {
    backend.release = new CountDownLatch(1); // the engine runs until the caller gives up
    CircuitBreaker breaker = breaker();
    Predictor p = breaker.decorate(model.predictor());
    for (int i = 0; i < CALLS; i++) {
      Outcome o = cancelWhileTheEngineRuns(p, options);
      assertThat(o.thrown()).isInstanceOf(CancelledException.class).hasMessageContaining("doubler:1")
          .hasMessageContaining("cancelled");
      assertThat(((InferenceException) o.thrown()).code()).isEqualTo(ErrorCode.CANCELLED);
      assertThat(o.interruptFlag()).as("the interrupt flag stays set").isTrue();
    }
    assertThat(breaker.state()).as("cancellations are not engine failures").isEqualTo(State.CLOSED);
    Timer cancelled = meters.find("jinfer.predict").tag("error", "CANCELLED").timer();
    assertThat(cancelled).as("jinfer.predict{error=CANCELLED}").isNotNull();
    assertThat(cancelled.count()).isEqualTo(CALLS);
    assertThat(meters.find("jinfer.predict").tag("error", "BACKEND_FAILURE").timer()).isNull();

    backend.release.countDown();
    backend.release = null;
    assertThat(p.predict(GOOD).get("y").toFloatArray()).containsExactly(2f, 4f);
  }

  @Test
  void onTheCallersThread_cancelledIsNotAFailure() throws InterruptedException {
    cancelledCallsAreNotFailures(CallOptions.defaults());
  }

  @Test
  void handedToADeadlineThread_cancelledIsNotAFailure() throws InterruptedException {
    cancelledCallsAreNotFailures(CallOptions.of(Deadline.after(Duration.ofSeconds(30))));
  }

  @Test
  void aCancellableEngineWithADeadline_cancelledIsNotAFailure() throws InterruptedException {
    backend.cancellable = true;
    cancelledCallsAreNotFailures(CallOptions.of(Deadline.after(Duration.ofSeconds(30))));
  }

  @Test
  void asManyEngineFailures_doTripTheSameBreaker() {
    CircuitBreaker breaker = breaker();
    Predictor p = breaker.decorate(model.predictor());
    backend.runFailure = new RuntimeException("CUDA error: out of memory");
    for (int i = 0; i < CALLS; i++) {
      try {
        p.predict(GOOD);
      } catch (InferenceException e) {
        assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_FAILURE);
      }
    }
    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void anEngineFailureWhileNotInterrupted_staysABackendFailure() {
    backend.runFailure = new IllegalStateException("engine state corrupted");
    InferenceException e = catchThrowableOfType(InferenceException.class,
        () -> model.predictor().predict(GOOD));
    assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_FAILURE);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }
}
