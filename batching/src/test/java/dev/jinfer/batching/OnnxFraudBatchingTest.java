package dev.jinfer.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** End to end on a real engine: the fraud MLP on ONNX Runtime, batched, gives each caller its own row. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OnnxFraudBatchingTest {
  private static Path fixture(String name) {
    String dir = System.getProperty("jinfer.fixtures");
    if (dir == null) {
      throw new IllegalStateException("system property jinfer.fixtures is not set; run the tests through Maven");
    }
    return Path.of(dir, "onnx", name);
  }

  @Test
  void batchedPredictions_matchTheDirectOnes_rowByRow() throws Exception {
    Tensor inputs = Npy.read(fixture("fraud_input.npy"));
    Tensor expected = Npy.read(fixture("fraud_output.npy"));
    int rows = (int) inputs.rows();
    try (Model model = Model.load(fixture("fraud.onnx"));
        BatchingPredictor batching = BatchingPredictor.newBuilder(model.predictor()).maxBatchSize(32)
            .maxQueueDelay(Duration.ofMillis(1)).workers(2).build()) {
      Predictor direct = model.predictor();
      List<float[]> directRows = new ArrayList<>();
      for (int r = 0; r < rows; r++) {
        directRows.add(direct.predict(NamedTensors.of("features", inputs.row(r))).get("probabilities").toFloatArray());
      }
      float[] reference = expected.toFloatArray();
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < 2; c++) {
          assertThat(directRows.get(r)[c]).isCloseTo(reference[r * 2 + c], within(1e-5f));
        }
      }

      List<List<CompletableFuture<NamedTensors>>> rounds = new ArrayList<>();
      for (int round = 0; round < 50; round++) {
        List<CompletableFuture<NamedTensors>> fs = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
          fs.add(batching.predictAsync(NamedTensors.of("features", inputs.row(r))));
        }
        rounds.add(fs);
      }
      for (List<CompletableFuture<NamedTensors>> fs : rounds) {
        for (int r = 0; r < rows; r++) {
          float[] got = fs.get(r).get(30, TimeUnit.SECONDS).get("probabilities").toFloatArray();
          assertThat(got).hasSize(2);
          for (int c = 0; c < 2; c++) {
            assertThat(got[c]).as("row %d col %d", r, c).isCloseTo(directRows.get(r)[c], within(1e-5f));
          }
        }
      }
      BatchingStats stats = batching.stats();
      assertThat(stats.engineCalls()).isLessThan(50L * rows);
      assertThat(stats.accepted()).isEqualTo(50L * rows);
    }
  }
}
