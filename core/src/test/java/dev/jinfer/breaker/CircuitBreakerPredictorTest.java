package dev.jinfer.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.jinfer.BackendException;
import dev.jinfer.Backends;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.ErrorCode;
import dev.jinfer.FakeTicker;
import dev.jinfer.InvalidInputException;
import dev.jinfer.Model;
import dev.jinfer.ModelClosedException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import dev.jinfer.Tensor;
import dev.jinfer.breaker.CircuitBreaker.State;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The decorator, around a real (pure-Java) model, on a fake clock. */
class CircuitBreakerPredictorTest {
  private static final NamedTensors GOOD = ScaleBackend.input(new float[] {1f, 2f});
  private static final NamedTensors BAD = NamedTensors.of("x", Tensor.ofFloats(new float[] {1f, 2f, 3f}, 1, 3));

  @TempDir
  Path dir;

  private final FakeTicker ticker = new FakeTicker();
  private final ScaleBackend backend = new ScaleBackend();
  private final ScaleBackend fallbackBackend = new ScaleBackend();
  private Model model;
  private Model fallbackModel;
  private ExecutorService executor;

  @BeforeEach
  void load() throws IOException {
    model = Backends.of(backend).load(ScaleBackend.writeModel(dir, "doubler.scale", 2f));
    fallbackModel = Backends.of(fallbackBackend).load(ScaleBackend.writeModel(dir, "tripler.scale", 3f));
    backend.ticker = ticker;
    executor = Executors.newFixedThreadPool(2);
  }

  @AfterEach
  void close() throws InterruptedException {
    executor.shutdownNow();
    assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    model.close();
    fallbackModel.close();
  }

  /** 4 calls judged, half failing opens; 10 s in open; 2 trial calls; calls over 100 ms are slow. */
  private CircuitBreaker.Builder builder() {
    return CircuitBreaker.newBuilder(model.id()).countBasedWindow(4).minimumNumberOfCalls(4)
        .slowCallDurationThreshold(Duration.ofMillis(100)).slowCallRateThreshold(50)
        .waitDurationInOpenState(Duration.ofSeconds(10)).permittedCallsInHalfOpenState(2).ticker(ticker);
  }

  private static float[] y(NamedTensors out) {
    return out.get("y").toFloatArray();
  }

  private void failEngine(Predictor p, int calls) {
    backend.runFailure = new RuntimeException("CUDA error: out of memory");
    for (int i = 0; i < calls; i++) {
      assertThatThrownBy(() -> p.predict(GOOD)).isInstanceOf(BackendException.class);
    }
    backend.runFailure = null;
  }

  @Test
  void closed_passesCallsThrough_andKeepsTheDelegatesIdentity() {
    CircuitBreaker breaker = builder().build();
    Predictor p = breaker.decorate(model.predictor());

    assertThat(y(p.predict(GOOD))).containsExactly(2f, 4f);
    assertThat(y(p.predict(GOOD, List.of("y")))).containsExactly(2f, 4f);
    assertThat(p.modelId()).isEqualTo(model.id());
    assertThat(p.signature()).isEqualTo(ScaleBackend.SIGNATURE);
    assertThat(breaker.snapshot().bufferedCalls()).isEqualTo(2);
    assertThat(p.toString()).contains("CircuitBreaker[doubler:1, CLOSED]");
  }

  @Test
  void engineFailures_openTheBreaker_thenCallsFailFastWithoutReachingTheEngine() {
    CircuitBreaker breaker = builder().build();
    Predictor p = breaker.decorate(model.predictor());
    p.predict(GOOD);
    p.predict(GOOD);
    failEngine(p, 2);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    int runs = backend.session().runs.get();

    CircuitOpenException e = catchThrowableOfType(CircuitOpenException.class, () -> p.predict(GOOD));

    assertThat(backend.session().runs.get()).as("the engine was not called").isEqualTo(runs);
    assertThat(e.code()).isEqualTo(ErrorCode.CIRCUIT_OPEN);
    assertThat(e).hasMessage("circuit breaker of model doubler:1 is OPEN (failure rate 50.0% >= 50.0% over the"
        + " last 4 calls); it allows a trial call in 10.0 s");
  }

