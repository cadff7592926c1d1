package dev.jinfer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fraud model in its three committed formats (ONNX, TensorFlow SavedModel, TorchScript, all made from
 * {@code fraud_weights.npz}) gives the same outputs on every engine, loaded through the same
 * {@code Model.load(path)}: on the reference input and on 512 further seeded rows, every pair of engines
 * differs by at most 1e-5 per element. The cli module is where all three backends meet on one classpath.
 */
class EngineEquivalenceTest {
  private static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"));
  private static final double TOLERANCE = 1e-5;
  private static final Map<String, Model> MODELS = new LinkedHashMap<>();

  @BeforeAll
  static void load() {
    MODELS.put("onnx", Model.load(FIXTURES.resolve("onnx/fraud.onnx")));
    MODELS.put("tensorflow", Model.load(FIXTURES.resolve("tensorflow/fraud")));
    MODELS.put("pytorch", Model.load(FIXTURES.resolve("pytorch/fraud.pt")));
  }

  @AfterAll
  static void close() {
    MODELS.values().forEach(Model::close);
  }

  @Test
  void eachFormat_isServedByItsOwnEngine() {
    MODELS.forEach((engine, model) -> assertThat(model.backend()).isEqualTo(engine));
  }

  @Test
  void referenceInput_allEnginesAgreeWithEachOtherAndWithTheReference() {
    Tensor input = Npy.read(FIXTURES.resolve("onnx/fraud_input.npy"));
    float[] reference = Npy.read(FIXTURES.resolve("onnx/fraud_output.npy")).toFloatArray();

    Map<String, float[]> outputs = score(input);
    outputs.forEach((engine, out) -> assertThat(maxAbsDiff(out, reference)).as("%s vs fraud_output.npy", engine)
        .isLessThanOrEqualTo(TOLERANCE));
    assertPairwiseEqual(outputs);
  }

  @Test
  void seededRows_allEnginesAgree() {
    Random random = new Random(7);
    float[] values = new float[512 * 32];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextGaussian() * 2); // wider than the reference rows, to reach both classes
    }
    Map<String, float[]> outputs = score(Tensor.ofFloats(values, 512, 32));

    float[] any = outputs.get("onnx");
    assertThat(any).hasSize(1024);
    assertPairwiseEqual(outputs);
  }

  private static Map<String, float[]> score(Tensor input) {
    Map<String, float[]> outputs = new LinkedHashMap<>();
    MODELS.forEach((engine, model) -> outputs.put(engine,
        model.predictor().predict(NamedTensors.of("features", input)).get("probabilities").toFloatArray()));
    return outputs;
  }

  private static void assertPairwiseEqual(Map<String, float[]> outputs) {
    String[] engines = outputs.keySet().toArray(String[]::new);
    for (int a = 0; a < engines.length; a++) {
      for (int b = a + 1; b < engines.length; b++) {
        float[] x = outputs.get(engines[a]);
        float[] y = outputs.get(engines[b]);
        assertThat(y).as("%s output size", engines[b]).hasSameSizeAs(x);
        assertThat(maxAbsDiff(x, y)).as("max |%s - %s|", engines[a], engines[b]).isLessThanOrEqualTo(TOLERANCE);
      }
    }
  }

  private static double maxAbsDiff(float[] x, float[] y) {
    double max = 0;
    for (int i = 0; i < x.length; i++) {
      max = Math.max(max, Math.abs((double) x[i] - y[i]));
    }
    return max;
  }
}
