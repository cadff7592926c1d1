package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictorMetricsTest {
  @TempDir
  Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final FakeTicker ticker = new FakeTicker();
  private final ScaleBackend backend = new ScaleBackend();

  private Model load(LoadOptions.Builder options) throws IOException {
    return Backends.of(backend).load(ScaleBackend.writeModel(dir, "fraud.scale", 1f),
        options.meterRegistry(registry).ticker(ticker).build());
  }

  private Timer timer(String outcome, String error) {
    return registry.get("jinfer.predict").tags("model", "fraud", "version", "1", "outcome", outcome, "error", error)
        .timer();
  }

  private Timer latency() {
    return timer("success", "none");
  }

  @Test
  void oneTimer_countsSuccessesAndErrorsByCode_inSeparateSeries() throws IOException {
    int k = 5;
    int j = 3;
    try (Model model = load(LoadOptions.newBuilder())) {
      Predictor p = model.predictor();
      for (int i = 0; i < k; i++) {
        p.predict(ScaleBackend.input(new float[] {1f, 2f}));
      }
      for (int i = 0; i < j; i++) {
        assertThatThrownBy(() -> p.predict(NamedTensors.of("x", Tensor.ofInts(new int[2], 1, 2))))
            .isInstanceOf(InvalidInputException.class);
      }
      backend.runFailure = new IllegalStateException("boom");
      assertThatThrownBy(() -> p.predict(ScaleBackend.input(new float[] {1f, 2f})));

      assertThat(registry.get("jinfer.predict").timers().stream().mapToLong(Timer::count).sum()).isEqualTo(k + j + 1);
      assertThat(timer("error", "INVALID_INPUT").count()).isEqualTo(j);
      assertThat(timer("error", "BACKEND_FAILURE").count()).isEqualTo(1);
      assertThat(registry.find("jinfer.predict").tag("error", "OVERLOADED").timers())
          .as("a code that never failed has no series").isEmpty();
      assertThat(latency().count()).isEqualTo(k);
      assertThat(latency().getId().getTag("model")).isEqualTo("fraud");
      assertThat(latency().getId().getTag("version")).isEqualTo("1");
    }
  }

  @Test
  void close_removesTheModelsMeters_soRetiredVersionsDoNotAccumulate() throws IOException {
    Model model = load(LoadOptions.newBuilder());
    model.predictor().predict(ScaleBackend.input(new float[] {1f, 2f}));
    assertThatThrownBy(() -> model.predictor().predict(NamedTensors.of("x", Tensor.ofInts(new int[2], 1, 2))))
        .isInstanceOf(InvalidInputException.class);
    assertThat(registry.find("jinfer.predict").tags("model", "fraud").timers()).hasSize(2);
    model.close();
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void latencyTimer_measuresWithTheInjectedTicker() throws IOException {
    backend.ticker = ticker;
    backend.runTime = Duration.ofMillis(3);
    try (Model model = load(LoadOptions.newBuilder())) {
      Predictor p = model.predictor();
      for (int i = 0; i < 4; i++) {
        p.predict(ScaleBackend.input(new float[] {1f, 2f}));
      }

      assertThat(latency().count()).isEqualTo(4);
      assertThat(latency().totalTime(TimeUnit.NANOSECONDS)).isEqualTo(Duration.ofMillis(12).toNanos());
      assertThat(latency().max(TimeUnit.NANOSECONDS)).isEqualTo(Duration.ofMillis(3).toNanos());
    }
  }

  @Test
  void warmupCalls_areNotCountedAsRequests() throws IOException {
    try (Model model = load(LoadOptions.newBuilder().warmupCalls(3).modelVersion("2"))) {
      assertThat(backend.session().runs).hasValue(3);
      assertThat(registry.get("jinfer.predict").tags("model", "fraud", "version", "2").timer().count()).isZero();
      assertThat(model.id().version()).isEqualTo("2");
    }
  }

  @Test
  void withoutRegistry_metricsAreANoOp() {
    PredictorMetrics none = PredictorMetrics.create(new dev.jinfer.ModelId("m", "1"), LoadOptions.defaults());

    none.success(10);
    none.failure(dev.jinfer.ErrorCode.INVALID_INPUT, 10);

    assertThat(registry.getMeters()).isEmpty();
  }
}
