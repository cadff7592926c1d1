package dev.jinfer.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.BackendException;
import dev.jinfer.BackendUnavailableException;
import dev.jinfer.Backends;
import dev.jinfer.DType;
import dev.jinfer.Device;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelId;
import dev.jinfer.ModelLoadException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.io.Npy;
import dev.jinfer.spi.Backend;
import dev.jinfer.spi.ModelSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

class TensorflowBackendTest {
  private final TensorflowBackend backend = new TensorflowBackend();

  private static ModelSource source(Path path) {
    return new ModelSource(path, new ModelId("m", "1"));
  }

  private static Model load(Path dir, LoadOptions.Builder options) {
    return Backends.discover().load(dir, options.backend(TensorflowBackend.NAME).build());
  }

  private static Model load(Path dir) {
    return load(dir, LoadOptions.newBuilder());
  }

  // ------------------------------------------------------------------ discovery

  @Test
  void serviceLoader_findsTheBackend_byName_andModelLoadPicksItForASavedModelDirectory() {
    Backend found = Backends.discover().find("tensorflow").orElseThrow();
    assertThat(found).isInstanceOf(TensorflowBackend.class);
    assertThat(found.isAvailable()).isTrue();
    try (Model model = Model.load(Fixtures.tensorflow("fraud"))) {
      assertThat(model.backend()).isEqualTo("tensorflow");
    }
  }

  @Test
  void accepts_directoriesHoldingSavedModelPb_only(@TempDir Path dir) throws IOException {
    assertThat(backend.accepts(source(Fixtures.tensorflow("fraud")))).isTrue();
    assertThat(backend.accepts(source(Fixtures.tensorflow("dtype_float32")))).isTrue();
    assertThat(backend.accepts(source(Fixtures.tensorflow("fraud").resolve("saved_model.pb")))).isFalse();
    assertThat(backend.accepts(source(Fixtures.onnx("fraud.onnx")))).isFalse();
    assertThat(backend.accepts(source(dir))).isFalse(); // an empty directory
    Files.createDirectory(dir.resolve("saved_model.pb")); // a directory of that name is not the file
    assertThat(backend.accepts(source(dir))).isFalse();
    assertThat(backend.accepts(source(dir.resolve("missing")))).isFalse();
  }

  // ------------------------------------------------------------------ the fraud SavedModel