  @Test
  void theBreakerRecovers_whenTheEngineDoes() {
    CircuitBreaker breaker = builder().build();
    Predictor p = breaker.decorate(model.predictor());
    failEngine(p, 4);
    ticker.advance(Duration.ofSeconds(10));

    assertThat(y(p.predict(GOOD))).containsExactly(2f, 4f);
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    p.predict(GOOD);

    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void invalidInput_neverTripsTheBreaker() {
    CircuitBreaker breaker = builder().build();
    Predictor p = breaker.decorate(model.predictor());

    for (int i = 0; i < 50; i++) {
      assertThatThrownBy(() -> p.predict(BAD)).isInstanceOf(InvalidInputException.class);
    }

    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.snapshot().bufferedCalls()).isZero();
  }

  @Test
  void aClosedModel_doesNotTripTheBreaker() {
    CircuitBreaker breaker = builder().build();
    Predictor p = breaker.decorate(model.predictor());
    model.close();

    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(() -> p.predict(GOOD)).isInstanceOf(ModelClosedException.class);
    }

    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void slowEngineCalls_openTheBreaker() {
    CircuitBreaker breaker = builder().build();
    Predictor p = breaker.decorate(model.predictor());
    backend.runTime = Duration.ofMillis(101);

    p.predict(GOOD);
    p.predict(GOOD);
    p.predict(GOOD);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    p.predict(GOOD);

    assertThat(breaker.state()).as("slow but successful calls still open it").isEqualTo(State.OPEN);
    assertThat(breaker.snapshot().slowCallRate()).isEqualTo(100.0);
  }

  @Test
  void fallback_servesTheCallsTheBreakerRefuses() {
    CircuitBreaker breaker = builder().fallback(fallbackModel.predictor()).build();
    Predictor p = breaker.decorate(model.predictor());
    failEngine(p, 4);

    assertThat(y(p.predict(GOOD))).as("served by the tripler").containsExactly(3f, 6f);

    assertThatThrownBy(() -> p.predict(BAD)).as("the fallback validates too").isInstanceOf(CircuitOpenException.class)
        .satisfies(e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(InvalidInputException.class));
  }

  @Test
  void fallback_isNotUsedForFailures_unlessAskedTo() {
    CircuitBreaker breaker = builder().fallback(fallbackModel.predictor()).build();
    Predictor p = breaker.decorate(model.predictor());

    failEngine(p, 1);

    assertThat(fallbackBackend.session().runs).hasValue(0);
  }

  @Test
  void fallbackOnFailure_servesFailedCalls_butNotTheCallersBadInput() {
    CircuitBreaker breaker = builder().fallback(fallbackModel.predictor()).fallbackOnFailure().build();
    Predictor p = breaker.decorate(model.predictor());
    backend.runFailure = new RuntimeException("engine crashed");

    assertThat(y(p.predict(GOOD))).containsExactly(3f, 6f);
    assertThat(breaker.snapshot().failedCalls()).as("still a failure of the model").isEqualTo(1);
    assertThatThrownBy(() -> p.predict(BAD)).isInstanceOf(InvalidInputException.class);

    fallbackBackend.runFailure = new RuntimeException("fallback crashed too");
    assertThatThrownBy(() -> p.predict(GOOD)).isInstanceOf(BackendException.class).hasMessageContaining("engine crashed")
        .satisfies(e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(BackendException.class));
  }

  @Test
  @Timeout(10)
  void aCallThatOutlivesItsState_changesNothingInTheNextOne() throws Exception {
    CircuitBreaker breaker = builder().build();
    Predictor p = breaker.decorate(model.predictor());
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    backend.entered = entered;
    backend.release = release;
    CompletableFuture<NamedTensors> lateCall = CompletableFuture.supplyAsync(() -> p.predict(GOOD), executor);
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    backend.release = null;
    backend.runFailure = new RuntimeException("late failure");

    breaker.transitionToHalfOpen();
    release.countDown();

    // permitted while closed, failed during half-open: not one of the 2 trials (1 failure of 2 would reopen)
    assertThatThrownBy(() -> lateCall.get(10, TimeUnit.SECONDS)).hasRootCauseMessage("late failure");
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    assertThat(breaker.snapshot().bufferedCalls()).isZero();
    backend.runFailure = null;
    p.predict(GOOD);
    p.predict(GOOD);
    assertThat(breaker.state()).as("both trial permits were intact").isEqualTo(State.CLOSED);
  }

  // ---------------------------------------------------------------- async

