package dev.jinfer.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.DType;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** End to end on a real engine: the fraud MLP on ONNX Runtime, cached, answers exactly like the model. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OnnxFraudCacheTest {
  private static Path fixture(String name) {
    String dir = System.getProperty("jinfer.fixtures");
    if (dir == null) {
      throw new IllegalStateException("system property jinfer.fixtures is not set; run the tests through Maven");
    }
    return Path.of(dir, "onnx", name);
  }

  @Test
  void cachedPredictions_equalTheDirectOnes_andRepeatsAreHits() {
    Tensor inputs = Npy.read(fixture("fraud_input.npy"));
    int rows = (int) inputs.rows();
    try (Model model = Model.load(fixture("fraud.onnx"));
        CachedPredictor cached = CachedPredictor.of(model.predictor(), 1_000)) {
      Predictor direct = model.predictor();
      for (int round = 0; round < 3; round++) {
        for (int r = 0; r < rows; r++) {
          NamedTensors in = NamedTensors.of("features", inputs.row(r));
          assertThat(cached.predict(in)).isEqualTo(direct.predict(in));
        }
      }
      assertThat(cached.stats().misses()).isEqualTo(rows);
      assertThat(cached.stats().hits()).isEqualTo(2L * rows);
    }
  }

  @Test
  void zeroRowRequest_isServedWithZeroRowOutputs_andCachedLikeAnyOther() {
    // issue 14: before, core refused [0, 32] ("expected at least 1 row"); ONNX Runtime computes it
    NamedTensors empty = NamedTensors.of("features", Tensor.ofFloats(new float[0], 0, 32));
    try (Model model = Model.load(fixture("fraud.onnx"));
        CachedPredictor cached = CachedPredictor.of(model.predictor(), 1_000)) {
      Tensor out = cached.predict(empty).get("probabilities");
      assertThat(out.dtype()).isEqualTo(DType.FLOAT32);
      assertThat(out.shape().toArray()).containsExactly(0, 2);
      assertThat(cached.predict(empty)).isEqualTo(model.predictor().predict(empty));
      assertThat(cached.stats().hits()).isEqualTo(1);
      Tensor row = Npy.read(fixture("fraud_input.npy")).row(0);
      NamedTensors one = NamedTensors.of("features", row);
      assertThat(cached.predict(one)).isEqualTo(model.predictor().predict(one));
    }
  }
}
