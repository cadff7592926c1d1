package dev.jinfer.onnx;

import dev.jinfer.Backends;
import dev.jinfer.InferenceException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import java.nio.file.Path;

/**
 * Run in a fresh JVM by {@link OnnxNativeLogTest}: loads a model whose run fails inside ONNX Runtime, runs
 * it once and prints the typed error's code on standard output, so that the test can read what the native
 * logger wrote to standard error (a pipe, not a terminal).
 */
public final class NativeLogProbe {
  private NativeLogProbe() {}

  /**
   * Runs the probe.
   *
   * @param args the model path, then optionally a value of {@code onnx.logLevel}
   */
  public static void main(String[] args) {
    LoadOptions.Builder options = LoadOptions.newBuilder().warmupCalls(0);
    if (args.length > 1) {
      options.property(OnnxBackend.LOG_LEVEL, args[1]);
    }
    try (Model model = Backends.of(new OnnxBackend()).load(Path.of(args[0]), options.build())) {
      model.predictor().predict(NamedTensors.of("x", Tensor.ofFloats(new float[] {1, 1, 1}, 1, 3)));
      System.out.println("no error");
    } catch (InferenceException e) {
      System.out.println("typed " + e.code());
    }
  }
}
