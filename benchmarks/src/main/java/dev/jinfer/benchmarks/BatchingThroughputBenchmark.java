package dev.jinfer.benchmarks;

import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.batching.BatchingPredictor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of one-row requests through the direct predictor (the baseline) and through
 * {@link BatchingPredictor}, fixed and adaptive, with JMH's thread count as the number of concurrent callers,
 * in the same JVM on one loaded model. The JMH twin of {@link BatchingLoadBenchmark}, which also reports the
 * tail latency and the engine's ceiling; this one gives JMH's error bars and {@code -prof gc}'s allocation per
 * request.
 *
 * <ul>
 *   <li>{@code direct}: {@code model.predictor().predict(row)} (the ONNX backend's session pool).</li>
 *   <li>{@code fixed}: a batcher with {@code maxBatchSize = 32}, {@code maxQueueDelay = 2 ms}, two workers.</li>
 *   <li>{@code adaptive}: a batcher with {@code latencyTarget = 5 ms}, up to 128 rows, two workers.</li>
 * </ul>
 * {@code model} is {@code fraud} ({@code fixtures/onnx/fraud.onnx}, 32-256-256-2) or {@code wide}
 * (256-1024-1024-128, written by {@link MlpOnnxWriter} at setup). Build, then run from the repository root, once
 * per caller count:
 *
 * <pre>
 * mvn -B -pl benchmarks -am package -DskipTests
 * for t in 1 16 64; do
 *   java -jar benchmarks/target/benchmarks.jar BatchingThroughput -t $t -f 1 -wi 3 -i 5 -w 2s -r 2s -prof gc
 * done
 * </pre>
 *
 * <p>Scores are one-row requests per millisecond summed over the threads. With fewer callers than the fixed
 * batcher's 32 rows, a fixed batcher waits out its 2 ms window at every batch (closed-loop callers never
 * fill it): that is what its low scores at 1 and 16 threads show, and why adaptive mode dispatches greedily.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BatchingThroughputBenchmark {
  private static final int ROWS = 64;

  /** The loaded model and its three predictors, shared by the caller threads. */
  @State(Scope.Benchmark)
  public static class Served {
    /** {@code fraud} (32-256-256-2) or {@code wide} (256-1024-1024-128). */
    @Param({"fraud", "wide"})
    public String model;

    Model loaded;
    Predictor direct;
    Predictor fixed;
    Predictor adaptive;
    String input;
    int width;
    Path temporary;
    final AtomicInteger callers = new AtomicInteger();

    /** Loads the model and builds the batchers. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
      Path path;
      if (model.equals("wide")) {
        temporary = MlpOnnxWriter.write(Files.createTempFile("wide_mlp", ".onnx"), 42, 256, 1024, 1024, 128);
        path = temporary;
      } else {
        path = BenchmarkModels.fraud();
      }
      loaded = Model.load(path);
      direct = loaded.predictor();
      input = loaded.signature().inputs().get(0).name();
      width = (int) loaded.signature().inputs().get(0).shape().dim(1);
      fixed = BatchingPredictor.newBuilder(loaded.predictor()).maxBatchSize(32).maxQueueDelay(Duration.ofMillis(2))
          .maxQueueSize(10_000).workers(2).build();
      adaptive = BatchingPredictor.newBuilder(loaded.predictor()).maxBatchSize(128).maxQueueSize(10_000).workers(2)
          .latencyTarget(Duration.ofMillis(5)).build();
    }

    /** Stops the batchers (draining), then closes the model and deletes a written model file. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      fixed.close();
      adaptive.close();
      loaded.close();
      if (temporary != null) {
        Files.deleteIfExists(temporary);
      }
    }
  }

  /** One caller's seeded rows, cycled through. */
  @State(Scope.Thread)
  public static class Caller {
    NamedTensors[] rows;
    int next;

    /** Builds this caller's rows (a different seed per thread). */
    @Setup(Level.Trial)
    public void setUp(Served served) {
      int seed = served.callers.incrementAndGet();
      float[] values = BenchmarkModels.gaussian(ROWS, served.width, 1_000 + seed);
      rows = new NamedTensors[ROWS];
      for (int r = 0; r < ROWS; r++) {
        rows[r] = NamedTensors.of(served.input,
            Tensor.ofFloats(Arrays.copyOfRange(values, r * served.width, (r + 1) * served.width), 1, served.width));
      }
    }

    NamedTensors row() {
      return rows[next++ & (ROWS - 1)];
    }
  }

  /**
   * The baseline: the model's own predictor.
   *
   * @param served the model
   * @param caller this thread's rows
   * @return the outputs
   */
  @Benchmark
  public NamedTensors direct(Served served, Caller caller) {
    return served.direct.predict(caller.row());
  }

  /**
   * Through the fixed batcher (32 rows, 2 ms).
   *
   * @param served the model
   * @param caller this thread's rows
   * @return the outputs
   */
  @Benchmark
  public NamedTensors fixed(Served served, Caller caller) {
    return served.fixed.predict(caller.row());
  }

  /**
   * Through the adaptive batcher (5 ms target).
   *
   * @param served the model
   * @param caller this thread's rows
   * @return the outputs
   */
  @Benchmark
  public NamedTensors adaptive(Served served, Caller caller) {
    return served.adaptive.predict(caller.row());
  }
}
