package dev.jinfer.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession.SessionOptions;
import dev.jinfer.BackendUnavailableException;
import dev.jinfer.Backends;
import dev.jinfer.DType;
import dev.jinfer.Device;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelId;
import dev.jinfer.ModelLoadException;
import dev.jinfer.NamedTensors;
import dev.jinfer.OptimizationLevel;
import dev.jinfer.Tensor;
import dev.jinfer.spi.Backend;
import dev.jinfer.spi.ModelSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxBackendTest {
  private final OnnxBackend backend = new OnnxBackend();

  private static ModelSource source(Path path) {
    return new ModelSource(path, new ModelId("m", "1"));
  }

  private static LoadOptions forced(LoadOptions.Builder b) {
    return b.backend(OnnxBackend.NAME).build();
  }

  // ------------------------------------------------------------------ discovery

  @Test
  void serviceLoader_findsTheBackend_byName() {
    Backend found = Backends.discover().find("onnx").orElseThrow();
    assertThat(found).isInstanceOf(OnnxBackend.class);
    assertThat(found.priority()).isEqualTo(100);
    assertThat(found.isAvailable()).isTrue();
  }

  @Test
  void accepts_onnxAndOrtFiles_byExtension(@TempDir Path dir) throws IOException {
    assertThat(backend.accepts(source(Fixtures.onnx("fraud.onnx")))).isTrue();
    Path upper = Files.write(dir.resolve("MODEL.ONNX"), new byte[] {1, 2, 3});
    assertThat(backend.accepts(source(upper))).isTrue();
    Path ort = Files.write(dir.resolve("model.ort"), new byte[] {1, 2, 3});
    assertThat(backend.accepts(source(ort))).isTrue();
  }

  @Test
  void accepts_aModelProtoWithAnyName_bySniffingItsFirstBytes(@TempDir Path dir) throws IOException {
    Path renamed = Files.copy(Fixtures.onnx("fraud.onnx"), dir.resolve("fraud.bin"));
    assertThat(backend.accepts(source(renamed))).isTrue();
    Path tiny = TinyOnnx.write(dir.resolve("tiny.model"), "Identity", TinyOnnx.FLOAT, false, Map.of());
    assertThat(backend.accepts(source(tiny))).isTrue();
  }

  @Test
  void accepts_rejectsTextGarbageDirectoriesAndMissingFiles(@TempDir Path dir) throws IOException {
    Path text = dir.resolve("notes.txt");
    Files.writeString(text, "not a model\n", StandardCharsets.UTF_8);
    assertThat(backend.accepts(source(text))).isFalse();

    byte[] garbage = new byte[256];
    new Random(42).nextBytes(garbage);
    garbage[0] = 0x17;
    assertThat(backend.accepts(source(Files.write(dir.resolve("garbage.bin"), garbage)))).isFalse();
    // right first byte, then nonsense: a huge varint and no valid field tag
    assertThat(backend.accepts(source(Files.write(dir.resolve("almost.bin"),
        new byte[] {0x08, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x00, 0x00})))).isFalse();
    assertThat(backend.accepts(source(Files.write(dir.resolve("tab.txt"),
        "\bhello world".getBytes(StandardCharsets.US_ASCII))))).isFalse();
    assertThat(backend.accepts(source(Files.write(dir.resolve("empty.bin"), new byte[0])))).isFalse();

    Path folder = Files.createDirectory(dir.resolve("model.onnx"));
    assertThat(backend.accepts(source(folder))).isFalse();
    assertThat(backend.accepts(source(dir.resolve("missing.bin")))).isFalse();
  }

  @Test
  void backends_pickOnnx_forAnOnnxFile_andNoBackend_forText(@TempDir Path dir) throws IOException {
    try (Model model = Backends.discover().load(Fixtures.onnx("fraud.onnx"))) {
      assertThat(model.backend()).isEqualTo("onnx");
      assertThat(model.device()).isEqualTo(Device.cpu());
    }
    Path text = Files.writeString(dir.resolve("model.txt"), "hello", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Backends.discover().load(text)).isInstanceOf(BackendUnavailableException.class);
  }

  // ------------------------------------------------------------------ GPU

  @Test
  void load_onGpu_withTheCpuOnlyRuntime_failsNamingTheGpuArtifact() {
    assertThat(OrtEnvironment.getAvailableProviders()).doesNotContain(OrtProvider.CUDA);
    String version = OrtEnvironment.getEnvironment().getVersion();
    assertThatThrownBy(() -> Model.load(Fixtures.onnx("fraud.onnx"), forced(LoadOptions.newBuilder().device(Device.gpu(0)))))
        .isInstanceOf(BackendUnavailableException.class)
        .hasMessageContaining("device gpu:0")
        .hasMessageContaining("CUDA")
        .hasMessageContaining("com.microsoft.onnxruntime:onnxruntime_gpu:" + version)
        .hasMessageContaining("replace com.microsoft.onnxruntime:onnxruntime ")
        .hasMessageContaining("never both");
    assertThat(version).isEqualTo("1.23.2");
  }

  @Test
  void requireCuda_passes_whenTheProviderIsPresent() {
    OnnxBackend.requireCuda(Device.gpu(1), EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA), "1.23.2");
  }

  // ------------------------------------------------------------------ options and properties

  @Test
  void sessionOptions_disableSpinning_byDefault_andEnableItOnRequest() throws Exception {
    OnnxConfig defaults = OnnxConfig.from(LoadOptions.defaults(), 1_000_000);
    try (SessionOptions so = defaults.sessionOptions(true)) {
      assertThat(so.getConfigEntries()).containsEntry("session.intra_op.allow_spinning", "0")
          .containsEntry("session.inter_op.allow_spinning", "0");
    }
    OnnxConfig spinning = OnnxConfig.from(LoadOptions.newBuilder().property(OnnxBackend.SPINNING, "true").build(), 1_000_000);
    try (SessionOptions so = spinning.sessionOptions(true)) {
      assertThat(so.getConfigEntries()).containsEntry("session.intra_op.allow_spinning", "1");
    }
  }

  @Test
  void config_splitsIntraOpThreadsAcrossTheSessions_andMapsTheOptimizationLevel() {
    OnnxConfig c = OnnxConfig.from(LoadOptions.newBuilder().intraOpThreads(4).interOpThreads(2)
        .optimizationLevel(OptimizationLevel.BASIC).property(OnnxBackend.SESSIONS, "2").build(), 1_000_000);
    assertThat(c.sessions()).isEqualTo(2);
    assertThat(c.intraOpThreads()).isEqualTo(2);
    assertThat(c.interOpThreads()).isEqualTo(2);
    assertThat(c.optLevel()).isEqualTo(SessionOptions.OptLevel.BASIC_OPT);
    assertThat(OnnxConfig.optLevel(OptimizationLevel.NONE)).isEqualTo(SessionOptions.OptLevel.NO_OPT);
    assertThat(OnnxConfig.optLevel(OptimizationLevel.EXTENDED)).isEqualTo(SessionOptions.OptLevel.EXTENDED_OPT);
    assertThat(OnnxConfig.optLevel(OptimizationLevel.ALL)).isEqualTo(SessionOptions.OptLevel.ALL_OPT);
    OnnxConfig moreSessionsThanThreads = OnnxConfig.from(LoadOptions.newBuilder().intraOpThreads(2)
        .property(OnnxBackend.SESSIONS, "3").build(), 1_000_000);
    assertThat(moreSessionsThanThreads.intraOpThreads()).isEqualTo(1);
  }

  @Test
  void sessions_defaultToOnePerCpuUpToFour_andToOneForBigModels() {
    assertThat(OnnxConfig.defaultSessions(1_000_000, 1)).isEqualTo(1);
    assertThat(OnnxConfig.defaultSessions(1_000_000, 2)).isEqualTo(2);
    assertThat(OnnxConfig.defaultSessions(1_000_000, 64)).isEqualTo(OnnxBackend.MAX_DEFAULT_SESSIONS);
    assertThat(OnnxConfig.defaultSessions(OnnxBackend.POOL_MAX_MODEL_BYTES, 8)).isEqualTo(4);
    assertThat(OnnxConfig.defaultSessions(OnnxBackend.POOL_MAX_MODEL_BYTES + 1, 8)).isEqualTo(1);

    OnnxConfig defaults = OnnxConfig.from(LoadOptions.defaults(), 1_000_000);
    int cpus = LoadOptions.availableCpus();
    assertThat(defaults.sessions()).isEqualTo(Math.min(cpus, 4));
    assertThat(defaults.intraOpThreads()).as("the CPUs split across the sessions").isEqualTo(Math.max(1, cpus / defaults.sessions()));
    assertThat(OnnxConfig.from(LoadOptions.newBuilder().property(OnnxBackend.SESSIONS, "1").build(), 1_000_000)
        .intraOpThreads()).isEqualTo(cpus);
  }

  @Test
  void load_withSpinningOn_andEveryOptimizationLevel_servesTheSameResult() {
    float[] row = new float[32];
    row[0] = 1;
    float[] reference = null;
    for (OptimizationLevel level : OptimizationLevel.values()) {
      LoadOptions options = forced(LoadOptions.newBuilder().optimizationLevel(level)
          .property(OnnxBackend.SPINNING, "true").property(OnnxBackend.CPU_ARENA, "false")
          .property(OnnxBackend.MEMORY_PATTERN, "false"));
      try (Model model = Model.load(Fixtures.onnx("fraud.onnx"), options)) {
        float[] p = model.predictor().predict(NamedTensors.of("features", Tensor.ofFloats(row, 1, 32)))
            .get("probabilities").toFloatArray();
        if (reference == null) {
          reference = p;
        }
        assertThat(p).containsExactly(reference, within(1e-6f));
      }
    }
  }

  @Test
  void load_writesTheOptimizedModel_whenAsked_andThatFileLoads(@TempDir Path dir) {
    Path optimized = dir.resolve("fraud.optimized.onnx");
    // EXTENDED: with ALL, ONNX Runtime warns that the file may hold kernels specific to this CPU
    LoadOptions options = forced(LoadOptions.newBuilder().optimizationLevel(OptimizationLevel.EXTENDED)
        .property(OnnxBackend.OPTIMIZED_MODEL_PATH, optimized.toString()).property(OnnxBackend.SESSIONS, "2"));
    try (Model model = Model.load(Fixtures.onnx("fraud.onnx"), options)) {
      assertThat(model.signature().outputNames()).containsExactly("probabilities");
    }
    assertThat(optimized).isRegularFile();
    try (Model reloaded = Model.load(optimized)) {
      assertThat(reloaded.signature().input("features")).isPresent();
    }
  }

  @Test
  void load_rejectsInvalidProperties_namingThem() {
    Path fraud = Fixtures.onnx("fraud.onnx");
    assertThatThrownBy(() -> Model.load(fraud, forced(LoadOptions.newBuilder().property(OnnxBackend.SESSIONS, "0"))))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("onnx.sessions").hasMessageContaining(">= 1");
    assertThatThrownBy(() -> Model.load(fraud, forced(LoadOptions.newBuilder().property(OnnxBackend.SPINNING, "yes"))))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("onnx.spinning");
    assertThatThrownBy(() -> Model.load(fraud, forced(LoadOptions.newBuilder().property("onnx.session", "2"))))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("onnx.session ").hasMessageContaining("onnx.sessions");
  }

  // ------------------------------------------------------------------ models jinfer cannot represent, bad files

  @Test
  void load_rejectsASequenceOutput_namingTheOutput(@TempDir Path dir) throws IOException {
    Path model = TinyOnnx.write(dir.resolve("seq.onnx"), "SequenceConstruct", TinyOnnx.FLOAT, true, Map.of());
    assertThatThrownBy(() -> Model.load(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("output 'y'").hasMessageContaining("sequence").hasMessageContaining("zipmap");
  }

  @Test
  void load_rejectsAnUnsupportedElementType_namingTheInput(@TempDir Path dir) throws IOException {
    Path model = TinyOnnx.write(dir.resolve("u16.onnx"), "Identity", TinyOnnx.UINT16, false, Map.of());
    assertThatThrownBy(() -> Model.load(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("input 'x'").hasMessageContaining("UINT16");
  }

  @Test
  void load_rejectsCorruptAndTruncatedFiles(@TempDir Path dir) throws IOException {
    byte[] fraud = Files.readAllBytes(Fixtures.onnx("fraud.onnx"));
    Path truncated = Files.write(dir.resolve("truncated.onnx"), Arrays.copyOf(fraud, fraud.length / 2));
    assertThatThrownBy(() -> Model.load(truncated)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("truncated.onnx");
    Path text = Files.writeString(dir.resolve("text.onnx"), "definitely not protobuf", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Model.load(text)).isInstanceOf(ModelLoadException.class).hasMessageContaining("text.onnx");
    Path pooled = Files.write(dir.resolve("pooled.onnx"), Arrays.copyOf(fraud, fraud.length / 2));
    assertThatThrownBy(() -> Model.load(pooled, LoadOptions.newBuilder().property(OnnxBackend.SESSIONS, "3").build()))
        .isInstanceOf(ModelLoadException.class);
  }

  @Test
  void metadata_includesModelFieldsAndCustomMetadata(@TempDir Path dir) throws IOException {
    Path path = TinyOnnx.write(dir.resolve("meta.onnx"), "Identity", TinyOnnx.FLOAT, false,
        Map.of("author", "jinfer", "threshold", "0.7"));
    try (Model model = Model.load(path)) {
      assertThat(model.metadata())
          .containsEntry("onnx.producer_name", "jinfer-tests")
          .containsEntry("onnx.producer_version", "0.0.1")
          .containsEntry("onnx.domain", "dev.jinfer.test")
          .containsEntry("onnx.model_version", "3")
          .containsEntry("onnx.description", "tiny test model")
          .containsEntry("onnx.graph_name", "tiny_graph")
          .containsEntry("onnx.graph_description", "a graph for tests")
          .containsEntry("onnx.ir_version", "8")
          .containsEntry("onnx.opset_import", "ai.onnx:17")
          .containsEntry("author", "jinfer")
          .containsEntry("threshold", "0.7");
      Tensor x = Tensor.ofFloats(new float[] {1, 2, 3}, 1, 3);
      assertThat(model.predictor().predict(NamedTensors.of("x", x)).get("y")).isEqualTo(x);
      assertThat(model.signature().input("x").orElseThrow().dtype()).isEqualTo(DType.FLOAT32);
    }
  }
}
