package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Deadlines on the core model path, on a fake engine that can or cannot cancel. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class DefaultModelDeadlineTest {
  private static final NamedTensors IN = ScaleBackend.input(new float[] {1f, 2f});

  @TempDir
  Path dir;

  private final ScaleBackend backend = new ScaleBackend();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private Model load() throws IOException {
    return Backends.of(backend).load(ScaleBackend.writeModel(dir, "doubler.scale", 2f),
        LoadOptions.newBuilder().meterRegistry(registry).build());
  }

  private double errors(String code) {
    return registry.get("jinfer.predict").tags("model", "doubler", "outcome", "error", "error", code).timer().count();
  }

  private static float[] y(NamedTensors out) {
    return out.get("y").toFloatArray();
  }

  private static Deadline soon() {
    return Deadline.after(Duration.ofMillis(20));
  }

  private void blockTheEngine() {
    backend.entered = new CountDownLatch(1);
    backend.release = new CountDownLatch(1);
  }

  @Test
  void anExpiredDeadline_failsBeforeTheEngineRuns_countsAsDeadlineExceeded_andTheModelKeepsServing() throws IOException {
    FakeTicker ticker = new FakeTicker();
    try (Model model = load()) {
      Predictor p = model.predictor();
      Deadline deadline = Deadline.after(Duration.ofMillis(5), ticker);
      ticker.advance(Duration.ofMillis(5));

      assertThatThrownBy(() -> p.predict(IN, List.of(), deadline))
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessage("model doubler:1: the deadline (timeout 5.00 ms) had passed before the call started; it did not run");

      assertThat(backend.session().runs).hasValue(0);
      assertThat(errors("DEADLINE_EXCEEDED")).isEqualTo(1);
      assertThat(y(p.predict(IN, List.of(), Deadline.after(Duration.ofMinutes(1))))).containsExactly(2f, 4f);
    }
  }

  @Test
  void aNullDeadline_isInvalidInput() throws IOException {
    try (Model model = load()) {
      assertThatThrownBy(() -> model.predictor().predict(IN, List.of(), (Deadline) null))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("deadline");
      assertThat(backend.session().runs).hasValue(0);
    }
  }

  @Test
  void invalidInput_isReportedAsSuch_evenWithAnExpiredDeadline() throws IOException {
    try (Model model = load()) {
      assertThatThrownBy(() -> model.predictor().predict(NamedTensors.of("z", IN.get("x")), List.of(),
          Deadline.after(Duration.ZERO))).isInstanceOf(InvalidInputException.class);
    }
  }

  @Test
  void anEngineThatCannotCancel_runsOnADeadlineThread_andAGenerousDeadlineReturnsItsOutputs() throws IOException {
    try (Model model = load()) {
      NamedTensors out = model.predictor().predict(IN, List.of("y"), Deadline.after(Duration.ofMinutes(1)));

      assertThat(y(out)).containsExactly(2f, 4f);
      assertThat(backend.session().threads).singleElement()
          .satisfies(t -> assertThat(t.getName()).isEqualTo("jinfer-deadline-doubler:1-0"))
          .satisfies(t -> assertThat(t.isDaemon()).isTrue());
      assertThat(backend.session().deadlines).isEmpty();
    }
  }

  @Test
  void anEngineThatCannotCancel_releasesTheCallerAtTheDeadline_andCloseWaitsForTheAbandonedCall() throws Exception {
    Model model = load();
    Predictor p = model.predictor();
    blockTheEngine();

    // the engine cannot return before `release`, so only the deadline can end this call
    assertThatThrownBy(() -> p.predict(IN, List.of(), soon()))
        .isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining("doubler:1").hasMessageContaining("cannot cancel").hasMessageContaining("abandoned");
    assertThat(backend.entered.getCount()).isZero();
    assertThat(backend.session().finished).hasValue(0);
    assertThat(errors("DEADLINE_EXCEEDED")).isEqualTo(1);
    // read after close too (meters go then)
    List<Timer> calls = List.copyOf(registry.get("jinfer.predict").tag("model", "doubler").timers());
    Thread engineThread = backend.session().threads.get(0);

    Thread closer = new Thread(model::close, "closer");
    closer.start();
    while (closer.getState() != Thread.State.WAITING && closer.isAlive()) {
      Thread.onSpinWait(); // until close blocks on the gate
    }
    assertThat(model.isClosed()).isTrue();
    assertThat(backend.session().closes).as("session closed under the abandoned call").hasValue(0);

    backend.release.countDown();
    closer.join();
    assertThat(backend.session().finished).hasValue(1);
    assertThat(backend.session().closes).hasValue(1);
    engineThread.join(); // the deadline threads end with the model
    assertThat(calls.stream().mapToLong(Timer::count).sum()).as("the late end of the abandoned call is not counted again")
        .isEqualTo(1);
  }

  @Test
  void aResultThatComesAfterTheDeadline_isDiscarded() throws IOException {
    FakeTicker ticker = new FakeTicker();
    backend.ticker = ticker;
    backend.runTime = Duration.ofSeconds(2); // the engine returns at once, but 2 s late on the fake clock
    try (Model model = load()) {
      assertThatThrownBy(() -> model.predictor().predict(IN, List.of(), Deadline.after(Duration.ofSeconds(1), ticker)))
          .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("discarded");
      assertThat(backend.session().finished).hasValue(1);
      assertThat(errors("DEADLINE_EXCEEDED")).isEqualTo(1);
    }
  }

  @Test
  void engineFailures_onADeadlineThread_areReportedAsOnTheCallerThread() throws IOException {
    IllegalStateException boom = new IllegalStateException("cuda error 700");
    backend.runFailure = boom;
    try (Model model = load()) {
      assertThatThrownBy(() -> model.predictor().predict(IN, List.of(), Deadline.after(Duration.ofMinutes(1))))
          .isInstanceOf(BackendException.class).hasCause(boom).hasMessageContaining("cuda error 700");
      assertThat(errors("BACKEND_FAILURE")).isEqualTo(1);
    }
  }

  @Test
  void tooManyAbandonedCalls_failWithOverloaded_untilTheEngineCatchesUp() throws Exception {
    Model model = load();
    Predictor p = model.predictor();
    blockTheEngine();
    for (int i = 0; i < DefaultModel.MAX_DEADLINE_THREADS; i++) {
      assertThatThrownBy(() -> p.predict(IN, List.of(), Deadline.after(Duration.ofMillis(1))))
          .isInstanceOf(DeadlineExceededException.class);
    }

    assertThatThrownBy(() -> p.predict(IN, List.of(), Deadline.after(Duration.ofMinutes(1))))
        .isInstanceOf(OverloadedException.class).hasMessageContaining("doubler:1").hasMessageContaining("cannot cancel");
    assertThat(errors("OVERLOADED")).isEqualTo(1);

    List<Thread> engineThreads = new ArrayList<>(backend.session().threads);
    backend.release.countDown();
    model.close();
    assertThat(backend.session().finished).hasValue(DefaultModel.MAX_DEADLINE_THREADS);
    for (Thread t : engineThreads) {
      t.join();
    }
  }

  @Test
  void anEngineThatCancels_runsOnTheCallerThread_getsTheDeadline_andIsStoppedByIt() throws IOException {
    backend.cancellable = true;
    Model model = load();
    Predictor p = model.predictor();
    Deadline generous = Deadline.after(Duration.ofMinutes(1));
    assertThat(y(p.predict(IN, List.of(), generous))).containsExactly(2f, 4f);
    assertThat(backend.session().threads).containsExactly(Thread.currentThread());
    assertThat(backend.session().deadlines).containsExactly(generous);

    blockTheEngine();
    assertThatThrownBy(() -> p.predict(IN, List.of(), soon()))
        .isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining("doubler:1").hasMessageContaining("the engine stopped the call")
        .hasRootCauseMessage("scale engine stopped at the deadline");
    assertThat(backend.session().finished).as("the engine stopped: nothing left running").hasValue(2);
    model.close(); // returns at once: no call in flight
    assertThat(backend.session().closes).hasValue(1);
  }
}
