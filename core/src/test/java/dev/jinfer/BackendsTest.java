package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BackendsTest {
  @TempDir
  Path dir;

  private static final float[] ROW = {1f, 2f};

  @Test
  void all_listsBackendsByPriority_thenName() {
    ScaleBackend low = new ScaleBackend("low", 10, true, ".scale");
    ScaleBackend high = new ScaleBackend("high", 200, true, ".scale");
    ScaleBackend b = new ScaleBackend("b", 100, true, ".scale");
    ScaleBackend a = new ScaleBackend("a", 100, true, ".scale");

    Backends backends = Backends.of(low, b, high, a);

    assertThat(backends.all()).containsExactly(high, a, b, low);
    assertThat(backends.find("HIGH")).containsSame(high);
    assertThat(backends.find("none")).isEmpty();
  }

  @Test
  void load_picksTheHighestPriorityBackendThatAcceptsTheFile() throws IOException {
    ScaleBackend low = new ScaleBackend("low", 10, true, ".scale");
    ScaleBackend mid = new ScaleBackend("mid", 100, true, ".scale");
    ScaleBackend otherFormat = new ScaleBackend("other", 500, true, ".other");
    Path file = ScaleBackend.writeModel(dir, "m.scale", 2f);

    try (Model model = Backends.of(low, otherFormat, mid).load(file)) {
      assertThat(model.backend()).isEqualTo("mid");
      assertThat(model.predictor().predict(ScaleBackend.input(ROW)).get("y").toFloatArray()).containsExactly(2f, 4f);
    }
    assertThat(low.sessions).isEmpty();
    assertThat(otherFormat.sessions).isEmpty();
    assertThat(mid.session().closes).hasValue(1);
  }

  @Test
  void load_skipsAnUnavailableBackend_evenIfItRanksHigher() throws IOException {
    ScaleBackend gpu = new ScaleBackend("gpu", 500, false, ".scale");
    ScaleBackend cpu = new ScaleBackend("cpu", 100, true, ".scale");
    Path file = ScaleBackend.writeModel(dir, "m.scale", 2f);

    try (Model model = Backends.of(gpu, cpu).load(file)) {
      assertThat(model.backend()).isEqualTo("cpu");
    }
    assertThat(gpu.sessions).isEmpty();
  }

  @Test
  void load_usesTheForcedBackend_byCaseInsensitiveName() throws IOException {
    ScaleBackend low = new ScaleBackend("low", 10, true, ".scale");
    ScaleBackend high = new ScaleBackend("high", 200, true, ".scale");
    Path file = ScaleBackend.writeModel(dir, "m.scale", 2f);

    try (Model model = Backends.of(low, high).load(file, LoadOptions.newBuilder().backend("LOW").build())) {
      assertThat(model.backend()).isEqualTo("low");
    }
    assertThat(high.sessions).isEmpty();
  }

  @Test
  void load_failsWhenTheForcedBackendIsAbsentOrUnavailable_listingThePresentOnes() throws IOException {
    Path file = ScaleBackend.writeModel(dir, "m.scale", 2f);
    Backends backends = Backends.of(new ScaleBackend("scale", 100, true, ".scale"),
        new ScaleBackend("gpu", 200, false, ".scale"));

    assertThatThrownBy(() -> backends.load(file, LoadOptions.newBuilder().backend("onnx").build()))
        .isInstanceOf(BackendUnavailableException.class)
        .hasMessage("backend 'onnx': not on the classpath; present: [gpu (unavailable), scale]");
    assertThatThrownBy(() -> backends.load(file, LoadOptions.newBuilder().backend("gpu").build()))
        .isInstanceOf(BackendUnavailableException.class)
        .hasMessageContaining("backend 'gpu'").hasMessageContaining("cannot be used here");
  }

  @Test
  void load_failsWhenNoBackendAcceptsTheFile_listingTheBackends() throws IOException {
    Path file = ScaleBackend.writeModel(dir, "m.other", 2f);
    Backends backends = Backends.of(new ScaleBackend("scale", 100, true, ".scale"),
        new ScaleBackend("gpu", 200, false, ".other"));

    BackendUnavailableException e = catchThrowableOfType(BackendUnavailableException.class, () -> backends.load(file));

    assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
    assertThat(e).hasMessage("model " + file + ": no backend accepts it; present: [gpu (unavailable), scale]");
    assertThatThrownBy(() -> Backends.of().load(file))
        .isInstanceOf(BackendUnavailableException.class)
        .hasMessageContaining("none (add a jinfer-backend-* dependency)");
  }

  @Test
  void load_ofAMissingPath_failsNamingThePath() {
    Path missing = dir.resolve("nothing-here.scale");

    ModelLoadException e = catchThrowableOfType(ModelLoadException.class,
        () -> Backends.of(new ScaleBackend()).load(missing));

    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_LOAD_FAILED);
    assertThat(e).hasMessageContaining(missing.toString()).hasMessageContaining("nothing is there");
    assertThatThrownBy(() -> Backends.of(new ScaleBackend()).load(null)).isInstanceOf(ModelLoadException.class);
  }

  @Test
  void load_whenTheBackendThrows_failsWithModelLoadException_carryingTheCause() throws IOException {
    ScaleBackend backend = new ScaleBackend();
    IOException corrupt = new IOException("bad magic");
    backend.loadFailure = corrupt;
    Path file = ScaleBackend.writeModel(dir, "m.scale", 2f);

    ModelLoadException e = catchThrowableOfType(ModelLoadException.class, () -> Backends.of(backend).load(file));

    assertThat(e.getCause()).isSameAs(corrupt);
    assertThat(e).hasMessage("model " + file + ": backend 'scale' could not load it: bad magic");
  }

  @Test
  void load_ofAnUnparsableFile_failsWithModelLoadException() throws IOException {
    Path file = Files.writeString(dir.resolve("m.scale"), "not a number");

    assertThatThrownBy(() -> Backends.of(new ScaleBackend()).load(file))
        .isInstanceOf(ModelLoadException.class)
        .hasCauseInstanceOf(NumberFormatException.class);
  }

  @Test
  void load_passesAnInferenceExceptionFromTheBackendThroughAsIs() throws IOException {
    ScaleBackend backend = new ScaleBackend();
    BackendUnavailableException missingNative = new BackendUnavailableException("add onnxruntime_gpu");
    backend.loadFailure = missingNative;
    Path file = ScaleBackend.writeModel(dir, "m.scale", 2f);

    assertThatThrownBy(() -> Backends.of(backend).load(file)).isSameAs(missingNative);
  }

  @Test
  void load_namesTheModelAfterTheFile_withVersionOne_unlessTheOptionsSayOtherwise() throws IOException {
    Path file = ScaleBackend.writeModel(dir, "fraud.v2.scale", 2f);
    Backends backends = Backends.of(new ScaleBackend());

    try (Model model = backends.load(file)) {
      assertThat(model.id()).isEqualTo(new ModelId("fraud.v2", "1"));
      assertThat(model.predictor().modelId()).isEqualTo(model.id());
    }
    try (Model model = backends.load(file, LoadOptions.newBuilder().modelName("fraud").modelVersion("42").build())) {
      assertThat(model.id()).isEqualTo(new ModelId("fraud", "42"));
    }
  }

  @Test
  void toString_listsTheBackends() {
    assertThat(Backends.of(new ScaleBackend("a", 1, false, ".a")).toString()).isEqualTo("Backends[a (unavailable)]");
  }
}
