package dev.jinfer.benchmarks;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.tensorflow.TensorflowBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
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
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.RewriterConfig;
import org.tensorflow.types.TFloat32;

/**
 * jinfer's overhead over a raw TensorFlow Java call, on the fraud SavedModel
 * ({@code fixtures/tensorflow/fraud}, FLOAT32 [batch, 32] to [batch, 2]).
 *
 * <ul>
 *   <li>{@code raw}: the baseline, TensorFlow Java used directly: copy a prebuilt {@code float[]} into a new
 *       {@link TFloat32}, {@code session.runner().feed(features).fetch(probabilities).run()} with the
 *       {@link Output}s resolved once, copy the output into a {@code float[]}, close the tensor and the
 *       result.</li>
 *   <li>{@code jinfer}: {@code predictor.predict(inputs)} on a prebuilt direct {@link Tensor}: request
 *       validation, in-flight gate, the same copy in / run / copy out / close.</li>
 * </ul>
 * Both run one session each with the same settings (one intra-op and one inter-op thread, per-session
 * inter-op pool, grappler's remapper off, as jinfer's default configures it), in the same JVM, so the
 * difference is jinfer's cost. The trial setup prints the first load (natives included) and first-call
 * times. Build, then run from the repository root:
 *
 * <pre>
 * mvn -B -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar TensorflowOverhead -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc
 * </pre>
 *
 * {@code -Djinfer.bench.tensorflowFraud=<dir>} (before {@code -jar}) points at another copy of the SavedModel.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TensorflowOverheadBenchmark {
  /** Rows per call. */
  @Param({"1", "32"})
  public int batch;

  private SavedModelBundle bundle;
  private Session session;
  private Output<?> features;
  private Output<?> probabilities;
  private float[] values;
  private Shape shape;

  private Model model;
  private Predictor predictor;
  private NamedTensors inputs;

  static Path fraudSavedModel() {
    Path dir = Path.of(System.getProperty("jinfer.bench.tensorflowFraud", "fixtures/tensorflow/fraud"));
    if (!Files.isRegularFile(dir.resolve("saved_model.pb"))) {
      throw new IllegalStateException("no SavedModel at " + dir.toAbsolutePath()
          + "; run from the repository root or pass -Djinfer.bench.tensorflowFraud=<SavedModel dir>");
    }
    return dir;
  }

  /** Loads the SavedModel twice (jinfer model first, then the raw bundle) with the same settings. */
  @Setup(Level.Trial)
  public void setUp() {
    values = BenchmarkModels.gaussian(batch, BenchmarkModels.FRAUD_FEATURES, 7);
    shape = Shape.of(batch, BenchmarkModels.FRAUD_FEATURES);
    Path dir = fraudSavedModel();

    long t0 = System.nanoTime();
    model = Model.load(dir, LoadOptions.newBuilder().backend(TensorflowBackend.NAME).intraOpThreads(1).interOpThreads(1).build());
    long t1 = System.nanoTime();
    predictor = model.predictor();
    inputs = NamedTensors.of("features", Tensor.ofFloats(values, batch, BenchmarkModels.FRAUD_FEATURES));
    predictor.predict(inputs);
    long t2 = System.nanoTime();

    ConfigProto config = ConfigProto.newBuilder().setIntraOpParallelismThreads(1).setInterOpParallelismThreads(1)
        .setUsePerSessionThreads(true)
        .setGraphOptions(GraphOptions.newBuilder().setRewriteOptions(RewriterConfig.newBuilder().setRemapping(RewriterConfig.Toggle.OFF)))
        .build();
    bundle = SavedModelBundle.loader(dir.toString()).withTags("serve").withConfigProto(config).load();
    long t3 = System.nanoTime();
    session = bundle.session();
    features = bundle.graph().operation("features").output(0);
    probabilities = bundle.graph().operation("probabilities").output(0);
    raw();
    long t4 = System.nanoTime();
    System.out.printf(Locale.ROOT, "%n[tensorflow] jinfer first load (natives + SavedModel) %.1f ms, first call %.1f ms; "
        + "raw SavedModelBundle load %.1f ms, first call %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6,
        (t4 - t3) / 1e6);
  }

  /** Closes both. */
  @TearDown(Level.Trial)
  public void tearDown() {
    model.close();
    bundle.close();
  }

  /**
   * The baseline: TensorFlow Java's runner on a tensor copied from a prebuilt array.
   *
   * @return the probabilities
   */
  @Benchmark
  public float[] raw() {
    try (TFloat32 in = TFloat32.tensorOf(shape, DataBuffers.of(values, true, false));
        Result result = session.runner().feed(features, in).fetch(probabilities).run()) {
      TFloat32 out = (TFloat32) result.get(0);
      float[] probs = new float[batch * 2];
      out.copyTo(DataBuffers.of(probs, false, false));
      return probs;
    }
  }

  /**
   * jinfer on a prebuilt direct tensor.
   *
   * @return the outputs
   */
  @Benchmark
  public NamedTensors jinfer() {
    return predictor.predict(inputs);
  }
}
