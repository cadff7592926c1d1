package dev.jinfer.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Where the benchmark models are, and their synthetic inputs. */
final class BenchmarkModels {
  /** System property naming the fraud model file; benchmarks run from the repository root by default. */
  static final String FRAUD_PROPERTY = "jinfer.bench.fraud";

  static final int FRAUD_FEATURES = 32;

  private BenchmarkModels() {}

  static Path fraud() {
    Path path = Path.of(System.getProperty(FRAUD_PROPERTY, "fixtures/onnx/fraud.onnx"));
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("fraud model not found at " + path.toAbsolutePath()
          + "; run from the repository root or pass -D" + FRAUD_PROPERTY + "=<path to fraud.onnx>");
    }
    return path;
  }

  /**
   * Seeded standard-normal rows.
   *
   * @param rows rows
   * @param cols columns
   * @param seed the seed
   * @return row-major values
   */
  static float[] gaussian(int rows, int cols, long seed) {
    Random random = new Random(seed);
    float[] values = new float[rows * cols];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }
}
