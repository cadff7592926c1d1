package dev.jinfer.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import dev.jinfer.DType;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.onnx.OnnxBackend;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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
 * What the input's memory costs a caller that builds each batch from a {@code float[]} (a Spark task, a
 * batcher, a request handler), on the fraud MLP ({@code [batch, 32]} floats, one session, one intra-op thread).
 *
 * <ul>
 *   <li>{@code rawReused}: the floor, ONNX Runtime's Java API over one direct buffer refilled per call.</li>
 *   <li>{@code rawAllocating}: ONNX Runtime's Java API over a heap {@link FloatBuffer}, which it copies into a
 *       new direct buffer per call.</li>
 *   <li>{@code jinferDirectPerCall}: {@code Tensor.ofFloats(float[], ..)} per call, which allocates a new direct
 *       buffer (freed at a GC) that the backend wraps in place: what callers got before the backend reused
 *       buffers, and still get from {@code ofFloats}.</li>
 *   <li>{@code jinferHeapPerCall}: a heap-backed tensor per call ({@code Tensor.fromBuffer} over a new heap
 *       {@code ByteBuffer}), which the ONNX backend copies into a reused direct buffer of its own.</li>
 *   <li>{@code jinferReusedDirect}: {@code Tensor.fromBuffer} over the caller's own direct buffer, refilled per
 *       call (what {@code DatasetScorer} does per task: the engine reads it in place, nothing is allocated).</li>
 * </ul>
 * {@code jinferDirectPerCall} / {@code jinferHeapPerCall} is the gain from the reused buffer for such a caller,
 * in one run. Build, then run from the repository root:
 *
 * <pre>
 * mvn -B -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar OnnxInputBuffer -f 1 -wi 3 -i 5 -w 2s -r 2s -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OnnxInputBufferBenchmark {
  /** Rows per call. */
  @Param({"32", "256"})
  public int batch;

  private OrtEnvironment env;
  private OrtSession session;
  private FloatBuffer reused;
  private ByteBuffer reusedBytes;
  private FloatBuffer reusedFloats;
  private long[] shape;
  private float[] values;
  private Model model;
  private Predictor predictor;

  /**
   * Loads the model twice (raw session and jinfer model) with the same settings.
   *
   * @throws OrtException if ONNX Runtime fails
   */
  @Setup(Level.Trial)
  public void setUp() throws OrtException {
    values = BenchmarkModels.gaussian(batch, BenchmarkModels.FRAUD_FEATURES, 7);
    shape = new long[] {batch, BenchmarkModels.FRAUD_FEATURES};
    env = OrtEnvironment.getEnvironment();
    try (SessionOptions so = new SessionOptions()) {
      so.setIntraOpNumThreads(1);
      so.setInterOpNumThreads(1);
      so.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
      so.addConfigEntry("session.intra_op.allow_spinning", "0");
      so.addConfigEntry("session.inter_op.allow_spinning", "0");
      session = env.createSession(BenchmarkModels.fraud().toString(), so);
    }
    reused = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    reusedBytes = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    reusedFloats = reusedBytes.asFloatBuffer();
    model = Model.load(BenchmarkModels.fraud(), LoadOptions.newBuilder().backend(OnnxBackend.NAME)
        .intraOpThreads(1).interOpThreads(1).property(OnnxBackend.SESSIONS, "1").build());
    predictor = model.predictor();
  }

  /**
   * Closes both.
   *
   * @throws OrtException if ONNX Runtime fails
   */
  @TearDown(Level.Trial)
  public void tearDown() throws OrtException {
    model.close();
    session.close();
  }

  /**
   * The floor: one direct buffer refilled per call.
   *
   * @return the probabilities
   * @throws OrtException if ONNX Runtime fails
   */
  @Benchmark
  public float[] rawReused() throws OrtException {
    reused.clear();
    reused.put(values).flip();
    try (OnnxTensor in = OnnxTensor.createTensor(env, reused, shape);
        OrtSession.Result result = session.run(Map.of("features", in))) {
      return ((OnnxTensor) result.get(0)).getFloatBuffer().array();
    }
  }

  /**
   * ONNX Runtime copying a heap buffer into a new direct one per call.
   *
   * @return the probabilities
   * @throws OrtException if ONNX Runtime fails
   */
  @Benchmark
  public float[] rawAllocating() throws OrtException {
    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape);
        OrtSession.Result result = session.run(Map.of("features", in))) {
      return ((OnnxTensor) result.get(0)).getFloatBuffer().array();
    }
  }

  /**
   * jinfer on a new direct tensor per call ({@code Tensor.ofFloats}).
   *
   * @return the outputs
   */
  @Benchmark
  public NamedTensors jinferDirectPerCall() {
    return predictor.predict(NamedTensors.of("features", Tensor.ofFloats(values, shape)));
  }

  /**
   * jinfer on a new heap-backed tensor per call, staged by the backend into a reused direct buffer.
   *
   * @return the outputs
   */
  @Benchmark
  public NamedTensors jinferHeapPerCall() {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return predictor.predict(NamedTensors.of("features", Tensor.fromBuffer(DType.FLOAT32, bytes, shape)));
  }

  /**
   * jinfer on a tensor over the caller's own direct buffer, refilled per call.
   *
   * @return the outputs
   */
  @Benchmark
  public NamedTensors jinferReusedDirect() {
    reusedFloats.clear();
    reusedFloats.put(values);
    return predictor.predict(NamedTensors.of("features", Tensor.fromBuffer(DType.FLOAT32, reusedBytes.clear(), shape)));
  }
}
