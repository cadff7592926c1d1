package dev.jinfer.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jinfer.BackendUnavailableException;
import dev.jinfer.Backends;
import dev.jinfer.DType;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.ErrorCode;
import dev.jinfer.InvalidInputException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelLoadException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every backend must have, as JUnit 5 tests. A backend module extends this class in a
 * few lines: name the backend and say where its copy of each fixture model is.
 *
 * <pre>{@code
 * class OnnxCompatibilityTest extends BackendCompatibilityKit {
 *   protected String backendName() { return "onnx"; }
 *   protected Path fixture(String name) { return fixturesDir().resolve("onnx").resolve(name + ".onnx"); }
 *   protected SlowCall slowCall(Path dir) { return TinyOnnx.slowCall(dir); } // a call long enough for a deadline
 * }
 * }</pre>
 *
 * <p>The fixtures (made by {@code fixtures/generate.py}, packed in this jar: {@link #fixturesDir()}) and the
 * contract they follow:
 * <ul>
 *   <li>{@code fraud}: input {@code features} FLOAT32 [-1, 32], output {@code probabilities} FLOAT32
 *       [-1, 2], a softmax (rows sum to 1);</li>
 *   <li>{@code multi_io}: inputs {@code a}, {@code b} FLOAT32 [-1, 4]; outputs {@code sum} = a + b,
 *       {@code dot} FLOAT32 [-1, 1] = row-wise a.b, {@code argmax_a} INT64 [-1] = argmax of a per row;</li>
 *   <li>{@code dtype_<type>} for each supported {@link DType} (lower-case name): input {@code x}
 *       [-1, 3], output {@code y} = x (identity).</li>
 * </ul>
 * Covered: dtype round trips, dynamic batch sizes (zero rows included: a {@code [0, n]} request returns
 * outputs with 0 rows of the right dtype and trailing shape, and the predictor keeps serving), several inputs and outputs and output subsets,
 * every kind of bad input (the predictor keeps serving correct results afterwards), bad model files,
 * concurrency (16 threads x 10,000 calls each checking its own result, and 8 threads with heap-backed inputs), close while calls run, use
 * after close, async calls, and deadlines (an expired one fails before running, a generous one changes
 * nothing, and on the backend's {@link #slowCall slow call} a short one releases the caller long before
 * the call would end; with {@link #supportsCancellation()} the engine also stops, so closing the model
 * right after does not wait for the call, and without it closing waits for the abandoned call).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendCompatibilityKit {
  private static final int FEATURES = 32;

  private Model fraud;
  private Predictor fraudPredictor;
  private Model multiIo;

  /** @return the backend's name as {@code LoadOptions.backend(..)} takes it */
  protected abstract String backendName();

  /**
   * Where this backend's artifact of a fixture model is.
   *
   * @param name {@code fraud}, {@code multi_io} or {@code dtype_<type>}
   * @return the file or directory
   */
  protected abstract Path fixture(String name);

  /** @return the dtypes this backend's engine supports; default all */
  protected List<DType> supportedDTypes() {
    return List.of(DType.values());
  }

  /** @return options every model in the kit is loaded with (the backend is forced on top) */
  protected LoadOptions options() {
    return LoadOptions.defaults();
  }

  /** @return the calls each of the 16 threads makes in the concurrency test */
  protected int callsPerThread() {
    return 10_000;
  }

  /**
   * Whether the backend's sessions stop a running call at its deadline
   * ({@code BackendSession.supportsCancellation()}); default false.
   *
   * @return true if the engine cancels
   */
  protected boolean supportsCancellation() {
    return false;
  }

  /**
   * A model and request slow enough (a few hundred milliseconds at least) to put a deadline in the middle
   * of the engine call. Required: the deadline tests run on every backend.
   *
   * @param dir a temporary directory to write the model to
   * @return the slow call
   * @throws IOException if writing the model fails
   */
  protected abstract SlowCall slowCall(Path dir) throws IOException;

  /**
   * A slow request for the deadline tests.
   *
   * @param model the model artifact
   * @param inputs a request that keeps the engine busy for a while
   */
  public record SlowCall(Path model, NamedTensors inputs) {}

  /**
   * A copy of the fraud artifact cut short, which the engine must refuse to load.
   *
   * @param dir a temporary directory
   * @return the truncated artifact
   * @throws IOException if the copy fails
   */
  protected Path truncatedFraud(Path dir) throws IOException {
    Path source = fixture("fraud");
    byte[] bytes = Files.readAllBytes(source);
    Path target = dir.resolve(source.getFileName());
    Files.write(target, java.util.Arrays.copyOf(bytes, bytes.length / 3));
    return target;
  }

  /**
   * The directory of the reference fixtures: the {@code jinfer.fixtures} system property when set (jinfer's
   * own build points it at the repository's {@code fixtures/}), else the copy packed in this jar, extracted
   * once per JVM to a temporary directory, so a backend outside the repository runs the kit with nothing but
   * the kit on its test classpath. Either way, {@code fixturesDir().resolve("onnx")} holds the ONNX models
   * ({@code fraud.onnx}, {@code multi_io.onnx}, {@code dtype_<type>.onnx}), their {@code _input.npy} and
   * {@code _output.npy}, and {@code fraud_weights.npz}, the fraud model's weights for a backend that builds
   * its own format from them.
   *
   * @return the fixtures directory
   * @throws IllegalStateException if the packed fixtures cannot be read or do not match their checksums
   */
  protected static Path fixturesDir() {
    String dir = System.getProperty("jinfer.fixtures");
    return dir != null ? Path.of(dir) : PackedFixtures.directory();
  }

  /**
   * Loads a fixture with this backend forced.
   *
   * @param name the fixture name
   * @return the model
   */
  protected Model load(String name) {
    return Backends.discover().load(fixture(name), options().toBuilder().backend(backendName()).build());
  }

  @BeforeAll
  void loadShared() {
    fraud = load("fraud");
    fraudPredictor = fraud.predictor();
    multiIo = load("multi_io");
  }

  @AfterAll
  void closeShared() {
    if (fraud != null) {
      fraud.close();
    }
    if (multiIo != null) {
      multiIo.close();
    }
  }

  // ------------------------------------------------------------------ signatures and dtypes

  @Test
  void load_readsSignatureFromTheEngine() {
    assertThat(fraud.backend()).isEqualToIgnoringCase(backendName());
    assertThat(fraud.signature().inputs()).hasSize(1);
    assertThat(fraud.signature().input("features")).hasValueSatisfying(s -> {
      assertThat(s.dtype()).isEqualTo(DType.FLOAT32);
      assertThat(s.shape().rank()).isEqualTo(2);
      assertThat(s.shape().dim(1)).isEqualTo(FEATURES);
    });
    assertThat(fraud.signature().outputNames()).containsExactly("probabilities");
    assertThat(multiIo.signature().outputNames()).containsExactlyInAnyOrder("sum", "dot", "argmax_a");
    assertThat(multiIo.signature().output("argmax_a")).hasValueSatisfying(s -> assertThat(s.dtype()).isEqualTo(DType.INT64));
  }

  /** @return the dtypes the round-trip test runs over */
  protected List<DType> dtypes() {
    return supportedDTypes();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dtypes")
  void predict_roundTripsEveryValueOfEachDType(DType dtype) {
    Tensor input = edgeValues(dtype);
    try (Model model = load("dtype_" + dtype.name().toLowerCase(java.util.Locale.ROOT))) {
      assertThat(model.signature().input("x")).hasValueSatisfying(s -> assertThat(s.dtype()).isEqualTo(dtype));
      Tensor out = model.predictor().predict(NamedTensors.of("x", input)).get("y");
      assertThat(out.dtype()).isEqualTo(dtype);
      assertThat(out.shape()).isEqualTo(input.shape());
      assertThat(out).isEqualTo(input); // bitwise: NaN, -0.0 and the extremes survive
    }
  }

  /**
   * Two rows of three values of a dtype, including its extremes.
   *
   * @param dtype the dtype
   * @return a [2, 3] tensor
   */
  protected static Tensor edgeValues(DType dtype) {
    switch (dtype) {
      case FLOAT32:
        return Tensor.ofFloats(new float[] {-0.0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MAX_VALUE, Float.MIN_NORMAL}, 2, 3);
      case FLOAT64:
        return Tensor.ofDoubles(new double[] {-0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            Double.MAX_VALUE, Double.MIN_VALUE}, 2, 3);
      case FLOAT16:
        return Tensor.ofFloat16(new float[] {-0.0f, Float.NaN, Float.POSITIVE_INFINITY, 65504f, -1.5f, 0.000061035156f}, 2, 3);
      case INT8:
        return Tensor.ofBytes(new byte[] {Byte.MIN_VALUE, -1, 0, 1, 42, Byte.MAX_VALUE}, 2, 3);
      case UINT8:
        return Tensor.ofUnsignedBytes(new byte[] {0, 1, 127, (byte) 128, 42, (byte) 255}, 2, 3);
      case INT16:
        return Tensor.ofShorts(new short[] {Short.MIN_VALUE, -1, 0, 1, 42, Short.MAX_VALUE}, 2, 3);
      case INT32:
        return Tensor.ofInts(new int[] {Integer.MIN_VALUE, -1, 0, 1, 42, Integer.MAX_VALUE}, 2, 3);
      case INT64:
        return Tensor.ofLongs(new long[] {Long.MIN_VALUE, -1, 0, 1, 42, Long.MAX_VALUE}, 2, 3);
      case BOOL:
        return Tensor.ofBooleans(new boolean[] {true, false, true, false, false, true}, 2, 3);
      case STRING:
        return Tensor.ofStrings(new String[] {"", "hello", "h\u00e9llo \u2713", "ONNX", "\u65e5\u672c\u8a9e", "tab\tnewline\n"}, 2, 3);
      default:
        throw new AssertionError(dtype);
    }
  }

  // ------------------------------------------------------------------ batches, several inputs and outputs

  @Test
  void predict_servesEveryBatchSize_andEachRowMatchesItsSingleRowResult() {
    float[][] rows = randomRows(100, 11);
    for (int n : new int[] {1, 2, 7, 32, 100}) {
      float[][] batch = java.util.Arrays.copyOf(rows, n);
      Tensor out = fraudPredictor.predict(NamedTensors.of("features", Tensor.ofFloats(batch))).get("probabilities");
      assertThat(out.shape().toArray()).containsExactly(n, 2);
      float[][] probs = out.toFloatMatrix();
      for (int r = 0; r < n; r++) {
        assertThat(probs[r][0] + probs[r][1]).isCloseTo(1f, within(1e-5f));
        assertThat(probs[r]).containsExactly(scoreOne(rows[r]), within(1e-5f));
      }
    }
  }

  @Test
  void predict_acceptsDirectBuffersAndRowSlices() {
    float[][] rows = randomRows(8, 12);
    ByteBuffer direct = ByteBuffer.allocateDirect(8 * FEATURES * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] r : rows) {
      for (float v : r) {
        direct.putFloat(v);
      }
    }
    direct.flip();
    Tensor batch = Tensor.fromBuffer(DType.FLOAT32, direct, 8, FEATURES);
    Tensor slice = batch.slice(3, 6);
    float[][] probs = fraudPredictor.predict(NamedTensors.of("features", slice)).get("probabilities").toFloatMatrix();
    assertThat(probs).hasNumberOfRows(3);
    for (int r = 0; r < 3; r++) {
      assertThat(probs[r]).containsExactly(scoreOne(rows[3 + r]), within(1e-5f));
    }
  }

  @Test
  void predict_handlesSeveralInputsAndOutputs() {
    float[] a = {1, 5, 2, 0, -1, -2, -3, 4, 0.5f, 0.25f, 0.75f, 0.125f};
    float[] b = {2, 2, 2, 2, 1, 0, -1, 0.5f, 8, 4, 2, 1};
    NamedTensors out = multiIo.predictor().predict(multiInputs(a, b));
    assertThat(out.names()).containsExactlyElementsOf(multiIo.signature().outputNames());
    float[] sum = out.get("sum").toFloatArray();
    for (int i = 0; i < a.length; i++) {
      assertThat(sum[i]).isEqualTo(a[i] + b[i]);
    }
    assertThat(out.get("dot").shape().toArray()).containsExactly(3, 1);
    assertThat(out.get("dot").toFloatArray()).containsExactly(16f, 4f, 6.625f);
    assertThat(out.get("argmax_a").toLongArray()).containsExactly(1L, 3L, 2L);
  }

  @Test
  void predict_returnsOnlyTheRequestedOutputs_inTheRequestedOrder() {
    float[] a = {1, 2, 3, 4};
    float[] b = {1, 1, 1, 1};
    NamedTensors out = multiIo.predictor().predict(multiInputs(a, b), List.of("argmax_a", "dot"));
    assertThat(out.names()).containsExactly("argmax_a", "dot");
    assertThat(out.get("dot").toFloatArray()).containsExactly(10f);
    assertThat(out.get("argmax_a").toLongArray()).containsExactly(3L);
  }

  // ------------------------------------------------------------------ zero-row batches

  @Test
  void predict_zeroRowBatch_returnsZeroRowOutputs_andKeepsServing() {
    for (int i = 0; i < 3; i++) { // an engine that caches per-shape state must survive a repeat
      Tensor out = fraudPredictor.predict(NamedTensors.of("features", Tensor.ofFloats(new float[0], 0, FEATURES)))
          .get("probabilities");
      assertThat(out.dtype()).isEqualTo(DType.FLOAT32);
      assertThat(out.shape().toArray()).containsExactly(0, 2);
      assertThat(out.elementCount()).isZero();
      assertServes();
    }
    Tensor async = fraudPredictor.predictAsync(NamedTensors.of("features", Tensor.ofFloats(new float[0], 0, FEATURES)),
            java.util.concurrent.ForkJoinPool.commonPool())
        .join().get("probabilities");
    assertThat(async.shape().toArray()).containsExactly(0, 2);
    Tensor oneRow = fraudPredictor.predict(NamedTensors.of("features", Tensor.ofFloats(randomRows(1, 3)))).get("probabilities");
    assertThat(oneRow.shape().toArray()).containsExactly(1, 2);
  }

  @Test
  void predict_zeroRowBatch_severalInputsAndOutputs_keepDTypeAndTrailingShape() {
    NamedTensors out = multiIo.predictor().predict(multiInputs(new float[0], new float[0]));
    assertThat(out.names()).containsExactlyElementsOf(multiIo.signature().outputNames());
    assertThat(out.get("sum").dtype()).isEqualTo(DType.FLOAT32);
    assertThat(out.get("sum").shape().toArray()).containsExactly(0, 4);
    assertThat(out.get("dot").dtype()).isEqualTo(DType.FLOAT32);
    assertThat(out.get("dot").shape().toArray()).containsExactly(0, 1);
    assertThat(out.get("argmax_a").dtype()).isEqualTo(DType.INT64);
    assertThat(out.get("argmax_a").shape().toArray()).containsExactly(0);
    NamedTensors subset = multiIo.predictor().predict(multiInputs(new float[0], new float[0]), List.of("argmax_a", "dot"));
    assertThat(subset.names()).containsExactly("argmax_a", "dot");
    assertThat(subset.get("argmax_a").shape().toArray()).containsExactly(0);
    assertThat(subset.get("dot").shape().toArray()).containsExactly(0, 1);
    assertThat(multiIo.predictor().predict(multiInputs(new float[] {1, 2, 3, 4}, new float[] {1, 1, 1, 1}))
        .get("dot").toFloatArray()).containsExactly(10f);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dtypes")
  void predict_zeroRowBatch_ofEachDType_returnsAnEmptyTensorOfThatDType(DType dtype) {
    Tensor empty = dtype == DType.STRING ? Tensor.ofStrings(new String[0], 0, 3)
        : Tensor.fromBuffer(dtype, ByteBuffer.allocateDirect(0), 0, 3);
    try (Model model = load("dtype_" + dtype.name().toLowerCase(java.util.Locale.ROOT))) {
      Tensor out = model.predictor().predict(NamedTensors.of("x", empty)).get("y");
      assertThat(out.dtype()).isEqualTo(dtype);
      assertThat(out.shape().toArray()).containsExactly(0, 3);
      Tensor two = model.predictor().predict(NamedTensors.of("x", edgeValues(dtype))).get("y");
      assertThat(two).isEqualTo(edgeValues(dtype));
    }
  }

  // ------------------------------------------------------------------ bad input

  @Test
  void predict_rejectsUnknownInputName_andKeepsServing() {
    assertRejectedThenServes(NamedTensors.of("feature", Tensor.ofFloats(new float[FEATURES], 1, FEATURES)),
        "input 'feature'", "unknown", "features");
  }

  @Test
  void predict_rejectsMissingInput_namingIt() {
    float[] a = new float[4];
    assertThatThrownBy(() -> multiIo.predictor().predict(NamedTensors.of("a", Tensor.ofFloats(a, 1, 4))))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("input 'b'").hasMessageContaining("missing");
    assertThat(multiIo.predictor().predict(multiInputs(new float[] {1, 2, 3, 4}, new float[] {1, 1, 1, 1}))
        .get("dot").toFloatArray()).containsExactly(10f);
  }

  @Test
  void predict_rejectsWrongDType_withNamedInput() {
    assertRejectedThenServes(NamedTensors.of("features", Tensor.ofDoubles(new double[FEATURES], 1, FEATURES)),
        "input 'features'", "expected FLOAT32", "but got FLOAT64 [1, 32]");
  }

  @Test
  void predict_rejectsWrongRank_withNamedInput() {
    assertRejectedThenServes(NamedTensors.of("features", Tensor.ofFloats(new float[FEATURES], FEATURES)),
        "input 'features'", "expected FLOAT32", "but got FLOAT32 [32]");
  }

  @Test
  void predict_rejectsWrongDimension_withNamedInput() {
    assertRejectedThenServes(NamedTensors.of("features", Tensor.ofFloats(new float[FEATURES - 1], 1, FEATURES - 1)),
        "input 'features'", "expected FLOAT32", "but got FLOAT32 [1, 31]");
  }

  @Test
  void predict_rejectsNullInputs_andNullOutputList() {
    assertThatThrownBy(() -> fraudPredictor.predict(null)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("inputs").hasMessageContaining("null");
    assertThatThrownBy(() -> fraudPredictor.predict(fraudInput(randomRows(1, 1)[0]), null))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("outputs");
    assertThatThrownBy(() -> NamedTensors.of("features", null)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("input 'features'").hasMessageContaining("null");
    assertServes();
  }

  @Test
  void predict_rejectsUnknownOutputName() {
    assertThatThrownBy(() -> fraudPredictor.predict(fraudInput(new float[FEATURES]), List.of("logits")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("output 'logits'").hasMessageContaining("probabilities");
    assertServes();
  }

  @Test
  void tensor_rejectsBufferShorterThanItsShape() {
    ByteBuffer shortBuffer = ByteBuffer.allocateDirect((FEATURES - 1) * 4);
    assertThatThrownBy(() -> Tensor.fromBuffer(DType.FLOAT32, shortBuffer, 1, FEATURES))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("expected 128 bytes").hasMessageContaining("124 bytes");
    assertServes();
  }

  @Test
  void predict_passesNaNAndInfinityThrough_byDefault_andRejectsThemWhenAsked() {
    float[] row = randomRows(1, 5)[0];
    row[3] = Float.NaN;
    float[] probs = fraudPredictor.predict(fraudInput(row)).get("probabilities").toFloatArray();
    assertThat(probs[0]).isNaN(); // the policy: NaN is data, the engine propagates it
    try (Model strict = Backends.discover().load(fixture("fraud"),
        options().toBuilder().backend(backendName()).rejectNonFinite(true).build())) {
      row[3] = Float.POSITIVE_INFINITY;
      assertThatThrownBy(() -> strict.predictor().predict(fraudInput(row)))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("input 'features'").hasMessageContaining("finite").hasMessageContaining("element 3");
    }
    assertServes();
  }

  private void assertRejectedThenServes(NamedTensors bad, String... messageParts) {
    assertThatThrownBy(() -> fraudPredictor.predict(bad)).isInstanceOf(InvalidInputException.class)
        .satisfies(e -> {
          for (String part : messageParts) {
            assertThat(e.getMessage()).contains(part);
          }
        });
    assertServes();
  }

  private void assertServes() {
    float[] row = randomRows(1, 99)[0];
    float[] probs = fraudPredictor.predict(fraudInput(row)).get("probabilities").toFloatArray();
    assertThat(probs).containsExactly(scoreOne(row), within(1e-5f));
    assertThat(probs[0] + probs[1]).isCloseTo(1f, within(1e-5f));
  }

  // ------------------------------------------------------------------ bad models

  @Test
  void load_rejectsMissingPath(@TempDir Path dir) {
    Path missing = dir.resolve("nope").resolve(fixture("fraud").getFileName());
    assertThatThrownBy(() -> Backends.discover().load(missing)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void load_rejectsTruncatedArtifact(@TempDir Path dir) throws IOException {
    Path truncated = truncatedFraud(dir);
    assertThatThrownBy(() -> Backends.discover().load(truncated, options().toBuilder().backend(backendName()).build()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining(truncated.getFileName().toString());
  }

  @Test
  void load_rejectsAFileNoBackendAccepts_listingTheBackends(@TempDir Path dir) throws IOException {
    Path text = dir.resolve("notes.txt");
    Files.writeString(text, "not a model\n", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Backends.discover().load(text)).isInstanceOf(BackendUnavailableException.class)
        .hasMessageContaining("no backend accepts").hasMessageContaining(backendName());
  }

  @Test
  void load_rejectsAnUnknownForcedBackend_listingTheBackends() {
    assertThatThrownBy(() -> Backends.discover().load(fixture("fraud"), LoadOptions.newBuilder().backend("nosuch").build()))
        .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("nosuch").hasMessageContaining(backendName());
  }

  // ------------------------------------------------------------------ concurrency and close

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void predict_isThreadSafe_eachOf16ThreadsGetsItsOwnResult() throws Exception {
    int threads = 16;
    float[][] rows = randomRows(threads, 21);
    NamedTensors[] inputs = new NamedTensors[threads];
    float[][][] expected = new float[threads][][];
    for (int t = 0; t < threads; t++) {
      inputs[t] = fraudInput(rows[t]);
      expected[t] = new float[][] {scoreOne(rows[t])};
    }
    assertEachThreadGetsItsOwnResult(inputs, expected, callsPerThread());
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void predict_heapBackedInputs_fromEightThreads_eachGetsItsOwnResult() throws Exception {
    // heap-backed tensors (another model's outputs, a parsed request, a caller's own bytes) reach a native engine
    // through a copy; a backend that reuses its copy buffers must never let two calls share one
    int threads = 8;
    int rowsEach = 4;
    NamedTensors[] inputs = new NamedTensors[threads];
    float[][][] expected = new float[threads][rowsEach][];
    for (int t = 0; t < threads; t++) {
      float[][] rows = randomRows(rowsEach, 100 + t);
      float[] flat = new float[rowsEach * FEATURES];
      for (int r = 0; r < rowsEach; r++) {
        expected[t][r] = scoreOne(rows[r]);
        System.arraycopy(rows[r], 0, flat, r * FEATURES, FEATURES);
      }
      Tensor features = HeapTensors.floats(flat, rowsEach, FEATURES);
      assertThat(features.isDirect()).isFalse();
      inputs[t] = NamedTensors.of("features", features);
    }
    assertEachThreadGetsItsOwnResult(inputs, expected, Math.max(100, callsPerThread() / 10));
  }

  /**
   * Sends each input from a thread of its own, {@code calls} times, all threads at once, and checks that every
   * answer is the probabilities expected for that thread's rows.
   */
  private void assertEachThreadGetsItsOwnResult(NamedTensors[] inputs, float[][][] expected, int calls) throws Exception {
    int threads = inputs.length;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int me = t;
        results.add(pool.submit(() -> {
          start.await();
          int wrong = 0;
          for (int i = 0; i < calls; i++) {
            float[][] p = fraudPredictor.predict(inputs[me]).get("probabilities").toFloatMatrix();
            for (int r = 0; r < expected[me].length; r++) {
              if (Math.abs(p[r][0] - expected[me][r][0]) > 1e-5f || Math.abs(p[r][1] - expected[me][r][1]) > 1e-5f) {
                wrong++;
                break;
              }
            }
          }
          return wrong;
        }));
      }
      for (Future<Integer> f : results) {
        assertThat(f.get()).as("calls that returned another thread's or a wrong result").isZero();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void close_waitsForCallsInFlight_andLaterCallsFailCleanly() throws Exception {
    Model model = load("fraud");
    Predictor p = model.predictor();
    float[] row = randomRows(1, 31)[0];
    float[] expected = scoreOne(row);
    int threads = 8;
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger rejected = new AtomicInteger();
    AtomicReference<Throwable> unexpected = new AtomicReference<>();
    CountDownLatch running = new CountDownLatch(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int t = 0; t < threads; t++) {
        pool.execute(() -> {
          NamedTensors in = fraudInput(row);
          running.countDown();
          while (true) {
            try {
              float[] out = p.predict(in).get("probabilities").toFloatArray();
              if (Math.abs(out[0] - expected[0]) > 1e-5f) {
                unexpected.compareAndSet(null, new AssertionError("wrong result during close"));
              }
              ok.incrementAndGet();
            } catch (ModelClosedException e) {
              rejected.incrementAndGet();
              return;
            } catch (Throwable e) {
              unexpected.compareAndSet(null, e);
              return;
            }
          }
        });
      }
      running.await();
      while (ok.get() < 200 && unexpected.get() == null && rejected.get() == 0) {
        Thread.onSpinWait();
      }
      model.close();
      assertThat(model.isClosed()).isTrue();
      pool.shutdown();
      assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    } finally {
      pool.shutdownNow();
    }
    assertThat(unexpected.get()).isNull();
    assertThat(rejected.get()).isEqualTo(threads);
    assertThatThrownBy(() -> p.predict(fraudInput(row))).isInstanceOf(ModelClosedException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(model::predictor).isInstanceOf(ModelClosedException.class);
    model.close(); // idempotent
  }

  @Test
  void closingOnePredictorHandle_leavesTheModelAndOtherHandlesServing() {
    Predictor a = fraud.predictor();
    a.close();
    a.close();
    float[] row = randomRows(1, 41)[0];
    assertThatThrownBy(() -> a.predict(fraudInput(row))).isInstanceOf(ModelClosedException.class)
        .hasMessageContaining("closed");
    assertThat(fraud.predictor().predict(fraudInput(row)).get("probabilities").toFloatArray())
        .containsExactly(scoreOne(row), within(1e-5f));
  }

  @Test
  void predictAsync_completesWithTheResult_andFailsTheFutureOnBadInput() throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(2);
    try {
      float[] row = randomRows(1, 51)[0];
      CompletableFuture<NamedTensors> good = fraudPredictor.predictAsync(fraudInput(row), executor);
      assertThat(good.get(1, TimeUnit.MINUTES).get("probabilities").toFloatArray())
          .containsExactly(scoreOne(row), within(1e-5f));
      CompletableFuture<NamedTensors> bad = fraudPredictor.predictAsync(
          NamedTensors.of("features", Tensor.ofFloats(new float[3], 1, 3)), executor);
      assertThatThrownBy(bad::join).isInstanceOf(CompletionException.class)
          .hasCauseInstanceOf(InvalidInputException.class);
    } finally {
      executor.shutdownNow();
    }
  }

  // ------------------------------------------------------------------ deadlines

  @Test
  void predict_withAnExpiredDeadline_failsFastWithDeadlineExceeded_andKeepsServing() {
    float[] row = randomRows(1, 61)[0];
    assertThatThrownBy(() -> fraudPredictor.predict(fraudInput(row), List.of(), Deadline.after(Duration.ZERO)))
        .isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining(fraud.id().toString()).hasMessageContaining("did not run")
        .satisfies(e -> assertThat(((DeadlineExceededException) e).code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED));
    assertServes();
  }

  @Test
  void predict_withAGenerousDeadline_returnsTheSameOutputs_syncAndAsync() throws Exception {
    float[] row = randomRows(1, 62)[0];
    Deadline deadline = Deadline.after(Duration.ofMinutes(1));
    assertThat(fraudPredictor.predict(fraudInput(row), List.of(), deadline).get("probabilities").toFloatArray())
        .containsExactly(scoreOne(row), within(1e-5f));
    NamedTensors out = multiIo.predictor().predict(multiInputs(new float[] {1, 2, 3, 4}, new float[] {1, 1, 1, 1}),
        List.of("argmax_a", "dot"), deadline);
    assertThat(out.names()).containsExactly("argmax_a", "dot");
    assertThat(out.get("dot").toFloatArray()).containsExactly(10f);
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      CompletableFuture<NamedTensors> f = fraudPredictor.predictAsync(fraudInput(row), List.of(), deadline, executor);
      assertThat(f.get(1, TimeUnit.MINUTES).get("probabilities").toFloatArray()).containsExactly(scoreOne(row), within(1e-5f));
      CompletableFuture<NamedTensors> expired = fraudPredictor.predictAsync(fraudInput(row), List.of(),
          Deadline.after(Duration.ZERO), executor);
      assertThatThrownBy(expired::join).hasCauseInstanceOf(DeadlineExceededException.class);
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void predict_withAShortDeadlineOnASlowCall_releasesTheCallerLongBeforeTheCallWouldEnd(@TempDir Path dir)
      throws IOException {
    SlowCall slow = slowCall(dir);
    NamedTensors in = slow.inputs();
    try (Model model = loadArtifact(slow.model())) {
      Predictor p = model.predictor();
      NamedTensors expected = p.predict(in); // warms up, and the reference outputs
      long full = nanosOf(() -> p.predict(in));
      Duration timeout = Duration.ofNanos(full / 10);

      long released = nanosOf(() -> assertThatThrownBy(() -> p.predict(in, List.of(), Deadline.after(timeout)))
          .isInstanceOf(DeadlineExceededException.class).hasMessageContaining(model.id().toString()));

      assertThat(released).as("released after %d ms with a deadline of %d ms; the whole call takes %d ms",
          released / 1_000_000, timeout.toMillis(), full / 1_000_000).isLessThan(full / 2);
      String first = expected.names().iterator().next();
      assertThat(p.predict(in).get(first)).as("outputs after a call hit its deadline").isEqualTo(expected.get(first));
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void predict_withAShortDeadline_stopsACancellingEngine_orCloseWaitsForTheAbandonedCall(@TempDir Path dir)
      throws IOException {
    SlowCall slow = slowCall(dir);
    NamedTensors in = slow.inputs();
    Model model = loadArtifact(slow.model());
    Predictor p = model.predictor();
    p.predict(in);
    long full = nanosOf(() -> p.predict(in));
    Duration timeout = Duration.ofNanos(full / 10);

    long released = nanosOf(() -> assertThatThrownBy(() -> p.predict(in, List.of(), Deadline.after(timeout)))
        .isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining(supportsCancellation() ? "stopped" : "abandoned"));
    long closing = nanosOf(model::close);

    if (supportsCancellation()) {
      // an abandoned call would hold close() until the call ends, about `full` after it started
      assertThat(released + closing).as("released after %d ms, closed %d ms later; the whole call takes %d ms",
          released / 1_000_000, closing / 1_000_000, full / 1_000_000).isLessThan(full / 2);
    } else {
      // the engine cannot stop: close() must wait for the abandoned call rather than free its session
      assertThat(released + closing).as("released after %d ms, closed %d ms later; the whole call takes %d ms",
          released / 1_000_000, closing / 1_000_000, full / 1_000_000).isGreaterThan(full / 2);
    }
  }

  private Model loadArtifact(Path artifact) {
    return Backends.discover().load(artifact, options().toBuilder().backend(backendName()).build());
  }

  private static long nanosOf(Runnable r) {
    long t0 = System.nanoTime();
    r.run();
    return System.nanoTime() - t0;
  }

  // ------------------------------------------------------------------ helpers

  /**
   * The fraud model's output for one row, scored alone.
   *
   * @param row 32 features
   * @return the two probabilities
   */
  protected float[] scoreOne(float[] row) {
    return fraudPredictor.predict(fraudInput(row)).get("probabilities").toFloatArray();
  }

  /**
   * A one-row fraud request.
   *
   * @param row 32 features
   * @return the inputs
   */
  protected static NamedTensors fraudInput(float[] row) {
    return NamedTensors.of("features", Tensor.ofFloats(row, 1, FEATURES));
  }

  /**
   * Seeded standard-normal feature rows.
   *
   * @param n rows
   * @param seed the seed
   * @return the rows
   */
  protected static float[][] randomRows(int n, long seed) {
    Random random = new Random(seed);
    float[][] rows = new float[n][FEATURES];
    for (float[] r : rows) {
      for (int i = 0; i < FEATURES; i++) {
        r[i] = (float) random.nextGaussian();
      }
    }
    return rows;
  }

  private static NamedTensors multiInputs(float[] a, float[] b) {
    int rows = a.length / 4;
    return NamedTensors.of("a", Tensor.ofFloats(a, rows, 4), "b", Tensor.ofFloats(b, rows, 4));
  }
}
