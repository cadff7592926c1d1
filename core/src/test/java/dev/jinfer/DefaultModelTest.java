package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.jinfer.internal.WarmupInputs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class DefaultModelTest {
  private static final Executor REJECTING = task -> {
    throw new RejectedExecutionException("queue full");
  };

  @TempDir
  Path dir;

  private final ScaleBackend backend = new ScaleBackend();

  private Model load(LoadOptions options) throws IOException {
    return Backends.of(backend).load(ScaleBackend.writeModel(dir, "doubler.scale", 2f), options);
  }

  private Model load() throws IOException {
    return load(LoadOptions.defaults());
  }

  private static float[] y(NamedTensors out) {
    return out.get("y").toFloatArray();
  }

  @Test
  void predict_runsTheEngine_onValidatedInputs() throws IOException {
    try (Model model = load()) {
      NamedTensors out = model.predictor().predict(ScaleBackend.input(new float[] {1f, 2f}, new float[] {3f, 4f}));

      assertThat(out.names()).containsExactly("y");
      assertThat(out.get("y").shape()).isEqualTo(Shape.of(2, 2));
      assertThat(y(out)).containsExactly(2f, 4f, 6f, 8f);
      assertThat(backend.session().outputNames).containsExactly(List.of("y"));
    }
  }

  @Test
  void model_exposesWhatTheSessionAndOptionsSay() throws IOException {
    LoadOptions options = LoadOptions.newBuilder().interOpThreads(2).build();
    try (Model model = load(options)) {
      assertThat(model.backend()).isEqualTo("scale");
      assertThat(model.device()).isEqualTo(Device.cpu());
      assertThat(model.signature()).isEqualTo(ScaleBackend.SIGNATURE);
      assertThat(model.metadata()).containsExactlyEntriesOf(Map.of("producer", "ScaleBackend"));
      assertThat(model.options()).isSameAs(options);
      assertThat(model.predictor().signature()).isEqualTo(ScaleBackend.SIGNATURE);
      assertThat(model.toString()).contains("doubler:1").contains("scale");
    }
  }

  @Test
  void predict_rejectsInvalidInput_beforeTheEngine_andKeepsServing() throws IOException {
    try (Model model = load()) {
      Predictor p = model.predictor();

      assertThatThrownBy(() -> p.predict(NamedTensors.of("x", Tensor.ofFloats(new float[3], 1, 3))))
          .isInstanceOf(InvalidInputException.class)
          .hasMessage("input 'x': expected FLOAT32 [-1, 2] but got FLOAT32 [1, 3]");
      assertThatThrownBy(() -> p.predict(ScaleBackend.input(new float[] {1f, 2f}), null))
          .isInstanceOf(InvalidInputException.class);
      assertThatThrownBy(() -> p.predict(null)).isInstanceOf(InvalidInputException.class);
      assertThat(backend.session().runs).hasValue(0);

      assertThat(y(p.predict(ScaleBackend.input(new float[] {5f, 6f})))).containsExactly(10f, 12f);
    }
  }

  @Test
  void predict_whenTheEngineThrows_failsWithBackendFailure_carryingTheCause_andKeepsServing() throws IOException {
    try (Model model = load()) {
      Predictor p = model.predictor();
      IllegalStateException boom = new IllegalStateException("cuda error 700");
      backend.runFailure = boom;

      BackendException e = catchThrowableOfType(BackendException.class,
          () -> p.predict(ScaleBackend.input(new float[] {1f, 2f})));

      assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_FAILURE);
      assertThat(e.getCause()).isSameAs(boom);
      assertThat(e).hasMessageContaining("doubler:1").hasMessageContaining("cuda error 700");

      IOException checked = new IOException("disk");
      backend.runFailure = checked;
      assertThatThrownBy(() -> p.predict(ScaleBackend.input(new float[] {1f, 2f})))
          .isInstanceOf(BackendException.class).hasCause(checked);

      backend.runFailure = null;
      assertThat(y(p.predict(ScaleBackend.input(new float[] {1f, 2f})))).containsExactly(2f, 4f);
      assertThat(model.isClosed()).isFalse();
    }
  }

  @Test
  void predict_passesAnInferenceExceptionFromTheEngineThroughAsIs() throws IOException {
    try (Model model = load()) {
      OverloadedException busy = new OverloadedException("engine queue full", null);
      backend.runFailure = busy;

      assertThatThrownBy(() -> model.predictor().predict(ScaleBackend.input(new float[] {1f, 2f}))).isSameAs(busy);
    }
  }

  @Test
  void warmup_runsTheRequestedCalls_onZeroInputs_beforeLoadReturns() throws IOException {
    try (Model model = load(LoadOptions.newBuilder().warmupCalls(3).build())) {
      ScaleBackend.Session session = backend.session();

      assertThat(session.runs).hasValue(3);
      Tensor zeros = Tensor.ofFloats(new float[2], 1, 2);
      assertThat(session.inputs).containsExactly(NamedTensors.of("x", zeros), NamedTensors.of("x", zeros),
          NamedTensors.of("x", zeros));
      assertThat(session.outputNames).allSatisfy(names -> assertThat(names).containsExactly("y"));
      assertThat(model.isClosed()).isFalse();
    }
  }

  @Test
  void warmup_thatFails_closesTheSession_andFailsTheLoad() throws IOException {
    IllegalStateException boom = new IllegalStateException("kernel missing");
    backend.runFailure = boom;

    ModelLoadException e = catchThrowableOfType(ModelLoadException.class,
        () -> load(LoadOptions.newBuilder().warmupCalls(2).build()));

    assertThat(e.getCause()).isSameAs(boom);
    assertThat(e).hasMessage("model doubler:1: warmup failed: kernel missing");
    assertThat(backend.session().runs).hasValue(1);
    assertThat(backend.session().closes).hasValue(1);
  }

  @Test
  void warmupInputs_areZeros_withOneRowWhereDynamic_andEmptyStrings() {
    ModelSignature s = ModelSignature.of(
        List.of(TensorSpec.of("f", DType.FLOAT16, -1, 3), TensorSpec.of("s", DType.STRING, 2, -1),
            TensorSpec.of("i", DType.INT64, 4)),
        List.of(TensorSpec.of("y", DType.FLOAT32, -1)));

    NamedTensors in = WarmupInputs.of(s);

    assertThat(in.names()).containsExactly("f", "s", "i");
    assertThat(in.get("f")).isEqualTo(Tensor.ofFloat16(new float[3], 1, 3));
    assertThat(in.get("s")).isEqualTo(Tensor.ofStrings(new String[] {"", ""}, 2, 1));
    assertThat(in.get("i")).isEqualTo(Tensor.ofLongs(new long[4], 4));
  }

  @Test
  @Timeout(30)
  void close_waitsForACallInsideTheEngine_thenClosesTheSessionOnce() throws Exception {
    Model model = load();
    try {
      Predictor p = model.predictor();
      backend.entered = new CountDownLatch(1);
      backend.release = new CountDownLatch(1);
      CompletableFuture<NamedTensors> inFlight = new CompletableFuture<>();
      Thread caller = new Thread(() -> {
        try {
          inFlight.complete(p.predict(ScaleBackend.input(new float[] {1f, 2f})));
        } catch (RuntimeException e) {
          inFlight.completeExceptionally(e);
        }
      });
      caller.start();
      assertThat(backend.entered.await(10, TimeUnit.SECONDS)).isTrue();

      CompletableFuture<Void> closed = new CompletableFuture<>();
      Thread closer = new Thread(() -> {
        model.close();
        closed.complete(null);
      });
      closer.start();
      awaitWaiting(closer, model::isClosed);

      assertThat(closed).as("close returned while a call was inside the engine").isNotDone();
      assertThat(backend.session().closes).hasValue(0);
      assertThatThrownBy(() -> p.predict(ScaleBackend.input(new float[] {1f, 2f})))
          .isInstanceOf(ModelClosedException.class).hasMessage("model doubler:1 is closed")
          .extracting(e -> ((InferenceException) e).code()).isEqualTo(ErrorCode.MODEL_CLOSED);

      backend.release.countDown();

      closed.get(10, TimeUnit.SECONDS);
      assertThat(y(inFlight.get(10, TimeUnit.SECONDS))).containsExactly(2f, 4f);
      assertThat(backend.session().closes).hasValue(1);
      model.close();
      assertThat(backend.session().closes).as("close is idempotent").hasValue(1);
      caller.join();
      closer.join();
    } finally {
      backend.release.countDown();
      model.close();
    }
  }

  @Test
  void callsAfterClose_throwModelClosed_namingTheModel() throws IOException {
    Model model = load();
    Predictor p = model.predictor();

    model.close();

    assertThat(model.isClosed()).isTrue();
    assertThatThrownBy(() -> p.predict(ScaleBackend.input(new float[] {1f, 2f})))
        .isInstanceOf(ModelClosedException.class).hasMessage("model doubler:1 is closed")
          .extracting(e -> ((InferenceException) e).code()).isEqualTo(ErrorCode.MODEL_CLOSED);
    assertThatThrownBy(model::predictor)
        .isInstanceOf(ModelClosedException.class).hasMessage("model doubler:1 is closed")
          .extracting(e -> ((InferenceException) e).code()).isEqualTo(ErrorCode.MODEL_CLOSED);
    assertThat(backend.session().closes).hasValue(1);
  }

  @Test
  void close_whenTheSessionFailsToRelease_stillCompletes() throws IOException {
    Model model = load();
    backend.closeFailure = new IllegalStateException("double free");

    model.close();

    assertThat(model.isClosed()).isTrue();
    assertThat(backend.session().closes).hasValue(1);
  }

  @Test
  void closingAPredictorHandle_affectsOnlyThatHandle() throws IOException {
    try (Model model = load()) {
      Predictor first = model.predictor();
      Predictor second = model.predictor();

      first.close();
      first.close();

      assertThatThrownBy(() -> first.predict(ScaleBackend.input(new float[] {1f, 2f})))
          .isInstanceOf(ModelClosedException.class).hasMessage("predictor for model doubler:1 is closed")
          .extracting(e -> ((InferenceException) e).code()).isEqualTo(ErrorCode.MODEL_CLOSED);
      assertThat(y(second.predict(ScaleBackend.input(new float[] {1f, 2f})))).containsExactly(2f, 4f);
      assertThat(y(model.predictor().predict(ScaleBackend.input(new float[] {1f, 2f})))).containsExactly(2f, 4f);
      assertThat(model.isClosed()).isFalse();
      assertThat(backend.session().closes).hasValue(0);
    }
  }

  @Test
  void predictAsync_runsOnTheGivenExecutor() throws Exception {
    try (Model model = load()) {
      CompletableFuture<NamedTensors> f = model.predictor()
          .predictAsync(ScaleBackend.input(new float[] {1f, 2f}), Runnable::run);

      assertThat(y(f.get(10, TimeUnit.SECONDS))).containsExactly(2f, 4f);
    }
  }

  @Test
  void predictAsync_withARejectingExecutor_failsTheFutureWithOverloaded_withoutThrowing() throws IOException {
    try (Model model = load()) {
      CompletableFuture<NamedTensors> f = model.predictor()
          .predictAsync(ScaleBackend.input(new float[] {1f, 2f}), REJECTING);

      assertThat(f).isCompletedExceptionally();
      assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(OverloadedException.class)
          .hasMessageContaining("doubler:1")
          .hasCauseInstanceOf(RejectedExecutionException.class);
      assertThat(backend.session().runs).hasValue(0);
    }
  }

  @Test
  void predictAsync_withoutAnExecutor_failsTheFuture() throws IOException {
    try (Model model = load()) {
      CompletableFuture<NamedTensors> f = model.predictor().predictAsync(ScaleBackend.input(new float[] {1f, 2f}), null);

      assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(InvalidInputException.class).hasMessageContaining("executor");
    }
  }

  @Test
  void predictAsync_failuresCompleteTheFuture_evenAfterClose() throws IOException {
    Model model = load();
    Predictor p = model.predictor();
    model.close();

    CompletableFuture<NamedTensors> f = p.predictAsync(ScaleBackend.input(new float[] {1f, 2f}), Runnable::run);

    assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).cause().isInstanceOf(ModelClosedException.class);
  }

  /** Spins until the thread waits on a monitor with the condition true, or until it ends. */
  private static void awaitWaiting(Thread thread, BooleanSupplier condition) throws InterruptedException {
    while (thread.isAlive() && !(condition.getAsBoolean() && thread.getState() == Thread.State.WAITING)) {
      if (Thread.interrupted()) {
        throw new InterruptedException("gave up waiting for " + thread.getName());
      }
      Thread.onSpinWait();
    }
  }
}
