package dev.jinfer.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession;
import dev.jinfer.Deadline;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.onnx.OnnxBackend;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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

/**
 * jinfer's overhead over a raw ONNX Runtime call, on the fraud MLP ({@code fixtures/onnx/fraud.onnx},
 * FLOAT32 [batch, 32] to [batch, 2]).
 *
 * <ul>
 *   <li>{@code raw}: the baseline, ONNX Runtime's Java API used directly: wrap a prebuilt direct
 *       {@link FloatBuffer} in an {@link OnnxTensor}, {@code run}, copy the output out
 *       ({@code getFloatBuffer()}), close the tensor and the result.</li>
 *   <li>{@code jinfer}: {@code predictor.predict(inputs)} on a prebuilt direct {@link Tensor}: request
 *       validation, in-flight gate, session pick, the same wrap / run / copy out / close.</li>
 *   <li>{@code rawFromArrays} and {@code jinferFromArrays}: the same, but building the input from a
 *       {@code float[][]} inside each call ({@code OnnxTensor.createTensor(env, float[][])} versus
 *       {@code Tensor.ofFloats(float[][])}), as a caller holding Java arrays would.</li>
 *   <li>{@code rawWithRunOptions} and {@code jinferWithDeadline}: a call that can be stopped. The baseline runs with
 *       one reused {@link OrtSession.RunOptions} and nothing to set its terminate flag (the least a raw caller
 *       pays for the option to stop a run); jinfer runs with a 10 s {@link Deadline}, its run options borrowed from
 *       the session and armed with the deadline watchdog.</li>
 * </ul>
 * Both paths use one session with the same settings (one intra-op thread, which is what each session of
 * jinfer's default pool gets on a 2-CPU machine, and keeps ONNX Runtime's thread-pool hand-offs out of
 * the comparison; one inter-op thread, all graph optimizations, no spinning, arena and memory patterns
 * on), in the same JVM, so the difference is jinfer's cost. Build, then run from the repository root:
 *
 * <pre>
 * mvn -B -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar OnnxOverhead -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc
 * </pre>
 *
 * {@code -Djinfer.bench.fraud=<path>} (before {@code -jar}) points at another copy of the model.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class OnnxOverheadBenchmark {
  /** Rows per call. */
  @Param({"1", "32"})
  public int batch;

  private OrtEnvironment env;
  private OrtSession session;
  private FloatBuffer rawInput;
  private long[] shape;
  private float[][] rows;
  private OrtSession.RunOptions runOptions;

  private Model model;
  private Predictor predictor;
  private NamedTensors inputs;

  /**
   * Loads the model twice (raw session and jinfer model) with the same settings and builds the inputs.
   *
   * @throws OrtException if ONNX Runtime fails
   */
  @Setup(Level.Trial)
  public void setUp() throws OrtException {
    int threads = 1;
    float[] values = BenchmarkModels.gaussian(batch, BenchmarkModels.FRAUD_FEATURES, 7);
    shape = new long[] {batch, BenchmarkModels.FRAUD_FEATURES};
    rows = new float[batch][BenchmarkModels.FRAUD_FEATURES];
    for (int r = 0; r < batch; r++) {
      System.arraycopy(values, r * BenchmarkModels.FRAUD_FEATURES, rows[r], 0, BenchmarkModels.FRAUD_FEATURES);
    }

    env = OrtEnvironment.getEnvironment();
    try (SessionOptions so = new SessionOptions()) {
      so.setIntraOpNumThreads(threads);
      so.setInterOpNumThreads(1);
      so.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
      so.addConfigEntry("session.intra_op.allow_spinning", "0");
      so.addConfigEntry("session.inter_op.allow_spinning", "0");
      session = env.createSession(BenchmarkModels.fraud().toString(), so);
    }
    rawInput = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    rawInput.put(values).flip();
    runOptions = new OrtSession.RunOptions();

    model = Model.load(BenchmarkModels.fraud(), LoadOptions.newBuilder().backend(OnnxBackend.NAME)
        .intraOpThreads(threads).interOpThreads(1).property(OnnxBackend.SESSIONS, "1").build());
    predictor = model.predictor();
    inputs = NamedTensors.of("features", Tensor.ofFloats(values, batch, BenchmarkModels.FRAUD_FEATURES));
  }

  /**
   * Closes both.
   *
   * @throws OrtException if ONNX Runtime fails
   */
  @TearDown(Level.Trial)
  public void tearDown() throws OrtException {
    model.close();
    runOptions.close();
    session.close();
  }

  /**
   * The baseline: ONNX Runtime's Java API on a prebuilt direct buffer.
   *
   * @return the probabilities
   * @throws OrtException if ONNX Runtime fails
   */
  @Benchmark
  public float[] raw() throws OrtException {
    try (OnnxTensor in = OnnxTensor.createTensor(env, rawInput, shape);
        OrtSession.Result result = session.run(Map.of("features", in))) {
      return ((OnnxTensor) result.get(0)).getFloatBuffer().array();
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

  /**
   * The baseline, converting a {@code float[][]} in each call.
   *
   * @return the probabilities
   * @throws OrtException if ONNX Runtime fails
   */
  @Benchmark
  public float[] rawFromArrays() throws OrtException {
    try (OnnxTensor in = OnnxTensor.createTensor(env, rows);
        OrtSession.Result result = session.run(Map.of("features", in))) {
      return ((OnnxTensor) result.get(0)).getFloatBuffer().array();
    }
  }

  /**
   * jinfer, converting a {@code float[][]} in each call.
   *
   * @return the outputs
   */
  @Benchmark
  public NamedTensors jinferFromArrays() {
    return predictor.predict(NamedTensors.of("features", Tensor.ofFloats(rows)));
  }

  /**
   * The baseline of a stoppable call: the raw run with reused run options.
   *
   * @return the probabilities
   * @throws OrtException if ONNX Runtime fails
   */
  @Benchmark
  public float[] rawWithRunOptions() throws OrtException {
    try (OnnxTensor in = OnnxTensor.createTensor(env, rawInput, shape);
        OrtSession.Result result = session.run(Map.of("features", in), runOptions)) {
      return ((OnnxTensor) result.get(0)).getFloatBuffer().array();
    }
  }

  /**
   * jinfer with a deadline on a prebuilt direct tensor.
   *
   * @return the outputs
   */
  @Benchmark
  public NamedTensors jinferWithDeadline() {
    return predictor.predict(inputs, List.of(), Deadline.after(Duration.ofSeconds(10)));
  }
}
