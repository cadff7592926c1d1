package dev.jinfer.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.jinfer.BackendUnavailableException;
import dev.jinfer.Backends;
import dev.jinfer.DType;
import dev.jinfer.Device;
import dev.jinfer.InvalidInputException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelId;
import dev.jinfer.ModelLoadException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import dev.jinfer.spi.ModelSource;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The PyTorch backend beyond the kit: reference outputs, signatures and sidecars, bad files, options, native resources. */
class PytorchBackendTest {
  private static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"));
  private static final Path PT = FIXTURES.resolve("pytorch");
  private static final Path FRAUD = PT.resolve("fraud.pt");
  private static final String FRAUD_SIGNATURE =
      "{\"inputs\": [{\"name\": \"features\", \"dtype\": \"FLOAT32\", \"shape\": [-1, 32]}],"
          + " \"outputs\": [{\"name\": \"probabilities\", \"dtype\": \"FLOAT32\", \"shape\": [-1, 2]}]}";

  @TempDir
  Path tmp;

  private static Model load(Path path, LoadOptions options) {
    return Backends.discover().load(path, options.toBuilder().backend(PytorchBackend.NAME).build());
  }

  private static Model load(Path path) {
    return load(path, LoadOptions.defaults());
  }

  /** Copies fraud.pt into the temp dir under a name, with the given sidecar text (null: none). */
  private Path fraudCopy(String fileName, String sidecar) throws IOException {
    Path model = tmp.resolve(fileName);
    Files.copy(FRAUD, model);
    if (sidecar != null) {
      Files.writeString(SignatureFile.sidecarOf(model), sidecar, StandardCharsets.UTF_8);
    }
    return model;
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs((double) a[i] - b[i]));
    }
    return max;
  }

  // ------------------------------------------------------------------ reference outputs

  @ParameterizedTest(name = "graphOptimizer={0}")
  @ValueSource(strings = {"false", "true"})
  void fraudPt_reproducesTheOnnxReferenceOutput_within1e5(String graphOptimizer) {
    Tensor input = Npy.read(FIXTURES.resolve("onnx").resolve("fraud_input.npy"));
    Tensor expected = Npy.read(FIXTURES.resolve("onnx").resolve("fraud_output.npy"));
    try (Model model = load(FRAUD, LoadOptions.newBuilder().property(PytorchBackend.GRAPH_OPTIMIZER, graphOptimizer)
        .property(PytorchBackend.WARMUP_BATCH_SIZES, "1,16").build())) {
      for (int call = 0; call < 3; call++) { // profiling runs and optimized runs alike
        Tensor out = model.predictor().predict(NamedTensors.of("features", input)).get("probabilities");
        assertThat(out.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(out.shape()).isEqualTo(expected.shape());
        assertThat(maxAbsDiff(out.toFloatArray(), expected.toFloatArray())).isLessThanOrEqualTo(1e-5);
      }
      assertThat(model.metadata()).containsEntry("pytorch.libtorch_version", "2.7.1")
          .containsEntry("pytorch.graph_optimizer", graphOptimizer)
          .containsEntry("pytorch.signature_source", "signature file " + SignatureFile.sidecarOf(FRAUD))
          .containsKey("pytorch.description");
    }
  }

  @Test
  void modelLoad_picksThePytorchBackend_forPtAndTorchscriptFiles_withoutForcing() throws IOException {
    Path renamed = fraudCopy("fraud.torchscript", FRAUD_SIGNATURE);
    for (Path p : List.of(FRAUD, renamed)) {
      try (Model model = Backends.discover().load(p)) {
        assertThat(model.backend()).isEqualTo(PytorchBackend.NAME);
        assertThat(model.device()).isEqualTo(Device.cpu());
      }
    }
    PytorchBackend backend = new PytorchBackend();
    assertThat(backend.accepts(new ModelSource(FIXTURES.resolve("onnx").resolve("fraud.onnx"), new ModelId("f", "1")))).isFalse();
    assertThat(backend.accepts(new ModelSource(PT, new ModelId("dir", "1")))).isFalse();
  }

  @Test
  void outputsReturnedAsAList_areNamedInOrder() {
    try (Model model = load(PT.resolve("list_outputs.pt"))) {
      NamedTensors out = model.predictor().predict(NamedTensors.of("x", Tensor.ofFloats(new float[] {1, 2, 3, -1, 0, 1}, 2, 3)));
      assertThat(out.names()).containsExactly("plus_one", "twice");
      assertThat(out.get("plus_one").toFloatArray()).containsExactly(2, 3, 4, 0, 1, 2);
      assertThat(out.get("twice").toFloatArray()).containsExactly(2, 4, 6, -2, 0, 2);
    }
  }

  // ------------------------------------------------------------------ signatures

  @Test
  void signatureProperty_inlineJsonOrPath_replacesTheSidecar() throws IOException {
    Path model = fraudCopy("nosidecar.pt", null);
    String renamed = FRAUD_SIGNATURE.replace("\"features\"", "\"x\"").replace("\"probabilities\"", "\"p\"");
    try (Model m = load(model, LoadOptions.newBuilder().property(PytorchBackend.SIGNATURE, renamed).build())) {
      assertThat(m.signature().input("x")).isPresent();
      assertThat(m.predictor().predict(NamedTensors.of("x", Tensor.ofFloats(new float[32], 1, 32))).get("p").toFloatArray())
          .hasSize(2);
    }
    Path file = tmp.resolve("elsewhere.json");
    Files.writeString(file, renamed);
    try (Model m = load(model, LoadOptions.newBuilder().property(PytorchBackend.SIGNATURE, file.toString()).build())) {
      assertThat(m.signature().outputNames()).containsExactly("p");
      assertThat(m.metadata()).containsEntry("pytorch.signature_source", "signature file " + file);
    }
  }

  @Test
  void load_withoutSidecar_failsNamingTheExpectedSidecarFile() throws IOException {
    Path model = fraudCopy("fraud.pt", null);
    assertThatThrownBy(() -> load(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(SignatureFile.sidecarOf(model).toString()).hasMessageContaining(PytorchBackend.SIGNATURE);
  }

  @Test
  void load_withMalformedSidecarJson_namesTheFileAndPosition() throws IOException {
    Path model = fraudCopy("fraud.pt", "{\"inputs\": [\n  {\"name\": \"features\",, }\n]}");
    assertThatThrownBy(() -> load(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("signature file " + SignatureFile.sidecarOf(model)).hasMessageContaining("not valid JSON")
        .hasMessageContaining("line 2");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "bad dtype|{\"inputs\": [{\"name\": \"features\", \"dtype\": \"FLOAT128\", \"shape\": [-1, 32]}], \"outputs\": []}|inputs[0].dtype|FLOAT128",
      "int16|{\"inputs\": [{\"name\": \"features\", \"dtype\": \"INT16\", \"shape\": [-1, 32]}], \"outputs\": []}|inputs[0].dtype|int16",
      "missing outputs|{\"inputs\": [{\"name\": \"features\", \"dtype\": \"FLOAT32\", \"shape\": [-1, 32]}]}|\"outputs\" is missing|name",
      "empty outputs|{\"inputs\": [{\"name\": \"features\", \"dtype\": \"FLOAT32\", \"shape\": [-1, 32]}], \"outputs\": []}|\"outputs\"|at least one",
      "bad dim|{\"inputs\": [{\"name\": \"features\", \"dtype\": \"FLOAT32\", \"shape\": [-1, -7]}], \"outputs\": []}|inputs[0].shape[1]|-7",
      "no name|{\"inputs\": [{\"dtype\": \"FLOAT32\", \"shape\": [-1, 32]}], \"outputs\": []}|inputs[0].name|non-empty",
      "typo|{\"inputs\": [], \"outputs\": [], \"ouputs\": []}|\"ouputs\" is not a signature field|inputs",
      "typo in spec|{\"inputs\": [{\"name\": \"f\", \"dtype\": \"FLOAT32\", \"shape\": [1], \"dtyp\": 1}], \"outputs\": []}|inputs[0].dtyp|shape",
      "duplicate|{\"inputs\": [], \"outputs\": [{\"name\": \"p\", \"dtype\": \"FLOAT32\", \"shape\": [1]}, {\"name\": \"p\", \"dtype\": \"FLOAT32\", \"shape\": [1]}]}|'p' appears twice|output",
      "not an object|[1, 2]|expected a JSON object|ARRAY"})
  void load_withAnInvalidSidecarField_namesTheFileAndTheField(String testCase) throws IOException {
    String[] parts = testCase.split("\\|");
    Path model = fraudCopy("fraud.pt", parts[1]);
    assertThatThrownBy(() -> load(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("signature file " + SignatureFile.sidecarOf(model))
        .hasMessageContaining(parts[2]).hasMessageContaining(parts[3]);
  }

  @Test
  void load_whenTheSidecarDeclaresMoreInputsThanTheModelTakes_failsAtLoadTime_namingTheSidecar() throws IOException {
    Path model = fraudCopy("fraud.pt", FRAUD_SIGNATURE.replace("\"inputs\": [", "\"inputs\": ["
        + "{\"name\": \"mask\", \"dtype\": \"FLOAT32\", \"shape\": [-1, 32]}, "));
    assertThatThrownBy(() -> load(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("signature file " + SignatureFile.sidecarOf(model))
        .hasMessageContaining("refused a call").hasMessageContaining("mask").hasMessageContaining("forward")
        .hasMessageContaining(PytorchBackend.VERIFY_SIGNATURE + "=false and " + PytorchBackend.WARMUP_BATCH_SIZES + "=none");
  }

  @Test
  void load_whenOnlyWarmupCallsAModelThatRefusesTheZeros_hintsToTurnOffBothChecks() throws IOException {
    Path model = fraudCopy("fraud.pt", FRAUD_SIGNATURE.replace("\"FLOAT32\", \"shape\": [-1, 32]", "\"INT64\", \"shape\": [-1, 32]"));
    // verification off alone does not help: warmup (batch 1 by default) calls the model on zeros too
    assertThatThrownBy(() -> load(model, LoadOptions.newBuilder().property(PytorchBackend.VERIFY_SIGNATURE, "false").build()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("refused a call")
        .hasMessageContaining(PytorchBackend.VERIFY_SIGNATURE + "=false and " + PytorchBackend.WARMUP_BATCH_SIZES + "=none");
  }

  @Test
  void load_whenTheSignatureHasAFixedDimensionTooLargeForTheZerosInput_isModelLoadException_namingTheSidecar()
      throws IOException {
    Path model = fraudCopy("fraud.pt", FRAUD_SIGNATURE.replace("[-1, 32]", "[-1, 3000000000]"));
    assertThatThrownBy(() -> load(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("signature file " + SignatureFile.sidecarOf(model))
        .hasMessageContaining("cannot make the load-time zeros input").hasMessageContaining("3000000000")
        .hasMessageContaining(PytorchBackend.WARMUP_BATCH_SIZES + "=none");
  }

  @Test
  void load_whenTheSidecarDeclaresMoreOutputsThanTheModelReturns_failsAtLoadTime() throws IOException {
    Path model = fraudCopy("fraud.pt", FRAUD_SIGNATURE.replace("\"outputs\": [", "\"outputs\": ["
        + "{\"name\": \"logits\", \"dtype\": \"FLOAT32\", \"shape\": [-1, 2]}, "));
    assertThatThrownBy(() -> load(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(SignatureFile.sidecarOf(model).toString())
        .hasMessageContaining("returned 1 output(s) but its signature declares 2");
  }

  @Test
  void load_whenTheSidecarDeclaresAnotherOutputShapeOrDType_failsAtLoadTime() throws IOException {
    Path shape = fraudCopy("shape.pt", FRAUD_SIGNATURE.replace("[-1, 2]", "[-1, 3]"));
    assertThatThrownBy(() -> load(shape)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("output 'probabilities' is declared FLOAT32 [-1, 3] but the model returned FLOAT32 [1, 2]");
    Path dtype = fraudCopy("dtype.pt", FRAUD_SIGNATURE.replace("\"FLOAT32\", \"shape\": [-1, 2]", "\"FLOAT64\", \"shape\": [-1, 2]"));
    assertThatThrownBy(() -> load(dtype)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("output 'probabilities': the signature declares FLOAT64 but the model returned FLOAT32");
  }

  @Test
  void load_whenTheSidecarDeclaresAnotherInputDType_failsAtLoadTime() throws IOException {
    Path model = fraudCopy("fraud.pt", FRAUD_SIGNATURE.replace("\"FLOAT32\", \"shape\": [-1, 32]", "\"INT64\", \"shape\": [-1, 32]"));
    assertThatThrownBy(() -> load(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("refused a call").hasMessageContaining("features: INT64 [-1, 32]");
  }

  @Test
  void predict_withMoreInputsThanTheSignature_isInvalidInput_beforeTheEngineRuns() {
    try (Model model = load(FRAUD)) {
      NamedTensors two = NamedTensors.of("features", Tensor.ofFloats(new float[32], 1, 32), "mask",
          Tensor.ofFloats(new float[32], 1, 32));
      assertThatThrownBy(() -> model.predictor().predict(two)).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("input 'mask'");
    }
  }

  // ------------------------------------------------------------------ bad files

  @Test
  void load_ofATorchSaveFile_isModelLoadException_namingTheFileAndTheFix() throws IOException {
    Path pickle = tmp.resolve("weights.pt");
    Files.copy(PT.resolve("not_torchscript.pt"), pickle);
    Files.writeString(SignatureFile.sidecarOf(pickle), FRAUD_SIGNATURE);
    assertThatThrownBy(() -> load(pickle)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(pickle.toString()).hasMessageContaining("torch.save()").hasMessageContaining("torch.jit.save");
  }

  @Test
  void load_ofAFileThatIsNotAZip_isModelLoadException_namingTheFile() throws IOException {
    Path text = fraudCopy("text.pt", FRAUD_SIGNATURE);
    Files.writeString(text, "def forward(x): return x\n");
    assertThatThrownBy(() -> load(text)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(text.toString()).hasMessageContaining("not a TorchScript archive");
  }

  // ------------------------------------------------------------------ options

  @Test
  void load_rejectsUnknownOrInvalidProperties_namingThem() {
    assertThatThrownBy(() -> load(FRAUD, LoadOptions.newBuilder().property("pytorch.graphOptimiser", "true").build()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("pytorch.graphOptimiser")
        .hasMessageContaining(PytorchBackend.GRAPH_OPTIMIZER);
    assertThatThrownBy(() -> load(FRAUD, LoadOptions.newBuilder().property(PytorchBackend.WARMUP_BATCH_SIZES, "1,0").build()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining(PytorchBackend.WARMUP_BATCH_SIZES).hasMessageContaining("0");
    assertThatThrownBy(() -> load(FRAUD, LoadOptions.newBuilder().property(PytorchBackend.WARMUP_BATCH_SIZES, "one").build()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("'one'");
    assertThatThrownBy(() -> load(FRAUD, LoadOptions.newBuilder().property(PytorchBackend.GRAPH_OPTIMIZER, "yes").build()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining(PytorchBackend.GRAPH_OPTIMIZER).hasMessageContaining("yes");
  }

  @Test
  void warmupBatchSizes_parsesListsAndNone() {
    assertThat(PytorchConfig.batchSizes("1, 32,1")).containsExactly(1, 32);
    assertThat(PytorchConfig.batchSizes("none")).isEmpty();
    assertThat(PytorchConfig.from(LoadOptions.defaults()).warmupBatchSizes()).containsExactly(1);
    assertThat(PytorchConfig.from(LoadOptions.defaults()).graphOptimizer()).isFalse();
  }

  @Test
  void load_withoutVerificationOrWarmup_stillServes() {
    try (Model model = load(FRAUD, LoadOptions.newBuilder().property(PytorchBackend.VERIFY_SIGNATURE, "false")
        .property(PytorchBackend.WARMUP_BATCH_SIZES, "none").build())) {
      assertThat(model.predictor().predict(NamedTensors.of("features", Tensor.ofFloats(new float[32], 1, 32)))
          .get("probabilities").toFloatArray()).hasSize(2);
    }
  }

  @Test
  void load_onAGpu_isBackendUnavailable_namingTheArtifacts() {
    assertThatThrownBy(() -> load(FRAUD, LoadOptions.newBuilder().device(Device.gpu(0)).build()))
        .isInstanceOf(BackendUnavailableException.class)
        .hasMessageContaining(LibTorch.NATIVE_ARTIFACT).hasMessageContaining("pytorch-native-cu128");
  }

  @Test
  void threads_intraOpIsSetByEachLoad_interOpOnlyOncePerProcess() {
    int interBefore;
    try (Model a = load(FRAUD, LoadOptions.newBuilder().intraOpThreads(1).build())) {
      assertThat(a.isClosed()).isFalse();
      assertThat(JniUtils.getNumThreads()).isEqualTo(1);
      interBefore = JniUtils.getNumInteropThreads();
    }
    int otherInterop = interBefore + 1;
    try (Model b = load(FRAUD, LoadOptions.newBuilder().intraOpThreads(2).interOpThreads(otherInterop).build())) {
      assertThat(JniUtils.getNumThreads()).isEqualTo(2);
      assertThat(JniUtils.getNumInteropThreads()).as("fixed once per process").isEqualTo(interBefore);
      assertThat(b.predictor().predict(NamedTensors.of("features", Tensor.ofFloats(new float[32], 1, 32)))
          .get("probabilities").toFloatArray()).hasSize(2);
    }
  }

  @Test
  void threads_eachCallRunsWithItsModelsIntraOpCount_onAThreadThatRanAnotherModelFirst() throws Exception {
    PytorchBackend backend = new PytorchBackend();
    NamedTensors in = NamedTensors.of("features", Tensor.ofFloats(new float[32], 1, 32));
    ExecutorService worker = Executors.newSingleThreadExecutor(); // a thread new to libtorch
    try (PytorchModelSession one = (PytorchModelSession) backend.load(new ModelSource(FRAUD, new ModelId("one", "1")),
            LoadOptions.newBuilder().intraOpThreads(1).build());
        PytorchModelSession two = (PytorchModelSession) backend.load(new ModelSource(FRAUD, new ModelId("two", "1")),
            LoadOptions.newBuilder().intraOpThreads(2).build())) {
      // libtorch keeps the count per thread, copied from the process-wide value (2: the latest load) on
      // the thread's first libtorch work; each call must set its own model's count
      List<Integer> seen = worker.submit(() -> {
        List<Integer> counts = new ArrayList<>();
        for (PytorchModelSession s : List.of(one, two, one, two)) {
          assertThat(s.run(in, List.of("probabilities")).get("probabilities").toFloatArray()).hasSize(2);
          counts.add(JniUtils.getNumThreads());
        }
        return counts;
      }).get();
      assertThat(seen).containsExactly(1, 2, 1, 2);
    } finally {
      worker.shutdownNow();
    }
  }

  @Test
  void threads_aFailedLoadLeavesTheIntraOpCountAsItWas() throws Exception {
    PytorchBackend backend = new PytorchBackend();
    LibTorch.engine();
    // a thread new to libtorch copies the process-wide count: the way to read it
    ExecutorService fresh = Executors.newCachedThreadPool();
    try {
      int before = fresh.submit(JniUtils::getNumThreads).get();
      LoadOptions other = LoadOptions.newBuilder().intraOpThreads(before + 1).build();
      Path refusesCall = fraudCopy("mask.pt", FRAUD_SIGNATURE.replace("\"inputs\": [", "\"inputs\": ["
          + "{\"name\": \"mask\", \"dtype\": \"FLOAT32\", \"shape\": [-1, 32]}, "));
      Path notTorchScript = tmp.resolve("garbage.pt");
      Files.writeString(notTorchScript, "not a zip");
      Files.writeString(SignatureFile.sidecarOf(notTorchScript), FRAUD_SIGNATURE);
      for (Path bad : List.of(refusesCall, notTorchScript)) {
        int[] loadingThread = fresh.submit(() -> {
          int own = JniUtils.getNumThreads();
          assertThatThrownBy(() -> backend.load(new ModelSource(bad, new ModelId("bad", "1")), other))
              .isInstanceOf(ModelLoadException.class);
          return new int[] {own, JniUtils.getNumThreads()};
        }).get();
        assertThat(loadingThread[1]).as("the loading thread's count after a failed load of " + bad).isEqualTo(loadingThread[0]);
        ExecutorService next = Executors.newSingleThreadExecutor();
        try {
          assertThat(next.submit(JniUtils::getNumThreads).get()).as("the process-wide count after a failed load of " + bad)
              .isEqualTo(before);
        } finally {
          next.shutdownNow();
        }
      }
    } finally {
      fresh.shutdownNow();
    }
  }

  // ------------------------------------------------------------------ native resources

  /** Native handles the model's DJL manager holds: its arrays, sub-managers and the module. */
  private static int nativeResources(NDManager manager) throws ReflectiveOperationException {
    Field f = BaseNDManager.class.getDeclaredField("resources");
    f.setAccessible(true);
    return ((Map<?, ?>) f.get(manager)).size() + manager.getManagedArrays().size();
  }

  @Test
  void everyCallFreesItsNativeTensors_onSuccessAndFailure_across10000CallsOn4Threads() throws Exception {
    PytorchBackend backend = new PytorchBackend();
    try (PytorchModelSession session = (PytorchModelSession) backend.load(
        new ModelSource(PT.resolve("multi_io.pt"), new ModelId("multi_io", "1")), LoadOptions.defaults())) {
      NDManager manager = session.manager();
      int baseline = nativeResources(manager);
      assertThat(baseline).as("the module").isPositive();
      assertThat(NativeValues.open()).as("IValues open before the calls").isZero();
      NamedTensors good = NamedTensors.of("a", Tensor.ofFloats(new float[] {1, 2, 3, 4}, 1, 4), "b",
          Tensor.ofFloats(new float[] {1, 1, 1, 1}, 1, 4));
      // bypasses core's validation on purpose: libtorch fails inside forward (shapes [1,4] and [1,3])
      NamedTensors bad = NamedTensors.of("a", Tensor.ofFloats(new float[] {1, 2, 3, 4}, 1, 4), "b",
          Tensor.ofFloats(new float[] {1, 1, 1}, 1, 3));
      int threads = 4;
      int calls = 2_500;
      CyclicBarrier start = new CyclicBarrier(threads);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<int[]>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          results.add(pool.submit(() -> {
            start.await();
            int ok = 0;
            int failed = 0;
            for (int i = 0; i < calls; i++) {
              if (i % 10 == 9) {
                try {
                  session.run(bad, List.of("sum"));
                } catch (RuntimeException e) {
                  failed++;
                }
              } else {
                float dot = session.run(good, List.of("dot", "sum")).get("dot").toFloatArray()[0];
                ok += dot == 10f ? 1 : 0;
              }
            }
            return new int[] {ok, failed};
          }));
        }
        for (Future<int[]> f : results) {
          assertThat(f.get()).containsExactly(calls * 9 / 10, calls / 10);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(nativeResources(manager)).as("native handles after 10,000 calls").isEqualTo(baseline);
      // the input and result IValues belong to no manager: 1,000 of those calls failed inside libtorch
      assertThat(NativeValues.open()).as("IValues still open after 10,000 calls").isZero();
    }
  }

  @Test
  void close_freesTheModule_andIsIdempotent() throws Exception {
    PytorchModelSession session = (PytorchModelSession) new PytorchBackend().load(
        new ModelSource(FRAUD, new ModelId("fraud", "1")), LoadOptions.defaults());
    NDManager manager = session.manager();
    assertThat(manager.isOpen()).isTrue();
    session.close();
    session.close();
    assertThat(manager.isOpen()).isFalse();
    assertThat(nativeResources(manager)).isZero();
  }

  @Test
  void identityOutputs_areCopiedOutOfNativeMemory_beforeTheCallsTensorsAreFreed() {
    try (Model model = load(PT.resolve("dtype_float64.pt"))) {
      List<Tensor> outs = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        outs.add(model.predictor().predict(NamedTensors.of("x", Tensor.ofDoubles(new double[] {i, i, i}, 1, 3))).get("y"));
      }
      for (int i = 0; i < 50; i++) {
        assertThat(outs.get(i).toDoubleArray()).containsExactly(new double[] {i, i, i}, within(0.0));
      }
    }
  }
}