  @Test
  @Timeout(10)
  void async_recordsTheOutcomeWhenTheFutureCompletes() throws Exception {
    CircuitBreaker breaker = builder().build();
    Predictor p = breaker.decorate(model.predictor());

    assertThat(y(p.predictAsync(GOOD, executor).get())).containsExactly(2f, 4f);
    backend.runFailure = new RuntimeException("engine crashed");
    for (int i = 0; i < 3; i++) {
      CompletableFuture<NamedTensors> f = p.predictAsync(GOOD, executor);
      assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(BackendException.class);
    }

    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void async_refusals_completeTheFutureExceptionally_neverThrow() {
    CircuitBreaker breaker = builder().build();
    Predictor p = breaker.decorate(model.predictor());
    breaker.transitionToForcedOpen();

    CompletableFuture<NamedTensors> f = p.predictAsync(GOOD, executor);

    assertThat(f).isCompletedExceptionally();
    assertThatThrownBy(f::join).hasCauseInstanceOf(CircuitOpenException.class);
  }

  @Test
  void async_aNullExecutorIsTheCallersError_andIgnored() {
    CircuitBreaker breaker = builder().build();
    Predictor p = breaker.decorate(model.predictor());

    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(p.predictAsync(GOOD, null)::join).hasCauseInstanceOf(InvalidInputException.class);
    }

    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  @Timeout(10)
  void async_fallback_servesRefusedAndFailedCalls() throws Exception {
    CircuitBreaker breaker = builder().fallback(fallbackModel.predictor()).fallbackOnFailure().build();
    Predictor p = breaker.decorate(model.predictor());
    backend.runFailure = new RuntimeException("engine crashed");

    assertThat(y(p.predictAsync(GOOD, executor).get())).as("failed, served").containsExactly(3f, 6f);
    for (int i = 0; i < 3; i++) {
      p.predictAsync(GOOD, executor).get();
    }
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    int runs = backend.session().runs.get();
    assertThat(y(p.predictAsync(GOOD, executor).get())).as("refused, served").containsExactly(3f, 6f);
    assertThat(backend.session().runs.get()).isEqualTo(runs);

    fallbackBackend.runFailure = new RuntimeException("fallback crashed");
    assertThatThrownBy(p.predictAsync(GOOD, executor)::get).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(CircuitOpenException.class)
        .satisfies(e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(BackendException.class));
  }

  @Test
  @Timeout(10)
  void async_fallbackOnFailure_keepsTheOriginalError_whenTheFallbackFailsToo() {
    CircuitBreaker breaker = builder().fallback(fallbackModel.predictor()).fallbackOnFailure().build();
    Predictor p = breaker.decorate(model.predictor());
    backend.runFailure = new RuntimeException("engine crashed");
    fallbackBackend.runFailure = new RuntimeException("fallback crashed");

    assertThatThrownBy(p.predictAsync(GOOD, executor)::get).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(BackendException.class).hasMessageContaining("engine crashed")
        .satisfies(e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(BackendException.class));
    assertThatThrownBy(p.predictAsync(BAD, executor)::get).as("bad input is not served by the fallback")
        .hasCauseInstanceOf(InvalidInputException.class);
  }

  // ---------------------------------------------------------------- close

  @Test
  void close_refusesLaterCalls_butLeavesTheDelegateOpen() {
    CircuitBreaker breaker = builder().build();
    Predictor delegate = model.predictor();
    Predictor p = breaker.decorate(delegate);

    p.close();
    p.close();

    assertThatThrownBy(() -> p.predict(GOOD)).isInstanceOf(ModelClosedException.class)
        .hasMessage("circuit-breaker predictor of model doubler:1 is closed");
    assertThat(p.predictAsync(GOOD, executor)).isCompletedExceptionally();
    assertThat(y(delegate.predict(GOOD))).containsExactly(2f, 4f);
    assertThat(breaker.snapshot().bufferedCalls()).as("only the direct call went through the engine").isZero();
  }

  @Test
  void aDeadline_isPassedToTheDelegate_andItsFailureReachesTheCaller() {
    backend.cancellable = true;
    Predictor p = builder().build().decorate(model.predictor());
    Deadline generous = Deadline.after(Duration.ofMinutes(1));

    assertThat(y(p.predict(GOOD, List.of(), generous))).containsExactly(2f, 4f);
    assertThat(backend.session().deadlines).containsExactly(generous);

    assertThatThrownBy(() -> p.predict(GOOD, List.of(), Deadline.after(Duration.ZERO)))
        .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("did not run");
    assertThat(backend.session().runs).hasValue(1);
  }
}
