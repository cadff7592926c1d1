package dev.jinfer.benchmarks;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import dev.jinfer.DType;
import dev.jinfer.Deadline;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.pytorch.PytorchBackend;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

/**
 * jinfer's overhead over a raw DJL PyTorch call, on the fraud MLP as TorchScript
 * ({@code fixtures/pytorch/fraud.pt}, FLOAT32 [batch, 32] to [batch, 2]).
 *
 * <ul>
 *   <li>{@code raw}: the baseline, DJL's PyTorch engine used directly the cheapest thread-safe way we
 *       know: a per-call sub-{@link NDManager} of a base manager, {@code create} over a prebuilt direct
 *       {@link ByteBuffer} (no copy), {@code IValueUtils.forward} on the shared module, copy the output
 *       out with {@code toFloatArray()}, close the manager with every native tensor of the call. (A DJL
 *       {@code Predictor} adds a translator and a manager per call on top, and is not thread-safe.)</li>
 *   <li>{@code jinfer}: {@code predictor.predict(inputs)} on a prebuilt direct {@link Tensor}: request
 *       validation, in-flight gate, then the same manager / wrap / forward / copy out / close.</li>
 *   <li>{@code rawHeapInput} and {@code jinferHeapInput}: the same over a heap {@link ByteBuffer} (what a caller's
 *       own bytes, another model's output or the REST service's parsed request are), which has to reach libtorch
 *       in native memory: DJL's {@code create} copies it into a new direct buffer per call.</li>
 *   <li>{@code jinferWithDeadline}: {@code jinfer} with a 10 s {@link Deadline}. libtorch cannot stop a call, so
 *       core runs it on a deadline thread and waits for it until the deadline: the price of being released at
 *       the deadline.</li>
 * </ul>
 * Both run on one libtorch with one intra-op thread (the setting is process-wide) and the graph
 * optimizer off (jinfer's default), in the same JVM, so the difference is jinfer's cost. Build, then run
 * from the repository root:
 *
 * <pre>
 * mvn -B -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar PytorchOverhead -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc
 * </pre>
 *
 * First-load and first-call times (a fresh JVM, not JMH): {@code java -cp benchmarks/target/benchmarks.jar
 * dev.jinfer.benchmarks.PytorchOverheadBenchmark}. {@code -Djinfer.bench.fraudPt=<path>} points at another
 * copy of the model (its {@code .signature.json} beside it).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PytorchOverheadBenchmark {
  /** System property naming the TorchScript fraud model. */
  static final String FRAUD_PT_PROPERTY = "jinfer.bench.fraudPt";

  /** Rows per call. */
  @Param({"1", "32"})
  public int batch;

  private NDManager rawManager;
  private PtSymbolBlock rawModule;
  private ByteBuffer rawInput;
  private Shape rawShape;

  private Model model;
  private Predictor predictor;
  private NamedTensors inputs;
  private ByteBuffer rawHeapInput;
  private NamedTensors heapInputs;

  static Path fraudPt() {
    Path path = Path.of(System.getProperty(FRAUD_PT_PROPERTY, "fixtures/pytorch/fraud.pt"));
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("TorchScript fraud model not found at " + path.toAbsolutePath()
          + "; run from the repository root or pass -D" + FRAUD_PT_PROPERTY + "=<path to fraud.pt>");
    }
    return path;
  }

  static LoadOptions options() {
    return LoadOptions.newBuilder().backend(PytorchBackend.NAME).intraOpThreads(1).interOpThreads(1)
        .property(PytorchBackend.GRAPH_OPTIMIZER, "false").build();
  }

  /** Loads the model twice (raw module and jinfer model) and builds the inputs. */
  @Setup(Level.Trial)
  public void setUp() {
    float[] values = BenchmarkModels.gaussian(batch, BenchmarkModels.FRAUD_FEATURES, 7);
    // jinfer first: it starts libtorch offline and sets the (process-wide) thread count
    model = Model.load(fraudPt(), options());
    predictor = model.predictor();
    inputs = NamedTensors.of("features", Tensor.ofFloats(values, batch, BenchmarkModels.FRAUD_FEATURES));

    rawManager = Engine.getEngine("PyTorch").newBaseManager(ai.djl.Device.cpu());
    rawModule = JniUtils.loadModule((PtNDManager) rawManager, fraudPt(), true, new String[0], new String[0], false);
    JniUtils.enableInferenceMode(rawModule);
    rawInput = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder());
    rawInput.asFloatBuffer().put(values);
    rawShape = new Shape(batch, BenchmarkModels.FRAUD_FEATURES);
    rawHeapInput = ByteBuffer.allocate(values.length * 4).order(ByteOrder.nativeOrder());
    rawHeapInput.asFloatBuffer().put(values);
    ByteBuffer heap = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    heap.asFloatBuffer().put(values);
    heapInputs = NamedTensors.of("features",
        Tensor.fromBuffer(DType.FLOAT32, heap, batch, BenchmarkModels.FRAUD_FEATURES));
    for (int i = 0; i < 2; i++) { // the same warmup jinfer gives its model
      raw();
    }
  }

  /** Closes both. */
  @TearDown(Level.Trial)
  public void tearDown() {
    model.close();
    rawManager.close();
  }

  /**
   * The baseline: DJL's PyTorch engine on a prebuilt direct buffer.
   *
   * @return the probabilities
   */
  @Benchmark
  public float[] raw() {
    return rawOn(rawInput);
  }

  /** One raw DJL call: a per-call manager, {@code create} over the buffer, forward, copy out, close. */
  private float[] rawOn(ByteBuffer input) {
    JniUtils.setGraphExecutorOptimize(false);
    try (NDManager scope = rawManager.newSubManager()) {
      NDArray in = scope.create(input, rawShape, DataType.FLOAT32);
      NDList out = IValueUtils.forward(rawModule, new NDList(in), false);
      return out.singletonOrThrow().toFloatArray();
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
   * The baseline over a heap buffer: DJL copies it into a new direct buffer.
   *
   * @return the probabilities
   */
  @Benchmark
  public float[] rawHeapInput() {
    return rawOn(rawHeapInput.duplicate().order(ByteOrder.nativeOrder()));
  }

  /**
   * jinfer on a heap-backed tensor.
   *
   * @return the outputs
   */
  @Benchmark
  public NamedTensors jinferHeapInput() {
    return predictor.predict(heapInputs);
  }

  /**
   * jinfer with a deadline, on a prebuilt direct tensor.
   *
   * @return the outputs
   */
  @Benchmark
  public NamedTensors jinferWithDeadline() {
    return predictor.predict(inputs, List.of(), Deadline.after(Duration.ofSeconds(10)));
  }

  /**
   * Prints the time to the first loaded model and to its first calls in this (fresh) JVM: libtorch start
   * (extraction of the natives to DJL's cache the first time on a machine), module load, warmup, calls;
   * then the same for a second model in the same JVM.
   *
   * <p>With {@code --interleaved}, instead compares {@link #raw} and {@link #jinfer} in alternating blocks
   * of 2,000 calls (30 blocks each, batch 1 then 32), so that a noisy machine slows both alike, and prints
   * the medians and the median per-block ratio.
   *
   * @param args the {@code pytorch.warmupBatchSizes} of each load in turn (default {@code none 1,32}), or
   *     {@code --interleaved}
   */
  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("--interleaved")) {
      interleaved();
      return;
    }
    String[] warmups = args.length > 0 ? args : new String[] {"none", "1,32"};
    float[] values = BenchmarkModels.gaussian(32, BenchmarkModels.FRAUD_FEATURES, 7);
    NamedTensors one = NamedTensors.of("features", Tensor.ofFloats(java.util.Arrays.copyOf(values, 32), 1, 32));
    NamedTensors many = NamedTensors.of("features", Tensor.ofFloats(values, 32, 32));
    for (String warmup : warmups) {
      long t0 = System.nanoTime();
      try (Model m = Model.load(fraudPt(), options().toBuilder().property(PytorchBackend.WARMUP_BATCH_SIZES, warmup)
          .property(PytorchBackend.VERIFY_SIGNATURE, "false").build())) {
        long loaded = System.nanoTime();
        StringBuilder calls = new StringBuilder();
        for (NamedTensors in : new NamedTensors[] {one, one, one, many, many, many}) {
          long c = System.nanoTime();
          m.predictor().predict(in);
          calls.append(String.format(Locale.ROOT, " %.2f", (System.nanoTime() - c) / 1e6));
        }
        System.out.printf(Locale.ROOT, "warmupBatchSizes=%s: load %.1f ms; calls (batch 1 x3, batch 32 x3) ms:%s%n",
            warmup, (loaded - t0) / 1e6, calls);
      }
    }
  }

  private static void interleaved() {
    int calls = 2_000;
    int blocks = 30;
    for (int batch : new int[] {1, 32}) {
      PytorchOverheadBenchmark b = new PytorchOverheadBenchmark();
      b.batch = batch;
      b.setUp();
      try {
        for (int i = 0; i < 5_000; i++) {
          b.raw();
          b.jinfer();
        }
        double[] raw = new double[blocks];
        double[] jinfer = new double[blocks];
        double[] ratio = new double[blocks];
        for (int k = 0; k < blocks; k++) {
          long t = System.nanoTime();
          for (int i = 0; i < calls; i++) {
            b.raw();
          }
          raw[k] = (System.nanoTime() - t) / 1e3 / calls;
          t = System.nanoTime();
          for (int i = 0; i < calls; i++) {
            b.jinfer();
          }
          jinfer[k] = (System.nanoTime() - t) / 1e3 / calls;
          ratio[k] = jinfer[k] / raw[k];
        }
        java.util.Arrays.sort(raw);
        java.util.Arrays.sort(jinfer);
        java.util.Arrays.sort(ratio);
        System.out.printf(Locale.ROOT, "batch %d: raw median %.1f us (p25 %.1f, p75 %.1f); jinfer median %.1f us (p25 %.1f,"
            + " p75 %.1f); jinfer/raw per block: median %.2f (p25 %.2f, p75 %.2f)%n", batch, raw[blocks / 2], raw[blocks / 4],
            raw[3 * blocks / 4], jinfer[blocks / 2], jinfer[blocks / 4], jinfer[3 * blocks / 4], ratio[blocks / 2],
            ratio[blocks / 4], ratio[3 * blocks / 4]);
      } finally {
        b.tearDown();
      }
    }
  }
}
