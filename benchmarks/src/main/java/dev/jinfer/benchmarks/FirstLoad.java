package dev.jinfer.benchmarks;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Cold-start figures for one model in a fresh JVM: the first {@code Model.load} (which includes loading the
 * engine's natives and the backend's load-time warmup), the first call after it, and the second call. Run once
 * per engine, each in its own JVM, since natives load once per process:
 *
 * <pre>
 * mvn -B -pl benchmarks -am package -DskipTests
 * for m in onnx/fraud.onnx tensorflow/fraud pytorch/fraud.pt; do
 *   java -cp benchmarks/target/benchmarks.jar dev.jinfer.benchmarks.FirstLoad fixtures/$m
 * done
 * </pre>
 *
 * <p>The model must take one FLOAT32 input {@code [-1, n]}; a zero row is sent.
 */
public final class FirstLoad {
  private FirstLoad() {}

  /**
   * Loads the model and prints the three times.
   *
   * @param args the model path
   */
  public static void main(String[] args) {
    if (args.length != 1) {
      throw new IllegalArgumentException("expected one argument, a model path, but got " + args.length);
    }
    long t0 = System.nanoTime();
    try (Model m = Model.load(Path.of(args[0]), LoadOptions.newBuilder().intraOpThreads(1).interOpThreads(1).build())) {
      long t1 = System.nanoTime();
      String input = m.signature().inputs().get(0).name();
      int width = (int) m.signature().inputs().get(0).shape().dim(1);
      m.predictor().predict(NamedTensors.of(input, Tensor.ofFloats(new float[width], 1, width)));
      long t2 = System.nanoTime();
      m.predictor().predict(NamedTensors.of(input, Tensor.ofFloats(new float[width], 1, width)));
      long t3 = System.nanoTime();
      System.out.printf(Locale.ROOT, "%s: first load %.1f ms, first call %.2f ms, second call %.3f ms%n", m.backend(),
          (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
    }
  }
}
