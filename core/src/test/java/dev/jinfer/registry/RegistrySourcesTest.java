package dev.jinfer.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.Backends;
import dev.jinfer.LoadOptions;
import dev.jinfer.ModelLoadException;
import dev.jinfer.ModelNotFoundException;
import dev.jinfer.Predictor;
import dev.jinfer.RecordingBackend;
import dev.jinfer.ScaleBackend;
import dev.jinfer.TestJars;
import dev.jinfer.spi.ModelSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry whose versions come from classpath resources (a directory or a jar on the class path) and from
 * bytes, streams, single resources and paths registered at run time: in memory where the backend loads from
 * bytes, else through a temporary copy deleted when the version closes; hot swap, status and errors as for a
 * directory repository.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegistrySourcesTest {
  @TempDir Path dir;

  static float factor(Predictor p) {
    return p.predict(ScaleBackend.input(new float[] {1, 1})).get("y").toFloatArray()[0];
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Writes files (relative path to content) under a directory. */
  private static Path tree(Path root, Map<String, String> files) throws IOException {
    for (Map.Entry<String, String> e : files.entrySet()) {
      Path p = root.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.writeString(p, e.getValue());
    }
    return root;
  }

  /** Writes a jar holding the files (entry name to text), with the directory entries Maven's jar plugin writes. */
  private static Path jar(Path file, Map<String, String> files) throws IOException {
    Map<String, byte[]> contents = new java.util.TreeMap<>();
    files.forEach((name, text) -> contents.put(name, bytes(text)));
    return TestJars.write(file, contents);
  }

  // ------------------------------------------------------------------ each version's source in the status

  private static String source(ModelRegistry registry, String model, String version) {
    return registry.status().model(model).orElseThrow().version(version).orElseThrow().source();
  }

  @Test
  void status_namesEachVersionsSource_directoryClasspathBytesStreamResourceAndPath() throws IOException {
    RegistryRepo repo = new RegistryRepo(dir.resolve("repo"));
    repo.scale("fraud", "1", 1f);
    Path outside = Files.writeString(dir.resolve("five.scale"), "5.0");
    try (ModelRegistry registry = ModelRegistry.newBuilder(repo.root()).backends(Backends.of(new ScaleBackend()))
        .defaultPolicy(VersionPolicy.all()).build()) {
      registry.start();
      Path versionDir = registry.root().resolve("fraud").resolve("1");
      assertThat(source(registry, "fraud", "1")).isEqualTo(versionDir.toString());
      registry.register("fraud", "2", bytes("2.0"), "two.scale");
      registry.register("fraud", "3", new ByteArrayInputStream(bytes("3.0")), "three.scale");
      ClassLoader before = Thread.currentThread().getContextClassLoader();
      Thread.currentThread().setContextClassLoader(RegistrySourcesTest.class.getClassLoader());
      try {
        registry.registerResource("fraud", "4", "classpath:/jinfer-test-models/fraud/2/model.scale");
      } finally {
        Thread.currentThread().setContextClassLoader(before);
      }
      registry.register("fraud", "5", outside);
      assertThat(source(registry, "fraud", "2")).isEqualTo("registered from the bytes of two.scale (3 bytes)");
      assertThat(source(registry, "fraud", "3")).isEqualTo("registered from a stream of three.scale (3 bytes)");
      assertThat(source(registry, "fraud", "4")).isEqualTo("registered from classpath resource 'jinfer-test-models/fraud/2/model.scale'");
      assertThat(source(registry, "fraud", "5")).isEqualTo("registered from path " + outside);

      registry.register("fraud", "1", bytes("9.0"), "nine.scale");
      assertThat(factor(registry.predictor("fraud", "1"))).isEqualTo(9f);
      assertThat(source(registry, "fraud", "1")).as("a registration takes the repository version's place")
          .isEqualTo("registered from the bytes of nine.scale (3 bytes)");
      registry.unregister("fraud", "1");
      assertThat(factor(registry.predictor("fraud", "1"))).isEqualTo(1f);
      assertThat(source(registry, "fraud", "1")).as("and gives it back").isEqualTo(versionDir.toString());
    }
    try (ModelRegistry registry = ModelRegistry.newClasspathBuilder(RegistrySourcesTest.class.getClassLoader(), "jinfer-test-models")
        .backends(Backends.of(new ScaleBackend())).build()) {
      registry.start();
      assertThat(source(registry, "fraud", "2")).isEqualTo("classpath:jinfer-test-models/fraud/2/");
      assertThat(source(registry, "fraud", "1")).as("known, not loaded (the policy wants the latest)")
          .isEqualTo("classpath:jinfer-test-models/fraud/1/");
    }
  }

  // ------------------------------------------------------------------ classpath repositories

  @Test
  void classpathRepository_onTheTestClassPath_servesTheLatestVersion_fromMemory_withItsChecksumChecked() {
    RecordingBackend scale = new RecordingBackend(new ScaleBackend(), true);
    try (ModelRegistry registry = ModelRegistry.newClasspathBuilder("classpath:/jinfer-test-models/")
        .backends(Backends.of(scale)).integrity(IntegrityMode.IF_PRESENT).pollInterval(Duration.ofMillis(10)).build()) {
      RegistryStatus status = registry.start();
      assertThat(status.isReady()).isTrue();
      assertThat(status.isLive()).as("a classpath repository is not polled, and the registry is live without a watch").isTrue();
      assertThat(registry.repository()).isEqualTo("classpath:jinfer-test-models/");
      assertThatThrownBy(registry::root).isInstanceOf(IllegalStateException.class).hasMessageContaining("classpath:jinfer-test-models/");
      ModelStatus fraud = status.model("fraud").orElseThrow();
      assertThat(fraud.servingVersion()).contains("2");
      assertThat(factor(registry.predictor("fraud"))).isEqualTo(2f);
      assertThat(registry.predictor("fraud").modelId().version()).isEqualTo("2");
      assertThat(scale.seen).as("version 2 loaded from the resource's bytes, no file").hasSize(1)
          .allMatch(ModelSource::inMemory);
      assertThat(registry.reload().isReady()).as("reload of an immutable repository changes nothing").isTrue();
      assertThat(scale.seen).hasSize(1);
      assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName).doesNotContain(ModelRegistry.WATCH_THREAD_NAME);
    }
  }

  @Test
  void classpathRepository_inAJar_isListedFromTheJarsEntries() throws IOException {
    Path jar = jar(dir.resolve("models.jar"), Map.of(
        "models/fraud/1/model.scale", "1.0",
        "models/fraud/7/model.scale", "7.0",
        "models/churn/3/model.scale", "3.0",
        "models/README.md", "not a model directory",
        "other/fraud/9/model.scale", "9.0"));
    RecordingBackend scale = new RecordingBackend(new ScaleBackend(), true);
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
        ModelRegistry registry = ModelRegistry.newClasspathBuilder(loader, "/models").backends(Backends.of(scale)).build()) {
      RegistryStatus status = registry.start();
      assertThat(status.models()).extracting(ModelStatus::name).containsExactly("churn", "fraud");
      assertThat(factor(registry.predictor("fraud"))).isEqualTo(7f);
      assertThat(factor(registry.predictor("churn"))).isEqualTo(3f);
      assertThat(status.isReady()).isTrue();
    }
  }

  @Test
  void classpathRepository_fileOnlyBackend_getsATemporaryCopyWithTheFilesBesideIt_deletedWhenTheVersionRetires() throws IOException {
    Path classes = tree(dir.resolve("classes"), Map.of(
        "models/fraud/1/model.scale", "1.0",
        "models/fraud/1/signature.json", "{\"inputs\": []}"));
    RecordingBackend scale = new RecordingBackend(new ScaleBackend(), false);
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null);
        ModelRegistry registry = ModelRegistry.newClasspathBuilder(loader, "models/").backends(Backends.of(scale)).build()) {
      registry.start();
      assertThat(factor(registry.predictor("fraud"))).isEqualTo(1f);
      Path copy = scale.filesSeen().get(0);
      assertThat(copy).as("the engine read a file outside the class path").exists().isRegularFile()
          .matches(p -> !p.startsWith(classes), "is outside the class path");
      assertThat(copy.resolveSibling("signature.json")).as("the files beside the artifact came along").exists();
      Path tmp = copy.getParent().getParent().getParent();
      assertThat(tmp.getFileName().toString()).startsWith("jinfer-classpath-");

      registry.register("fraud", "2", bytes("2.0"), "model.scale");
      assertThat(factor(registry.predictor("fraud"))).isEqualTo(2f);
      assertThat(tmp).as("the copy of version 1 is deleted once version 1 is retired and closed").doesNotExist();
      assertThat(scale.filesSeen().get(1)).as("the registered bytes' own temporary copy is gone once loaded").doesNotExist();
    }
  }

  @Test
  void classpathRepository_savedModelDirectory_loadsFromATemporaryCopy_deletedWhenTheRegistryCloses() throws IOException {
    Path classes = tree(dir.resolve("classes"), Map.of(
        "models/tf/1/saved_model.pb", "",
        "models/tf/1/factor", "5.0",
        "models/tf/1/variables/variables.index", "x"));
    RecordingBackend dirs = new RecordingBackend(new RegistryRepo.DirBackend(), false);
    Path copy;
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null);
        ModelRegistry registry = ModelRegistry.newClasspathBuilder(loader, "models").backends(Backends.of(dirs)).build()) {
      assertThat(registry.start().isReady()).isTrue();
      assertThat(factor(registry.predictor("tf"))).isEqualTo(5f);
      copy = dirs.filesSeen().get(0);
      assertThat(copy).isDirectory();
      assertThat(copy.resolve("variables/variables.index")).exists();
      assertThat(registry.close(Duration.ofSeconds(10))).isTrue();
    }
    assertThat(copy).doesNotExist();
    assertThat(copy.getParent().getParent()).as("the whole temporary directory").doesNotExist();
  }

  @Test
  void classpathRepository_checksums_aCorruptResourceFails_namingIt_andRequiredWantsAChecksumFile() throws IOException {
    Path classes = tree(dir.resolve("classes"), Map.of(
        "models/fraud/1/model.scale", "1.0",
        "models/fraud/2/model.scale", "2.0",
        "models/fraud/2/model.scale.sha256", RegistryRepo.sha256(bytes("3.0")) + "  model.scale\n"));
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
      try (ModelRegistry registry = ModelRegistry.newClasspathBuilder(loader, "models")
          .backends(Backends.of(new RecordingBackend(new ScaleBackend(), true))).build()) {
        ModelStatus fraud = registry.start().model("fraud").orElseThrow();
        assertThat(fraud.version("2").orElseThrow().state()).isEqualTo(VersionState.FAILED);
        assertThat(fraud.version("2").orElseThrow().error().orElseThrow()).contains("sha256 mismatch")
            .contains("classpath:models/fraud/2/model.scale");
        assertThat(fraud.servingVersion()).as("the policy falls back to the version that loads").contains("1");
      }
      try (ModelRegistry registry = ModelRegistry.newClasspathBuilder(loader, "models").integrity(IntegrityMode.REQUIRED)
          .backends(Backends.of(new RecordingBackend(new ScaleBackend(), true))).build()) {
        ModelStatus fraud = registry.start().model("fraud").orElseThrow();
        assertThat(fraud.version("1").orElseThrow().error().orElseThrow())
            .contains("integrity REQUIRED expected a checksum file classpath:models/fraud/1/model.scale.sha256");
        assertThat(fraud.isReady()).isFalse();
      }
    }
  }

  @Test
  void classpathRepository_locationErrors_nameTheLocation() throws IOException {
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
      assertThatThrownBy(() -> ModelRegistry.newClasspathBuilder(loader, "missing/"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("classpath:missing/")
          .hasMessageContaining("finds none");
      assertThatThrownBy(() -> ModelRegistry.newClasspathBuilder(loader, "classpath:/"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'classpath:/'");
      assertThatThrownBy(() -> ModelRegistry.newClasspathBuilder(loader, "models/../secrets"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no '..'");
    }
  }

  // ------------------------------------------------------------------ registered versions

  @Test
  void register_bytesStreamResourceAndPath_swapTraffic_andUnregisterGoesBack() throws IOException {
    RecordingBackend scale = new RecordingBackend(new ScaleBackend(), true);
    Path file = Files.writeString(dir.resolve("four.scale"), "4.0");
    try (ModelRegistry registry = ModelRegistry.newBuilder().backends(Backends.of(scale)).build()) {
      assertThat(registry.start().isReady()).as("nothing required, nothing registered").isTrue();
      assertThat(registry.repository()).isEqualTo("no repository (registered models only)");
      assertThat(registry.register("fraud", "1", bytes("1.0"), "fraud.scale").servingVersion()).contains("1");
      Predictor fraud = registry.predictor("fraud");
      assertThat(factor(fraud)).isEqualTo(1f);
      assertThat(registry.register("fraud", "2", new ByteArrayInputStream(bytes("2.0")), "fraud.scale").servingVersion()).contains("2");
      assertThat(factor(fraud)).as("the stable handle follows the swap").isEqualTo(2f);
      ModelStatus s = registry.registerResource("fraud", "3", "classpath:/jinfer-test-models/fraud/1/model.scale");
      assertThat(s.servingVersion()).contains("3");
      assertThat(factor(fraud)).isEqualTo(1f);
      assertThat(registry.register("fraud", "4", file).servingVersion()).contains("4");
      assertThat(factor(fraud)).isEqualTo(4f);
      assertThat(registry.status().model("fraud").orElseThrow().version("3").orElseThrow().state())
          .as("the latest policy retires the rest").isEqualTo(VersionState.UNLOADED);
      assertThat(fraud.modelId().version()).isEqualTo("4");

      assertThat(registry.unregister("fraud", "4").servingVersion()).as("back to the highest registered").contains("3");
      assertThat(factor(fraud)).isEqualTo(1f);
      assertThatThrownBy(() -> registry.unregister("fraud", "4")).isInstanceOf(ModelNotFoundException.class)
          .hasMessageContaining("version 4 was not registered").hasMessageContaining("[1, 2, 3]");
      assertThat(registry.status().isReady()).isTrue();
    }
  }

  @Test
  void register_overADirectoryRepository_replacesItsVersion_untilUnregistered() throws IOException {
    RegistryRepo repo = new RegistryRepo(dir);
    repo.scale("fraud", "1");
    try (ModelRegistry registry = ModelRegistry.newBuilder(repo.root()).backends(Backends.of(new ScaleBackend())).build()) {
      registry.start();
      Predictor fraud = registry.predictor("fraud");
      assertThat(factor(fraud)).isEqualTo(1f);
      registry.register("fraud", "1", bytes("5.0"), "model.scale");
      assertThat(factor(fraud)).as("the registered bytes take the place of the directory's version 1").isEqualTo(5f);
      registry.register("churn", "1", bytes("6.0"), "model.scale");
      assertThat(factor(registry.predictor("churn"))).isEqualTo(6f);
      assertThat(registry.reload().isReady()).as("a scan keeps what was registered").isTrue();
      assertThat(factor(fraud)).isEqualTo(5f);
      assertThat(factor(registry.predictor("churn"))).isEqualTo(6f);
      registry.unregister("fraud", "001");
      assertThat(factor(fraud)).as("the directory's version 1 again").isEqualTo(1f);
    }
  }

  @Test
  void register_fileOnlyBackend_loadsATemporaryCopy_thatIsGoneOnceLoaded() {
    RecordingBackend scale = new RecordingBackend(new ScaleBackend(), false);
    try (ModelRegistry registry = ModelRegistry.newBuilder().backends(Backends.of(scale)).build()) {
      registry.start();
      registry.register("fraud", "1", bytes("3.0"), "fraud.scale");
      assertThat(factor(registry.predictor("fraud"))).isEqualTo(3f);
      assertThat(scale.filesSeen()).hasSize(1);
      assertThat(scale.filesSeen().get(0)).doesNotExist();
      assertThat(scale.filesSeen().get(0).getParent()).doesNotExist();
    }
  }

  @Test
  void register_badSources_failWithTypedErrorsNamingTheSource_andTheServingVersionKeepsServing() throws IOException {
    ScaleBackend scale = new ScaleBackend();
    try (ModelRegistry registry = ModelRegistry.newBuilder().backends(Backends.of(scale)).build()) {
      assertThatThrownBy(() -> registry.register("fraud", "1", bytes("1.0"), "fraud.scale"))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("not started");
      registry.start();
      registry.register("fraud", "1", bytes("1.0"), "fraud.scale");

      assertThatThrownBy(() -> registry.register("fraud", "2", new byte[0], "fraud.scale"))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("model 'fraud' version 2")
          .hasMessageContaining("fraud.scale").hasMessageContaining("0 bytes");
      assertThatThrownBy(() -> registry.register("fraud", "2", InputStream.nullInputStream(), "fraud.scale"))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("a stream of fraud.scale")
          .hasMessageContaining("the stream is empty");
      assertThatThrownBy(() -> registry.register("fraud", "2", new InputStream() {
        @Override
        public int read() throws IOException {
          throw new IOException("connection reset");
        }
      }, "fraud.scale")).isInstanceOf(ModelLoadException.class).hasMessageContaining("could not be read")
          .hasMessageContaining("connection reset");
      assertThatThrownBy(() -> registry.registerResource("fraud", "2", "models/ghost.scale"))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("classpath resource 'models/ghost.scale'")
          .hasMessageContaining("finds nothing there");
      assertThatThrownBy(() -> registry.registerResource("fraud", "2", "jinfer-test-models/fraud/2/model.scale.sha256"))
          .as("a resource that is not a model").isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("classpath resource 'jinfer-test-models/fraud/2/model.scale.sha256'")
          .hasMessageContaining("no backend accepts it");
      assertThatThrownBy(() -> registry.register("fraud", "2", bytes("not a number"), "fraud.scale"))
          .as("a file the engine rejects").isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("model 'fraud' version 2 from the bytes of fraud.scale (12 bytes)");
      assertThatThrownBy(() -> registry.register("fraud", "2", bytes("2.0"), " "))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("expected a file name");
      assertThatThrownBy(() -> registry.register("fraud", "2", dir.resolve("ghost.scale")))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("ghost.scale").hasMessageContaining("nothing is there");
      assertThatThrownBy(() -> registry.register("fraud", "v2", bytes("2.0"), "fraud.scale"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'v2'");
      assertThatThrownBy(() -> registry.register("../etc", "2", bytes("2.0"), "fraud.scale"))
          .isInstanceOf(IllegalArgumentException.class);

      ModelStatus fraud = registry.status().model("fraud").orElseThrow();
      assertThat(fraud.servingVersion()).contains("1");
      assertThat(fraud.versions()).extracting(VersionStatus::version).containsExactly("1");
      assertThat(factor(registry.predictor("fraud"))).isEqualTo(1f);
      assertThat(scale.sessions).as("the one good load; nothing failed halfway stays open").hasSize(1);
    }
  }

  @Test
  void register_replacingTheServingVersion_whileCallsRun_failsNoCall_andClosesEveryReplacedModel() throws Exception {
    ScaleBackend scale = new ScaleBackend();
    int swaps = 30;
    try (ModelRegistry registry = ModelRegistry.newBuilder().backends(Backends.of(scale)).build()) {
      registry.start();
      registry.register("fraud", "1", bytes("1.0"), "fraud.scale");
      Predictor fraud = registry.predictor("fraud");
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong calls = new AtomicLong();
      Set<Float> seen = ConcurrentHashMap.newKeySet();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> callers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          callers.add(pool.submit(() -> {
            while (!stop.get()) {
              float f = factor(fraud);
              seen.add(f);
              calls.incrementAndGet();
            }
            return null;
          }));
        }
        for (int i = 2; i <= swaps + 1; i++) {
          long before = calls.get();
          registry.register("fraud", "1", bytes(i + ".0"), "fraud.scale");
          assertThat(factor(fraud)).as("a call after register returns sees the new model").isEqualTo(i);
          long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          while (calls.get() < before + 4 && System.nanoTime() < waitUntil) {
            Thread.onSpinWait();
          }
        }
        stop.set(true);
        for (Future<?> f : callers) {
          f.get(20, TimeUnit.SECONDS); // rethrows any call that failed during a swap
        }
      } finally {
        stop.set(true);
        pool.shutdownNow();
        assertThat(pool.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(calls.get()).isGreaterThan(swaps);
      assertThat(seen).allMatch(f -> f >= 1 && f <= swaps + 1 && f == Math.rint(f));
      assertThat(scale.sessions).hasSize(swaps + 1);
      for (int i = 0; i < swaps; i++) {
        assertThat(scale.sessions.get(i).closes.get()).as("replaced model %d closed once", i + 1).isEqualTo(1);
      }
      assertThat(scale.sessions.get(swaps).closes.get()).as("the serving one is open").isZero();
      assertThat(registry.status().model("fraud").orElseThrow().versions()).hasSize(1);
    }
    assertThat(scale.sessions.get(swaps).closes.get()).as("closed with the registry").isEqualTo(1);
  }
}