  @Test
  void fraud_matchesTheReferenceOutputOfTheOnnxModel_within1e5() {
    Tensor input = Npy.read(Fixtures.onnx("fraud_input.npy"));
    float[] expected = Npy.read(Fixtures.onnx("fraud_output.npy")).toFloatArray();
    try (Model model = load(Fixtures.tensorflow("fraud"))) {
      Tensor out = model.predictor().predict(NamedTensors.of("features", input)).get("probabilities");
      assertThat(out.shape()).isEqualTo(Shape.of(input.shape().dim(0), 2));
      float[] got = out.toFloatArray();
      double maxAbs = 0;
      for (int i = 0; i < got.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(got[i] - expected[i]));
      }
      assertThat(maxAbs).as("max abs difference from fraud_output.npy").isLessThanOrEqualTo(1e-5);
    }
  }

  @Test
  void signature_comesFromTheSavedModel_withNamesDtypesAndDynamicDims() {
    try (Model fraud = load(Fixtures.tensorflow("fraud")); Model multi = load(Fixtures.tensorflow("multi_io"))) {
      assertThat(fraud.signature().inputs()).containsExactly(TensorSpec.of("features", DType.FLOAT32, -1, 32));
      assertThat(fraud.signature().outputs()).containsExactly(TensorSpec.of("probabilities", DType.FLOAT32, -1, 2));
      assertThat(multi.signature().outputs()).containsExactly(TensorSpec.of("argmax_a", DType.INT64, -1),
          TensorSpec.of("dot", DType.FLOAT32, -1, 1), TensorSpec.of("sum", DType.FLOAT32, -1, 4));
      assertThat(fraud.metadata()).containsEntry("tensorflow.signature", "serving_default")
          .containsEntry("tensorflow.tags", "serve").containsEntry("tensorflow.signatures", "logits,serving_default")
          .containsEntry("tensorflow.version", "2.18.0")
          .containsEntry("tensorflow.default_signature", "serving_default")
          .containsEntry("tensorflow.signature.serving_default",
              "inputs: features FLOAT32 [-1, 32]; outputs: probabilities FLOAT32 [-1, 2]")
          .containsEntry("tensorflow.signature.logits", "inputs: features FLOAT32 [-1, 32]; outputs: logits FLOAT32 [-1, 2]");
    }
  }

  @Test
  void signatureProperty_selectsAnotherSignature_whoseSoftmaxIsTheDefaultOutput() {
    float[] row = new float[32];
    new Random(3).ints(32, -3, 4).forEach(new java.util.function.IntConsumer() {
      int i;

      @Override
      public void accept(int v) {
        row[i++] = v * 0.5f;
      }
    });
    NamedTensors in = NamedTensors.of("features", Tensor.ofFloats(row, 1, 32));
    try (Model probs = load(Fixtures.tensorflow("fraud"), LoadOptions.newBuilder().property(TensorflowBackend.TAGS, "serve"));
        Model logits = load(Fixtures.tensorflow("fraud"), LoadOptions.newBuilder().property(TensorflowBackend.SIGNATURE, "logits"))) {
      assertThat(logits.signature().outputNames()).containsExactly("logits");
      float[] z = logits.predictor().predict(in).get("logits").toFloatArray();
      float[] p = probs.predictor().predict(in).get("probabilities").toFloatArray();
      double e0 = Math.exp(z[0]);
      double e1 = Math.exp(z[1]);
      assertThat(p[0]).isCloseTo((float) (e0 / (e0 + e1)), org.assertj.core.api.Assertions.within(1e-6f));
    }
  }

  @Test
  void predict_acceptsHeapBackedInputs_suchAsAnotherModelsOutputs() {
    float[] values = {-0.0f, Float.NaN, 1.5f, Float.MAX_VALUE, -3f, Float.MIN_VALUE};
    try (Model identity = load(Fixtures.tensorflow("dtype_float32"))) {
      Tensor first = identity.predictor().predict(NamedTensors.of("x", Tensor.ofFloats(values, 2, 3))).get("y");
      assertThat(first.isDirect()).isFalse(); // outputs are copied into heap buffers
      java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      bytes.put(first.buffer()).flip();
      Tensor heap = Tensor.fromBuffer(DType.FLOAT32, bytes, 2, 3);
      for (Tensor in : List.of(first, heap, first.slice(1, 2))) {
        Tensor out = identity.predictor().predict(NamedTensors.of("x", in)).get("y");
        assertThat(out).isEqualTo(in);
      }
    }
  }

  @Test
  void inputs_areCopiedInOneBulkCopy_intoTheTensorsNativeMemory() {
    Tensor in = Tensor.ofFloats(new float[] {1, -2, 3.5f, Float.NaN, 0, 7}, 2, 3);
    try (org.tensorflow.Tensor t = TensorflowTensors.toTensorflow(in)) {
      java.nio.ByteBuffer view = TensorflowTensors.nativeView(t);
      assertThat(view).as("direct view of the tensor's memory (else the slower byte[] path runs)").isNotNull();
      assertThat(view.isDirect()).isTrue();
      assertThat((long) view.capacity()).isEqualTo(t.numBytes()).isEqualTo(24);
      assertThat(TensorflowTensors.fromTensorflow("x", DType.FLOAT32, t)).isEqualTo(in);
    }
  }

  // ------------------------------------------------------------------ bad SavedModels and options

  @Test
  void load_failsClearly_whenVariablesAreMissing(@TempDir Path dir) throws IOException {
    Path copy = Fixtures.copyTree(Fixtures.tensorflow("fraud"), dir.resolve("fraud"));
    try (var files = Files.list(copy.resolve("variables"))) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(copy.resolve("variables"));
    assertThatThrownBy(() -> load(copy)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(copy.toString()).hasMessageContaining("variables.index").hasMessageContaining("is missing")
        .hasMessageContaining("fc1/weight");
  }

  @Test
  void load_servesASavedModelWithoutVariables_thatHasNoVariablesDirectory(@TempDir Path dir) throws IOException {
    Path copy = Fixtures.copyTree(Fixtures.tensorflow("dtype_int32"), dir.resolve("dtype_int32"));
    Path variables = copy.resolve("variables");
    if (Files.exists(variables)) { // git keeps no empty directory; the exporter writes one
      Files.delete(variables);
    }
    try (Model model = load(copy)) {
      Tensor x = Tensor.ofInts(new int[] {1, 2, 3}, 1, 3);
      assertThat(model.predictor().predict(NamedTensors.of("x", x)).get("y")).isEqualTo(x);
    }
  }

  @Test
  void load_failsClearly_onAnUnknownTag_listingTheTagSets() {
    assertThatThrownBy(() -> load(Fixtures.tensorflow("fraud"), LoadOptions.newBuilder().property(TensorflowBackend.TAGS, "serve,gpu")))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("no meta graph with tags [serve, gpu]").hasMessageContaining("available tag sets: [[serve]]")
        .hasMessageContaining(TensorflowBackend.TAGS);
  }

  @Test
  void load_failsClearly_onAnUnknownSignature_listingTheAvailableOnes() {
    assertThatThrownBy(() -> load(Fixtures.tensorflow("fraud"), LoadOptions.newBuilder().property(TensorflowBackend.SIGNATURE, "predict")))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("no signature 'predict'").hasMessageContaining("available: [logits, serving_default]");
  }

  @Test
  void load_failsClearly_onACorruptSavedModelPb(@TempDir Path dir) throws IOException {
    Path copy = Fixtures.copyTree(Fixtures.tensorflow("fraud"), dir.resolve("fraud"));
    byte[] garbage = new byte[4096];
    new Random(7).nextBytes(garbage);
    Files.write(copy.resolve("saved_model.pb"), garbage);
    assertThatThrownBy(() -> load(copy)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(copy.resolve("saved_model.pb").toString());
    Files.writeString(copy.resolve("saved_model.pb"), "not a protobuf at all\n", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> load(copy)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(copy.resolve("saved_model.pb").toString());
  }

  @Test
  void load_refusesInt8AndInt16Signatures_namingTheTensorAndTheWorkaround() {
    for (String type : List.of("int8", "int16")) {
      assertThatThrownBy(() -> load(Fixtures.tensorflow("dtype_" + type))).isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("input 'x'").hasMessageContaining("DT_" + type.toUpperCase(java.util.Locale.ROOT))
          .hasMessageContaining("no tensor class").hasMessageContaining("DT_INT32");
    }
  }

  @Test
  void load_refusesATensorOfUnknownRank(@TempDir Path dir) throws IOException {
    Path model = dir.resolve("unknown_rank");
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      try (Session s = new Session(g)) {
        SavedModelBundle.exporter(model.toString()).withSession(s)
            .withSignature(Signature.builder().input("x", x).output("y", tf.withName("y").identity(x)).build()).export();
      }
    }
    assertThatThrownBy(() -> load(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("input 'x'").hasMessageContaining("unknown shape");
  }

  @Test
  void load_rejectsUnknownAndInvalidProperties_namingThem() {
    assertThatThrownBy(() -> load(Fixtures.tensorflow("fraud"), LoadOptions.newBuilder().property("tensorflow.tag", "serve")))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("tensorflow.tag").hasMessageContaining("tensorflow.tags");
    assertThatThrownBy(() -> load(Fixtures.tensorflow("fraud"), LoadOptions.newBuilder().property(TensorflowBackend.TAGS, "serve,")))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("tensorflow.tags").hasMessageContaining("serve,");
    assertThatThrownBy(() -> load(Fixtures.tensorflow("fraud"), LoadOptions.newBuilder().property(TensorflowBackend.SIGNATURE, " ")))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("tensorflow.signature");
  }

  @Test
  void gpu_withCpuNativesOnly_failsWithBackendUnavailable_namingTheGpuArtifact() {
    assertThatThrownBy(() -> load(Fixtures.tensorflow("fraud"), LoadOptions.newBuilder().device(Device.gpu(0))))
        .isInstanceOf(BackendUnavailableException.class)
        .hasMessageContaining("gpu:0").hasMessageContaining("org.tensorflow:tensorflow-core-native:1.1.0:linux-x86_64-gpu");
    assertThatThrownBy(() -> TensorflowBackend.requireGpuBuild(Device.gpu(1), false, "linux-arm64"))
        .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("linux-arm64-gpu");
  }

  @Test
  void gpuIndex_theFirstGpuLoadFixesItForTheProcess_anotherIndexFailsNamingBoth() throws Exception {
    TensorflowNatives.GpuIndex gpu = new TensorflowNatives.GpuIndex();
    assertThat(gpu.claimed()).isEqualTo(-1);
    // concurrent first loads on two GPUs: exactly one index wins
    int threads = 8;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<Boolean>> claims = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        Device device = Device.gpu(t % 2);
        claims.add(pool.submit(() -> {
          start.await();
          try {
            gpu.claim(device);
            return true;
          } catch (BackendUnavailableException e) {
            return false;
          }
        }));
      }
      int won = 0;
      for (Future<Boolean> f : claims) {
        won += f.get() ? 1 : 0;
      }
      assertThat(won).as("the loads on the first claimed GPU").isEqualTo(threads / 2);
    } finally {
      pool.shutdownNow();
    }
    int first = gpu.claimed();
    assertThat(first).isIn(0, 1);
    gpu.claim(Device.gpu(first)); // the same index again is fine
    assertThatThrownBy(() -> gpu.claim(Device.gpu(1 - first))).isInstanceOf(BackendUnavailableException.class)
        .hasMessageContaining("gpu:" + (1 - first)).hasMessageContaining("already runs TensorFlow on gpu:" + first)
        .hasMessageContaining("visible_device_list");
    assertThat(gpu.claimed()).isEqualTo(first);
  }

  @Test
  void optimizationLevelNone_andRemapping_loadAndServeTheSameResults() {
    Tensor input = Npy.read(Fixtures.onnx("fraud_input.npy"));
    try (Model base = load(Fixtures.tensorflow("fraud"));
        Model none = load(Fixtures.tensorflow("fraud"), LoadOptions.newBuilder().optimizationLevel(dev.jinfer.OptimizationLevel.NONE)
            .intraOpThreads(1).interOpThreads(1));
        Model remap = load(Fixtures.tensorflow("fraud"), LoadOptions.newBuilder().property(TensorflowBackend.REMAPPING, "true"))) {
      float[] expected = base.predictor().predict(NamedTensors.of("features", input)).get("probabilities").toFloatArray();
      for (Model m : List.of(none, remap)) {
        float[] got = m.predictor().predict(NamedTensors.of("features", input)).get("probabilities").toFloatArray();
        assertThat(got).containsExactly(expected, org.assertj.core.api.Assertions.within(1e-5f));
      }
    }
  }

  // ------------------------------------------------------------------ native handles

  @Test
  void calls_closeEveryNativeTensor_onSuccessAndWhenTheEngineFailsHalfWay(@TempDir Path dir) throws IOException {
    // y = reshape(x, [2, -1]) fails inside TensorFlow for an odd number of elements, after the inputs were fed
    Path model = dir.resolve("reshape");
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(org.tensorflow.ndarray.Shape.of(-1)));
      try (Session s = new Session(g)) {
        SavedModelBundle.exporter(model.toString()).withSession(s).withSignature(Signature.builder().input("x", x)
            .output("y", tf.withName("y").reshape(x, tf.constant(new long[] {2, -1}))).build()).export();
      }
    }
    try (Model m = load(model)) {
      NamedTensors even = NamedTensors.of("x", Tensor.ofFloats(new float[] {1, 2, 3, 4}, 4));
      NamedTensors odd = NamedTensors.of("x", Tensor.ofFloats(new float[] {1, 2, 3}, 3));
      assertThat(m.predictor().predict(even).get("y").shape()).isEqualTo(Shape.of(2, 2));
      assertThatThrownBy(() -> m.predictor().predict(odd)).isInstanceOf(BackendException.class)
          .hasMessageContaining("reshape");
      long before = Pointer.totalCount();
      for (int i = 0; i < 200; i++) {
        m.predictor().predict(even);
        assertThatThrownBy(() -> m.predictor().predict(odd)).isInstanceOf(BackendException.class);
      }
      // JavaCPP counts every native pointer it still has to free: a leaked tensor or result would stay counted
      assertThat(Pointer.totalCount()).as("native pointers still held after 400 calls").isLessThanOrEqualTo(before);
      assertThat(m.predictor().predict(even).get("y").toFloatArray()).containsExactly(1, 2, 3, 4);
    }
  }
}
