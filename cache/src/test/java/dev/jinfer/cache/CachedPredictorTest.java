package dev.jinfer.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.BackendException;
import dev.jinfer.FakeTicker;
import dev.jinfer.ModelClosedException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CachedPredictorTest {
  private final FakeModel model = new FakeModel();

  @Test
  void predict_servesRepeatedInputFromCache_withoutCallingTheModel() {
    try (CachedPredictor p = CachedPredictor.of(model, 100)) {
      NamedTensors first = p.predict(FakeModel.input(1, 2, 3));
      NamedTensors second = p.predict(FakeModel.input(1, 2, 3));
      assertThat(second).isEqualTo(first).isEqualTo(model.predict(FakeModel.input(1, 2, 3), List.of()));
      assertThat(model.calls).hasValue(2); // one through the cache, one direct above
      CacheStats s = p.stats();
      assertThat(s.hits()).isEqualTo(1);
      assertThat(s.misses()).isEqualTo(1);
      assertThat(s.loadSuccesses()).isEqualTo(1);
      assertThat(s.hitRatio()).isEqualTo(0.5);
    }
  }

  @Test
  void predict_isExact_whenEveryHashCollides() {
    try (CachedPredictor p = CachedPredictor.newBuilder(model).maximumSize(10_000).hashMaskForTesting(0).build()) {
      Random r = new Random(7);
      float[][] inputs = new float[300][];
      for (int i = 0; i < inputs.length; i++) {
        inputs[i] = new float[] {r.nextInt(1000), r.nextFloat(), i};
      }
      for (int round = 0; round < 3; round++) {
        for (float[] in : inputs) {
          NamedTensors out = p.predict(FakeModel.input(in));
          assertThat(out.get("y").toFloatArray()).containsExactly(2 * in[0] + 1, 2 * in[1] + 1, 2 * in[2] + 1);
        }
      }
      assertThat(model.calls).hasValue(inputs.length);
      assertThat(p.stats().hits()).isEqualTo(2L * inputs.length);
    }
  }

  @Test
  void predict_distinguishesShapeDtypeAndValues_withEqualBytes() {
    try (CachedPredictor p = CachedPredictor.newBuilder(model).hashMaskForTesting(0).build()) {
      p.predict(NamedTensors.of("x", Tensor.ofFloats(new float[] {1, 2, 3, 4}, 1, 4)));
      NamedTensors reshaped = p.predict(NamedTensors.of("x", Tensor.ofFloats(new float[] {1, 2, 3, 4}, 2, 2)));
      assertThat(reshaped.get("y").shape().toArray()).containsExactly(2, 2);
      assertThat(model.calls).hasValue(2);
    }
  }

  @Test
  void predict_servesZeroRowRequests_keyedByTheirShape() {
    // issue 14: a zero-row request is legal; it is cached like any other, and [0, 3] and [0, 4] differ
    try (CachedPredictor p = CachedPredictor.newBuilder(model).hashMaskForTesting(0).build()) {
      NamedTensors first = p.predict(NamedTensors.of("x", Tensor.ofFloats(new float[0], 0, 3)));
      NamedTensors again = p.predict(NamedTensors.of("x", Tensor.ofFloats(new float[0], 0, 3)));
      NamedTensors wider = p.predict(NamedTensors.of("x", Tensor.ofFloats(new float[0], 0, 4)));
      assertThat(first.get("y").shape().toArray()).containsExactly(0, 3);
      assertThat(first.get("sum").shape().toArray()).containsExactly(0);
      assertThat(again).isEqualTo(first);
      assertThat(wider.get("y").shape().toArray()).containsExactly(0, 4);
      assertThat(model.calls).hasValue(2);
      assertThat(p.stats().hits()).isEqualTo(1);
      assertThat(p.predict(FakeModel.input(1, 2, 3)).get("y").toFloatArray()).containsExactly(3f, 5f, 7f);
    }
  }

  @Test
  void predict_canonicalizesNanAndNegativeZero() {
    try (CachedPredictor p = CachedPredictor.of(model, 100)) {
      float otherNan = Float.intBitsToFloat(0x7fa00001);
      p.predict(FakeModel.input(Float.NaN, 0.0f));
      p.predict(FakeModel.input(otherNan, -0.0f));
      p.predict(FakeModel.input(Float.intBitsToFloat(0xffc00000), 0.0f));
      assertThat(model.calls).hasValue(1);
      assertThat(p.stats().hits()).isEqualTo(2);
    }
  }

  @Test
  void keyPolicy_roundsOnlyWhenAskedTo() {
    try (CachedPredictor exact = CachedPredictor.of(model, 100)) {
      exact.predict(FakeModel.input(0.1234f));
      exact.predict(FakeModel.input(0.1236f));
      assertThat(model.calls).hasValue(2);
    }
    FakeModel m = new FakeModel();
    try (CachedPredictor rounded = CachedPredictor.newBuilder(m).keyPolicy("x", KeyPolicy.roundToDecimals(2)).build()) {
      NamedTensors a = rounded.predict(FakeModel.input(0.1234f, -0.001f));
      NamedTensors b = rounded.predict(FakeModel.input(0.1249f, 0.004f));
      rounded.predict(FakeModel.input(0.126f, 0f));
      assertThat(b).isSameAs(a);
      assertThat(m.calls).hasValue(2);
    }
    FakeModel q = new FakeModel();
    try (CachedPredictor quantum = CachedPredictor.newBuilder(q).keyPolicy("x", KeyPolicy.roundToQuantum(0.5)).build()) {
      quantum.predict(FakeModel.input(1.2f));
      quantum.predict(FakeModel.input(0.8f));
      quantum.predict(FakeModel.input(1.3f));
      assertThat(q.calls).hasValue(2);
    }
  }

  @Test
  void predict_neverServesAnotherVersionsEntries() {
    try (CachedPredictor p = CachedPredictor.of(model, 100)) {
      assertThat(p.predict(FakeModel.input(1)).get("y").getFloat(0)).isEqualTo(3f);
      model.version = "2";
      assertThat(p.predict(FakeModel.input(1)).get("y").getFloat(0)).isEqualTo(4f);
      assertThat(p.predict(FakeModel.input(1)).get("y").getFloat(0)).isEqualTo(4f);
      assertThat(model.calls).hasValue(2);
      assertThat(p.stats().entries()).isEqualTo(1); // version 1's entry was dropped
    }
  }

  @Test
  void expireAfterWrite_followsTheTicker() {
    FakeTicker ticker = new FakeTicker();
    try (CachedPredictor p = CachedPredictor.newBuilder(model).expireAfterWrite(Duration.ofMinutes(10)).ticker(ticker).build()) {
      p.predict(FakeModel.input(1));
      ticker.advance(Duration.ofMinutes(9));
      p.predict(FakeModel.input(1));
      assertThat(model.calls).hasValue(1);
      ticker.advance(Duration.ofMinutes(2));
      p.predict(FakeModel.input(1));
      assertThat(model.calls).hasValue(2);
      assertThat(p.stats().evictions()).isEqualTo(1);
    }
  }

  @Test
  void refreshAfterWrite_recomputesInTheBackground_andServesTheOldValueMeanwhile() {
    FakeTicker ticker = new FakeTicker();
    try (CachedPredictor p = CachedPredictor.newBuilder(model).refreshAfterWrite(Duration.ofMinutes(1), Runnable::run)
        .ticker(ticker).build()) {
      p.predict(FakeModel.input(1, 2));
      ticker.advance(Duration.ofMinutes(2));
      p.predict(FakeModel.input(1, 2)); // triggers the refresh (run inline by the executor)
      assertThat(model.calls).hasValue(2);
      assertThat(p.predict(FakeModel.input(1, 2)).get("y").toFloatArray()).containsExactly(3, 5);
      assertThat(model.calls).hasValue(2);
    }
  }

  @Test
  void errorsAreNeverCached() {
    try (CachedPredictor p = CachedPredictor.of(model, 100)) {
      model.failure = new BackendException("boom");
      assertThatThrownBy(() -> p.predict(FakeModel.input(1))).isInstanceOf(BackendException.class).hasMessage("boom");
      model.failure = null;
      assertThat(p.predict(FakeModel.input(1)).get("y").getFloat(0)).isEqualTo(3f);
      assertThat(model.calls).hasValue(2);
      assertThat(p.stats().loadFailures()).isEqualTo(1);
    }
  }

  @Test
  void largeInputs_bypassTheCache() {
    try (CachedPredictor p = CachedPredictor.newBuilder(model).maxInputBytes(8).build()) {
      p.predict(FakeModel.input(1, 2, 3));
      p.predict(FakeModel.input(1, 2, 3));
      assertThat(model.calls).hasValue(2);
      assertThat(p.stats().bypassed()).isEqualTo(2);
      p.predict(FakeModel.input(1, 2));
      p.predict(FakeModel.input(1, 2));
      assertThat(model.calls).hasValue(3);
    }
  }

  @Test
  void keepOutputs_servesSubsets_andBypassesForOthers() {
    try (CachedPredictor p = CachedPredictor.newBuilder(model).keepOutputs(List.of("sum")).build()) {
      assertThat(p.predict(FakeModel.input(1, 2), List.of("sum")).names()).containsExactly("sum");
      assertThat(p.predict(FakeModel.input(1, 2), List.of("sum")).get("sum").getFloat(0)).isEqualTo(3f);
      assertThat(model.calls).hasValue(1);
      assertThat(p.predict(FakeModel.input(1, 2)).names()).containsExactly("y", "sum");
      assertThat(p.stats().bypassed()).isEqualTo(1);
    }
    FakeModel m = new FakeModel();
    try (CachedPredictor all = CachedPredictor.of(m, 10)) {
      all.predict(FakeModel.input(1, 2));
      assertThat(all.predict(FakeModel.input(1, 2), List.of("sum", "y")).names()).containsExactly("sum", "y");
      assertThat(all.predict(FakeModel.input(1, 2), List.of("y")).names()).containsExactly("y");
      assertThat(m.calls).hasValue(1);
    }
  }

  @Test
  void maximumSize_evicts() {
    try (CachedPredictor p = CachedPredictor.of(model, 10)) {
      for (int i = 0; i < 100; i++) {
        p.predict(FakeModel.input(i));
      }
      assertThat(p.stats().entries()).isLessThanOrEqualTo(10);
      assertThat(p.stats().evictions()).isGreaterThanOrEqualTo(90);
    }
  }

  @Test
  void maximumWeight_boundsTheBytes() {
    try (CachedPredictor p = CachedPredictor.newBuilder(model).maximumWeight(10_000).build()) {
      for (int i = 0; i < 200; i++) {
        p.predict(FakeModel.input(i, i, i, i));
      }
      assertThat(p.stats().weightedSize()).isPositive().isLessThanOrEqualTo(10_000);
      assertThat(p.stats().evictions()).isPositive();
    }
  }

  @Test
  void predictAsync_completesAtOnceOnAHit() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (CachedPredictor p = CachedPredictor.of(model, 10)) {
      NamedTensors first = p.predictAsync(FakeModel.input(5), pool).get(5, TimeUnit.SECONDS);
      CompletableFuture<NamedTensors> hit = p.predictAsync(FakeModel.input(5), Runnable::run);
      assertThat(hit).isCompletedWithValue(first);
      model.failure = new BackendException("async boom");
      assertThat(p.predictAsync(FakeModel.input(6), pool)).failsWithin(Duration.ofSeconds(5));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void meters_reportHitsMissesAndLoads() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (CachedPredictor p = CachedPredictor.newBuilder(model).meterRegistry(registry).build()) {
      p.predict(FakeModel.input(1));
      p.predict(FakeModel.input(1));
      p.predict(FakeModel.input(1));
      assertThat(registry.get("jinfer.cache.gets").tag("result", "hit").tag("model", "fake").tag("version", "1")
          .functionCounter().count()).isEqualTo(2);
      assertThat(registry.get("jinfer.cache.gets").tag("result", "miss").functionCounter().count()).isEqualTo(1);
      assertThat(registry.get("jinfer.cache.load.duration").timer().count()).isEqualTo(1);
      assertThat(registry.get("jinfer.cache.hit.ratio").gauge().value()).isEqualTo(2.0 / 3);
    }
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void meters_keepCounting_afterAGarbageCollection() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (CachedPredictor p = CachedPredictor.newBuilder(model).meterRegistry(registry).build()) {
      p.predict(FakeModel.input(1));
      p.predict(FakeModel.input(1));
      WeakReference<Object> probe = new WeakReference<>(new Object());
      for (int i = 0; i < 100 && probe.get() != null; i++) {
        System.gc();
      }
      assertThat(probe.get()).as("a collection ran (weakly held objects are gone)").isNull();
      p.predict(FakeModel.input(1));
      p.predict(FakeModel.input(2));
      assertThat(registry.get("jinfer.cache.gets").tag("result", "hit").functionCounter().count()).isEqualTo(2);
      assertThat(registry.get("jinfer.cache.gets").tag("result", "miss").functionCounter().count()).isEqualTo(2);
      assertThat(registry.get("jinfer.cache.size").gauge().value()).isEqualTo(2);
      assertThat(registry.get("jinfer.cache.hit.ratio").gauge().value()).isEqualTo(0.5);
    }
  }

  @Test
  void close_isIdempotent_andLaterCallsThrow() {
    CachedPredictor p = CachedPredictor.of(model, 10);
    p.close();
    p.close();
    assertThatThrownBy(() -> p.predict(FakeModel.input(1))).isInstanceOf(ModelClosedException.class)
        .hasMessageContaining("CachedPredictor of model fake:1 is closed");
    assertThat(p.predictAsync(FakeModel.input(1), Runnable::run)).isCompletedExceptionally();
  }

  @Test
  void builder_failsFast_namingTheOption() {
    assertThatThrownBy(() -> CachedPredictor.newBuilder(model).maximumSize(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maximumSize must be > 0 but was 0");
    assertThatThrownBy(() -> CachedPredictor.newBuilder(model).maximumSize(5).maximumWeight(5))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("maximumWeight conflicts with maximumSize");
    assertThatThrownBy(() -> CachedPredictor.newBuilder(model).expireAfterWrite(Duration.ofSeconds(1))
        .expireAfterWrite(Duration.ofSeconds(2))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("expireAfterWrite was already set");
    assertThatThrownBy(() -> CachedPredictor.newBuilder(model).keyPolicy("nope", KeyPolicy.exact()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope' is not an input");
    assertThatThrownBy(() -> CachedPredictor.newBuilder(model).keepOutputs(List.of("y", "y")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("named twice");
    assertThatThrownBy(() -> CachedPredictor.newBuilder(model).expireAfterWrite(Duration.ofSeconds(1))
        .refreshAfterWrite(Duration.ofSeconds(1), Runnable::run).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("must be shorter");
    assertThatThrownBy(() -> KeyPolicy.roundToDecimals(16)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("roundToDecimals must be in [0, 15] but was 16");
    assertThatThrownBy(() -> KeyPolicy.roundToQuantum(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("roundToQuantum must be finite and > 0 but was 0.0");
  }

  @Test
  void invalidateAll_dropsEntries() {
    try (CachedPredictor p = CachedPredictor.of(model, 10)) {
      p.predict(FakeModel.input(1));
      p.invalidateAll();
      p.predict(FakeModel.input(1));
      assertThat(model.calls).hasValue(2);
    }
  }

  @Test
  void inputsThatDoNotMatchTheSignatureNames_goToTheDelegate() {
    try (CachedPredictor p = CachedPredictor.of(model, 10)) {
      assertThatThrownBy(() -> p.predict(NamedTensors.of("z", Tensor.ofFloats(new float[] {1}, 1, 1))))
          .isInstanceOf(java.util.NoSuchElementException.class);
      assertThat(p.stats().bypassed()).isEqualTo(1);
    }
  }
}
