package dev.jinfer.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.Backends;
import dev.jinfer.CountingBackend;
import dev.jinfer.Deadline;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelId;
import dev.jinfer.ModelLoadException;
import dev.jinfer.ModelNotFoundException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ModelRegistryTest {
  @TempDir Path dir;
  RegistryRepo repo;
  ScaleBackend scale;
  CountingBackend counting;

  @BeforeEach
  void setUp() throws IOException {
    repo = new RegistryRepo(dir);
    scale = new ScaleBackend();
    counting = new CountingBackend(scale);
  }

  private ModelRegistry.Builder builder() {
    return ModelRegistry.newBuilder(repo.root()).backends(Backends.of(counting));
  }

  static float factor(Predictor p) {
    return p.predict(ScaleBackend.input(new float[] {1, 1})).get("y").toFloatArray()[0];
  }

  // ------------------------------------------------------------------ loading and routing

  @Test
  void stableHandle_handsTheCallersDeadlineToTheServingVersion() throws IOException {
    scale.cancellable = true;
    repo.scale("fraud", "1");
    try (ModelRegistry registry = builder().warmupCalls(0).build()) {
      registry.start();
      Predictor p = registry.predictor("fraud");
      Deadline deadline = Deadline.after(Duration.ofMinutes(1));
      NamedTensors out = p.predict(ScaleBackend.input(new float[] {1, 1}), List.of(), deadline);
      assertThat(out.get("y").toFloatArray()[0]).isEqualTo(1f);
      assertThat(scale.session().deadlines).as("the engine got the caller's deadline, so it can stop the run")
          .containsExactly(deadline);
    }
  }

  @Test
  void start_loadsTheLatestVersion_andTheStableHandleServesIt() throws IOException {
    repo.scale("fraud", "1");
    repo.scale("fraud", "2");
    try (ModelRegistry registry = builder().build()) {
      RegistryStatus status = registry.start();
      assertThat(status.isReady()).isTrue();
      assertThat(status.isLive()).isTrue();
      ModelStatus fraud = status.model("fraud").orElseThrow();
      assertThat(fraud.servingVersion()).contains("2");
      assertThat(fraud.version("1").orElseThrow().state()).isEqualTo(VersionState.UNLOADED);
      assertThat(fraud.version("2").orElseThrow().state()).isEqualTo(VersionState.READY);
      Predictor p = registry.predictor("fraud");
      assertThat(factor(p)).isEqualTo(2f);
      assertThat(p.modelId()).isEqualTo(new ModelId("fraud", "2"));
      assertThat(p.signature()).isEqualTo(ScaleBackend.SIGNATURE);
      assertThat(counting.open.get()).isEqualTo(1);
    }
    assertThat(counting.open.get()).isZero();
    assertThat(counting.violations).isEmpty();
  }

  @Test
  void reload_swapsToTheNewVersion_andClosesTheOldOneOnce() throws IOException {
    repo.scale("fraud", "1");
    try (ModelRegistry registry = builder().build()) {
      registry.start();
      Predictor p = registry.predictor("fraud");
      assertThat(factor(p)).isEqualTo(1f);
      repo.scale("fraud", "00000002");
      RegistryStatus status = registry.reload();
      assertThat(status.model("fraud").orElseThrow().servingVersion()).contains("00000002");
      assertThat(factor(p)).isEqualTo(2f);
      assertThat(scale.sessions.get(0).closes.get()).isEqualTo(1);
      assertThat(counting.open.get()).isEqualTo(1);
      assertThat(registry.predictor("fraud", "2").modelId().version()).isEqualTo("00000002");
    }
    assertThat(scale.sessions).allSatisfy(s -> assertThat(s.closes.get()).isEqualTo(1));
    assertThat(counting.violations).isEmpty();
  }

  @Test
  void republishedVersion_isLoadedAgainAndSwapped_andBrokenNewFilesLeaveTheOldOnesServing() throws Exception {
    Path artifact = repo.scale("fraud", "1");
    try (ModelRegistry registry = builder().build()) {
      registry.start();
      Predictor p = registry.predictor("fraud");
      Predictor pinned = registry.predictor("fraud", "1");
      assertThat(factor(p)).isEqualTo(1f);
      int loads = counting.loadsAttempted.get();

      Files.writeString(artifact, "50.0"); // new weights under the same version number
      registry.reload();

      assertThat(factor(p)).as("the new files serve").isEqualTo(50f);
      assertThat(factor(pinned)).isEqualTo(50f);
      assertThat(scale.sessions.get(0).closes.get()).as("the old files' model is closed once").isEqualTo(1);
      assertThat(counting.open.get()).isEqualTo(1);
      assertThat(registry.status().model("fraud").orElseThrow().versions()).extracting(VersionStatus::state)
          .containsExactly(VersionState.READY);
      registry.reload();
      assertThat(counting.loadsAttempted.get()).as("unchanged files are not loaded again").isEqualTo(loads + 1);

      Files.writeString(artifact, "not a number");
      registry.reload();
      assertThat(factor(p)).as("broken new files leave the loaded ones serving").isEqualTo(50f);
      assertThat(registry.status().model("fraud").orElseThrow().error()).hasValueSatisfying(e ->
          assertThat(e).contains("files of version 1 changed but failed to load").contains("still serves"));
      registry.reload();
      assertThat(counting.loadsAttempted.get()).as("the same broken files are not retried").isEqualTo(loads + 2);
    }
    assertThat(counting.open.get()).isZero();
    assertThat(counting.violations).isEmpty();
  }

  @Test
  void numericVersions_compareAsNumbers_andAreFoundByNumber_whileStatusShowsTheDirectoryName() throws IOException {
    repo.scale("fraud", "99");
    repo.scale("fraud", "00000123"); // TF Serving's zero-padded layout; "99" sorts after it as text
    try (ModelRegistry registry = builder().versionPolicy("fraud", VersionPolicy.all()).build()) {
      registry.start();
      assertThat(factor(registry.predictor("fraud"))).as("the latest is 123, not 99").isEqualTo(123f);
      assertThat(registry.predictor("fraud", "123").modelId().version()).isEqualTo("00000123");
      assertThat(factor(registry.predictor("fraud", "0123"))).isEqualTo(123f);
      assertThat(factor(registry.predictor("fraud", "00000123"))).isEqualTo(123f);
      ModelStatus status = registry.status().model("fraud").orElseThrow();
      assertThat(status.servingVersion()).contains("00000123");
      assertThat(status.versions()).extracting(VersionStatus::version).containsExactly("99", "00000123");
      assertThat(status.version("123").orElseThrow().version()).isEqualTo("00000123");
      assertThat(registry.setAlias("fraud", "stable", "123").aliases()).containsEntry("stable", "00000123");
      assertThat(factor(registry.predictor("fraud", "stable"))).isEqualTo(123f);
      assertThatThrownBy(() -> registry.predictor("fraud", "124")).isInstanceOf(ModelNotFoundException.class)
          .hasMessageContaining("version 124").hasMessageContaining("[99, 00000123]");
    }
  }

  @Test
  void latestN_keepsTheNewestVersionsLoaded_andVersionHandlesReachThem() throws IOException {
    for (String v : List.of("1", "2", "3")) {
      repo.scale("fraud", v);
    }
    try (ModelRegistry registry = builder().versionPolicy("fraud", VersionPolicy.latest(2)).build()) {
      registry.start();
      assertThat(factor(registry.predictor("fraud"))).isEqualTo(3f);
      assertThat(factor(registry.predictor("fraud", "2"))).isEqualTo(2f);
      assertThatThrownBy(() -> registry.predictor("fraud", "1")).isInstanceOf(ModelNotFoundException.class)
          .hasMessageContaining("version 1 is not loaded").hasMessageContaining("UNLOADED");
      assertThat(counting.open.get()).isEqualTo(2);
    }
  }

  @Test
  void specificPolicy_servesThatVersion_evenWhenNewerOnesExist() throws IOException {
    for (String v : List.of("1", "2", "3")) {
      repo.scale("fraud", v);
    }
    try (ModelRegistry registry = builder().defaultPolicy(VersionPolicy.specific(2)).build()) {
      registry.start();
      assertThat(factor(registry.predictor("fraud"))).isEqualTo(2f);
      assertThat(counting.open.get()).isEqualTo(1);
    }
  }

  @Test
  void stableAlias_pinsUnversionedTraffic_andSetAliasMovesIt() throws IOException {
    for (String v : List.of("1", "2", "3")) {
      repo.scale("fraud", v);
    }
    try (ModelRegistry registry = builder().alias("fraud", "stable", 1).alias("fraud", "blue", 2).build()) {
      registry.start();
      Predictor p = registry.predictor("fraud");
      Predictor stable = registry.predictor("fraud", "stable");
      assertThat(factor(p)).isEqualTo(1f);
      assertThat(factor(registry.predictor("fraud", "blue"))).isEqualTo(2f);
      assertThat(factor(registry.predictor("fraud", "3"))).isEqualTo(3f);
      assertThat(registry.status().model("fraud").orElseThrow().aliases()).containsEntry("stable", "1").containsEntry("blue", "2");

      ModelStatus moved = registry.setAlias("fraud", "stable", "3");
      assertThat(moved.aliases()).containsEntry("stable", "3");
      assertThat(factor(p)).isEqualTo(3f);
      assertThat(factor(stable)).isEqualTo(3f);
      assertThat(moved.version("1").orElseThrow().state()).isIn(VersionState.UNLOADED);

      assertThatThrownBy(() -> registry.setAlias("fraud", "stable", "9")).isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("no such version directory").hasMessageContaining("still points at version 3");
      assertThat(factor(stable)).isEqualTo(3f);
      registry.removeAlias("fraud", "blue");
      assertThatThrownBy(() -> registry.predictor("fraud", "blue")).isInstanceOf(ModelNotFoundException.class);
    }
  }

  @Test
  void canarySplit_sendsItsShareToTheNewestVersion_andTheRestToThePrevious() throws IOException {
    repo.scale("fraud", "1");
    repo.scale("fraud", "2");
    ArrayDeque<Double> draws = new ArrayDeque<>(List.of(0.05, 0.5, 0.19, 0.2, 0.99));
    try (ModelRegistry registry = builder().versionPolicy("fraud", VersionPolicy.latest(2)).canaryPercent("fraud", 20)
        .canarySampler(() -> draws.isEmpty() ? 0.99 : draws.poll()).build()) {
      ModelStatus s = registry.start().model("fraud").orElseThrow();
      assertThat(s.servingVersion()).contains("1");
      assertThat(s.canaryVersion()).contains("2");
      Predictor p = registry.predictor("fraud");
      assertThat(List.of(factor(p), factor(p), factor(p), factor(p), factor(p))).containsExactly(2f, 1f, 2f, 1f, 1f);
      registry.setCanaryPercent("fraud", 100);
      assertThat(factor(p)).isEqualTo(2f);
      ModelStatus off = registry.setCanaryPercent("fraud", 0);
      assertThat(off.canaryVersion()).isEmpty();
      assertThat(factor(p)).isEqualTo(2f);
    }
  }

  @Test
  void sampleRoute_drawsTheCanarySplit_whileTheHandlesModelIdNamesThePrimary() throws IOException {
    repo.scale("fraud", "1");
    repo.scale("fraud", "2");
    ArrayDeque<Double> draws = new ArrayDeque<>(List.of(0.05, 0.5, 0.19, 0.2));
    try (ModelRegistry registry = builder().versionPolicy("fraud", VersionPolicy.latest(2)).canaryPercent("fraud", 20)
        .canarySampler(() -> draws.isEmpty() ? 0.99 : draws.poll()).build()) {
      registry.start();
      assertThat(List.of(registry.sampleRoute("fraud"), registry.sampleRoute("fraud"), registry.sampleRoute("fraud"),
          registry.sampleRoute("fraud")).stream().map(ModelId::version).toList()).containsExactly("2", "1", "2", "1");
      assertThat(registry.predictor("fraud").modelId().version()).isEqualTo("1");
      registry.setCanaryPercent("fraud", 0);
      assertThat(registry.sampleRoute("fraud").version()).isEqualTo("2");
      assertThatThrownBy(() -> registry.sampleRoute("nope")).isInstanceOf(ModelNotFoundException.class)
          .hasMessageContaining("'nope'");
    }
  }

  @Test
  void canaryAndStableAliases_defineTheSplit() throws IOException {
    for (String v : List.of("1", "2", "3")) {
      repo.scale("fraud", v);
    }
    try (ModelRegistry registry = builder().alias("fraud", "stable", 1).alias("fraud", "canary", 2).canaryPercent("fraud", 50)
        .canarySampler(new java.util.function.DoubleSupplier() {
          int i;

          @Override
          public synchronized double getAsDouble() {
            return (i++ % 2) * 0.9;
          }
        }).build()) {
      registry.start();
      Predictor p = registry.predictor("fraud");
      assertThat(List.of(factor(p), factor(p), factor(p), factor(p))).containsExactly(2f, 1f, 2f, 1f);
      assertThat(factor(registry.predictor("fraud", "3"))).isEqualTo(3f);
    }
  }

  // ------------------------------------------------------------------ failures leave the current version serving

  @Test
  void corruptNewVersion_leavesTheCurrentOneServing_isReported_andIsNotRetriedUntilItChanges() throws Exception {
    repo.scale("fraud", "1");
    java.util.concurrent.atomic.AtomicInteger polls = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ScheduledThreadPoolExecutor watch = new java.util.concurrent.ScheduledThreadPoolExecutor(1) {
      @Override
      protected void afterExecute(Runnable r, Throwable t) {
        polls.incrementAndGet(); // once per poll of the repository
      }
    };
    try (ModelRegistry registry = builder().pollInterval(Duration.ofMillis(10)).watchExecutor(watch).build()) {
      registry.start();
      Predictor p = registry.predictor("fraud");
      Path corrupt = repo.file("fraud", "2", "model.scale", "not a number");
      assertThat(registry.reload().model("fraud").orElseThrow().version("2").orElseThrow().state()).isEqualTo(VersionState.FAILED);
      ModelStatus s = registry.status().model("fraud").orElseThrow();
      assertThat(s.servingVersion()).contains("1");
      assertThat(s.version("2").orElseThrow().error().orElseThrow()).contains("not a number");
      assertThat(registry.isReady()).isTrue();
      assertThat(factor(p)).isEqualTo(1f);
      int attempts = counting.loadsAttempted.get();
      int pollsBefore = polls.get();
      awaitTrue(() -> polls.get() >= pollsBefore + 10);
      assertThat(counting.loadsAttempted.get()).as("polls do not retry unchanged failed files").isEqualTo(attempts);

      Files.writeString(corrupt, "2.0");
      Files.setLastModifiedTime(corrupt, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (factor(p) != 2f && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(factor(p)).isEqualTo(2f);
    }
    watch.shutdownNow();
    assertThat(counting.open.get()).isZero();
    assertThat(counting.violations).isEmpty();
  }

  @Test
  void failedFirstVersion_leavesTheModelNotReady_andCallsFailWithModelNotFound() throws IOException {
    repo.file("fraud", "1", "model.scale", "garbage");
    try (ModelRegistry registry = builder().build()) {
      RegistryStatus status = registry.start();
      assertThat(status.isReady()).isFalse();
      assertThat(status.isLive()).isTrue();
      Predictor p = registry.predictor("fraud");
      assertThatThrownBy(() -> factor(p)).isInstanceOf(ModelNotFoundException.class)
          .hasMessageContaining("model 'fraud'").hasMessageContaining("no version is ready");
      assertThatThrownBy(p::modelId).isInstanceOf(ModelNotFoundException.class);
    }
  }

  @Test
  void ambiguousOrEmptyVersionDirectories_fail_naming_theCandidates() throws IOException {
    repo.scale("fraud", "1");
    Path two = Files.createDirectories(repo.root().resolve("fraud/2"));
    ScaleBackend.writeModel(two, "a.scale", 2);
    ScaleBackend.writeModel(two, "b.scale", 3);
    Files.createDirectories(repo.root().resolve("fraud/3"));
    try (ModelRegistry registry = builder().versionPolicy("fraud", VersionPolicy.all()).build()) {
      ModelStatus s = registry.start().model("fraud").orElseThrow();
      assertThat(s.version("2").orElseThrow().error().orElseThrow()).contains("expected one model artifact").contains("a.scale, b.scale");
      assertThat(s.version("3").orElseThrow().error().orElseThrow()).contains("empty");
      assertThat(s.servingVersion()).contains("1");
    }
  }

  // ------------------------------------------------------------------ integrity

  @Test
  void checksumMismatch_failsTheVersion_andTheCurrentOneKeepsServing() throws IOException {
    RegistryRepo.writeSha256(repo.scale("fraud", "1"));
    try (ModelRegistry registry = builder().integrity(IntegrityMode.REQUIRED).build()) {
      registry.start();
      Path two = repo.scale("fraud", "2");
      Files.writeString(two.resolveSibling("model.scale.sha256"), "0".repeat(64) + "  model.scale\n");
      ModelStatus s = registry.reload().model("fraud").orElseThrow();
      assertThat(s.servingVersion()).contains("1");
      assertThat(s.version("2").orElseThrow().error().orElseThrow())
          .contains("sha256 mismatch").contains("expected " + "0".repeat(64)).contains(RegistryRepo.sha256(Files.readAllBytes(two)));
      assertThat(factor(registry.predictor("fraud"))).isEqualTo(1f);
      assertThat(counting.loadsAttempted.get()).as("a mismatching artifact never reaches the backend").isEqualTo(1);
    }
  }

  @Test
  void requiredIntegrity_rejectsAnArtifactWithoutChecksum_andIfPresentAcceptsIt() throws IOException {
    repo.scale("fraud", "1");
    try (ModelRegistry registry = builder().integrity(IntegrityMode.REQUIRED).build()) {
      assertThat(registry.start().model("fraud").orElseThrow().version("1").orElseThrow().error().orElseThrow())
          .contains("integrity REQUIRED").contains("model.scale.sha256");
    }
    try (ModelRegistry registry = builder().build()) {
      assertThat(registry.start().isReady()).isTrue();
    }
  }

  @Test
  void checksumFiles_acceptBareDigests_andRejectOtherFileNamesOrGarbage() throws IOException {
    Path one = repo.scale("fraud", "1");
    Files.writeString(one.resolveSibling("model.scale.sha256"), RegistryRepo.sha256(Files.readAllBytes(one)).toUpperCase() + "\n");
    Path two = repo.scale("fraud", "2");
    Files.writeString(two.resolveSibling("model.scale.sha256"), RegistryRepo.sha256(Files.readAllBytes(two)) + " *other.scale\n");
    Path three = repo.scale("fraud", "3");
    Files.writeString(three.resolveSibling("model.scale.sha256"), "abc\n");
    try (ModelRegistry registry = builder().versionPolicy("fraud", VersionPolicy.all()).integrity(IntegrityMode.REQUIRED).build()) {
      ModelStatus s = registry.start().model("fraud").orElseThrow();
      assertThat(s.version("1").orElseThrow().state()).isEqualTo(VersionState.READY);
      assertThat(s.version("2").orElseThrow().error().orElseThrow()).contains("names 'other.scale'");
      assertThat(s.version("3").orElseThrow().error().orElseThrow()).contains("64 hex digits");
    }
  }

  @Test
  void directoryArtifacts_areCheckedAgainstAManifest_listingEveryFile() throws IOException {
    RegistryRepo.DirBackend dirs = new RegistryRepo.DirBackend();
    // Triton style: fraud/1/model.scaledir/, TF Serving style: fraud/2/ is itself the SavedModel
    Path art = Files.createDirectories(repo.root().resolve("fraud/1/model.scaledir"));
    Files.writeString(art.resolve("factor"), "1");
    Files.writeString(repo.root().resolve("fraud/1/model.scaledir.sha256"), RegistryRepo.sha256("1".getBytes()) + "  factor\n");
    Path saved = Files.createDirectories(repo.root().resolve("fraud/2"));
    Files.writeString(saved.resolve("factor"), "2");
    Files.writeString(saved.resolve("saved_model.pb"), "pb");
    Files.createDirectories(saved.resolve("variables"));
    Files.writeString(saved.resolve("variables/data"), "weights");
    Files.writeString(repo.root().resolve("fraud/2.sha256"), RegistryRepo.sha256("2".getBytes()) + "  ./factor\n"
        + RegistryRepo.sha256("pb".getBytes()) + "  ./saved_model.pb\n");
    try (ModelRegistry registry = ModelRegistry.newBuilder(repo.root()).backends(Backends.of(dirs))
        .versionPolicy("fraud", VersionPolicy.all()).integrity(IntegrityMode.REQUIRED).build()) {
      ModelStatus s = registry.start().model("fraud").orElseThrow();
      assertThat(s.version("1").orElseThrow().state()).isEqualTo(VersionState.READY);
      assertThat(s.version("2").orElseThrow().error().orElseThrow()).contains("'variables/data' is not listed");
      Files.writeString(repo.root().resolve("fraud/2.sha256"), RegistryRepo.sha256("2".getBytes()) + "  ./factor\n"
          + RegistryRepo.sha256("pb".getBytes()) + "  ./saved_model.pb\n" + RegistryRepo.sha256("weights".getBytes()) + "  variables/data\n");
      s = registry.reload().model("fraud").orElseThrow();
      assertThat(s.version("2").orElseThrow().state()).isEqualTo(VersionState.READY);
      assertThat(factor(registry.predictor("fraud"))).isEqualTo(2f);
      Files.writeString(repo.root().resolve("fraud/1/model.scaledir.sha256"), RegistryRepo.sha256("1".getBytes()) + "  ../../2/factor\n");
    }
  }

  // ------------------------------------------------------------------ warmup

  @Test
  void warmup_usesDeclaredShapes_beforeTheVersionTakesTraffic() throws IOException {
    repo.scale("fraud", "1");
    try (ModelRegistry registry = builder().warmupShape("fraud", "x", 8, 2).warmupCalls(3).build()) {
      registry.start();
      ScaleBackend.Session s = scale.session();
      assertThat(s.runs.get()).isEqualTo(3);
      assertThat(s.inputs.get(0).get("x").shape().toArray()).containsExactly(8, 2);
    }
  }

  @Test
  void warmupShapeThatDoesNotFit_failsTheVersion_andClosesItsSession() throws IOException {
    repo.scale("fraud", "1");
    try (ModelRegistry registry = builder().warmupShape("fraud", "x", 4, 3).build()) {
      ModelStatus s = registry.start().model("fraud").orElseThrow();
      assertThat(s.version("1").orElseThrow().error().orElseThrow())
          .contains("warmup shape for input 'x' is [4, 3]").contains("FLOAT32 [-1, 2]");
      assertThat(counting.open.get()).isZero();
    }
  }

  @Test
  void warmupRunFailure_failsTheVersion() throws IOException {
    repo.scale("fraud", "1");
    scale.runFailure = new IllegalStateException("engine exploded");
    try (ModelRegistry registry = builder().build()) {
      ModelStatus s = registry.start().model("fraud").orElseThrow();
      assertThat(s.version("1").orElseThrow().error().orElseThrow()).contains("warmup failed").contains("engine exploded");
      assertThat(counting.open.get()).isZero();
    }
  }

  // ------------------------------------------------------------------ in-flight calls and close

  @Test
  void retiredVersion_closesOnlyAfterItsLastCallInFlight_whileNewCallsGoToTheNewVersion() throws Exception {
    repo.scale("fraud", "1");
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (ModelRegistry registry = builder().warmupCalls(0).build()) {
      registry.start();
      Predictor p = registry.predictor("fraud");
      scale.entered = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      scale.release = release;
      Future<Float> blocked = pool.submit(() -> factor(p));
      assertThat(scale.entered.await(10, TimeUnit.SECONDS)).isTrue();
      scale.release = null; // the blocked call keeps waiting on the latch it read
      repo.scale("fraud", "2");
      ModelStatus s = registry.reload().model("fraud").orElseThrow();
      assertThat(s.servingVersion()).contains("2");
      assertThat(s.version("1").orElseThrow().state()).isEqualTo(VersionState.UNLOADING);
      assertThat(scale.sessions.get(0).closes.get()).isZero();
      assertThat(factor(p)).isEqualTo(2f);
      release.countDown();
      assertThat(blocked.get(10, TimeUnit.SECONDS)).isEqualTo(1f);
      assertThat(scale.sessions.get(0).closes.get()).isEqualTo(1);
      assertThat(registry.status().model("fraud").orElseThrow().version("1").orElseThrow().state()).isEqualTo(VersionState.UNLOADED);
    } finally {
      pool.shutdownNow();
    }
    assertThat(counting.violations).isEmpty();
  }

  @Test
  void swapBetweenRoutingAndLeasing_reroutesTheCall_insteadOfFailingIt() throws Exception {
    repo.scale("fraud", "1");
    repo.scale("fraud", "2");
    AtomicReference<ModelRegistry> ref = new AtomicReference<>();
    AtomicBoolean swapNow = new AtomicBoolean();
    // the sampler runs after the handle read the route and before it leases the version: swap right there
    try (ModelRegistry registry = builder().versionPolicy("fraud", VersionPolicy.latest(2)).canaryPercent("fraud", 50)
        .canarySampler(() -> {
          if (swapNow.getAndSet(false)) {
            try {
              repo.scale("fraud", "3");
              repo.delete("fraud", "1");
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
            ref.get().reload();
          }
          return 0.99;
        }).build()) {
      ref.set(registry);
      registry.start();
      Predictor p = registry.predictor("fraud");
      assertThat(factor(p)).isEqualTo(1f);
      swapNow.set(true);
      assertThat(factor(p)).as("routed to 1, which closed before the lease; rerouted to the new primary").isEqualTo(2f);
      assertThat(scale.sessions.get(0).closes.get()).isEqualTo(1);
    }
    assertThat(counting.violations).isEmpty();
  }

  @Test
  void close_waitsForCallsInFlight_closesEverySession_andLaterCallsThrowIllegalState() throws Exception {
    repo.scale("fraud", "1");
    repo.scale("other", "1");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    ModelRegistry registry = builder().warmupCalls(0).pollInterval(Duration.ofMillis(20)).build();
    registry.start();
    assertThat(Thread.getAllStackTraces().keySet()).anyMatch(t -> t.getName().equals(ModelRegistry.WATCH_THREAD_NAME));
    Predictor p = registry.predictor("fraud");
    try {
      scale.entered = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      scale.release = release;
      Future<Float> inFlight = pool.submit(() -> factor(p));
      assertThat(scale.entered.await(10, TimeUnit.SECONDS)).isTrue();
      AtomicReference<Thread> closer = new AtomicReference<>();
      Future<?> closing = pool.submit(() -> {
        closer.set(Thread.currentThread());
        registry.close();
      });
      // the closer is parked waiting for the call in flight, not finished
      awaitTrue(() -> closer.get() != null && (closer.get().getState() == Thread.State.WAITING
          || closer.get().getState() == Thread.State.TIMED_WAITING));
      assertThat(closing).isNotDone();
      assertThat(counting.open.get()).isEqualTo(1);
      release.countDown();
      closing.get(10, TimeUnit.SECONDS);
      assertThat(inFlight.get()).isEqualTo(1f);
    } finally {
      pool.shutdownNow();
    }
    assertThat(counting.open.get()).isZero();
    assertThat(counting.violations).isEmpty();
    assertThat(registry.isLive()).isFalse();
    assertThat(registry.isReady()).isFalse();
    assertThatThrownBy(() -> factor(p)).isInstanceOf(ModelClosedException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> registry.predictor("fraud")).isInstanceOf(ModelClosedException.class).hasMessageContaining("closed");
    awaitTrue(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().equals(ModelRegistry.WATCH_THREAD_NAME) && t.isAlive()));
    registry.close();
  }

  @Test
  void watcher_picksUpNewVersionsAndModels_andUnloadsDeletedOnes() throws Exception {
    repo.scale("fraud", "1");
    try (ModelRegistry registry = builder().pollInterval(Duration.ofMillis(10)).build()) {
      registry.start();
      Predictor p = registry.predictor("fraud");
      repo.scale("fraud", "2");
      repo.scale("churn", "7");
      awaitTrue(() -> factor(p) == 2f);
      awaitTrue(() -> registry.find("churn").isPresent() && registry.status().model("churn").orElseThrow().isReady());
      assertThat(factor(registry.find("churn").orElseThrow())).isEqualTo(7f);
      repo.delete("churn", "7");
      awaitTrue(() -> !registry.status().model("churn").orElseThrow().isReady());
      assertThat(registry.isReady()).as("a model directory without a version is not ready").isFalse();
      Files.delete(repo.root().resolve("churn"));
      awaitTrue(registry::isReady); // a model no longer in the repository is not required
      assertThat(registry.status().model("churn").orElseThrow().required()).isFalse();
      awaitTrue(() -> counting.open.get() == 1);
    }
  }

  // ------------------------------------------------------------------ paths stay inside the root

  @Test
  void namesVersionsAndAliases_withTraversal_areRejected() throws IOException {
    repo.scale("fraud", "1");
    ModelRegistry.Builder b = builder();
    assertThatThrownBy(() -> b.versionPolicy("../fraud", VersionPolicy.latest())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("versionPolicy model").hasMessageContaining("'../fraud'");
    assertThatThrownBy(() -> b.requiredModels("a/b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.requiredModels("..")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.alias("fraud", "../stable", 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("alias");
    assertThatThrownBy(() -> b.alias("fraud", "1stable", 1)).isInstanceOf(IllegalArgumentException.class);
    try (ModelRegistry registry = b.build()) {
      registry.start();
      assertThatThrownBy(() -> registry.predictor("../fraud")).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> registry.predictor("fraud", "../1")).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> registry.predictor("fraud", "1/../../x")).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> registry.setAlias("fraud", "stable", "../1")).isInstanceOf(IllegalArgumentException.class);
      assertThat(registry.find("../fraud")).isEmpty();
      assertThat(registry.find("nope")).isEmpty();
      assertThatThrownBy(() -> registry.predictor("nope")).isInstanceOf(ModelNotFoundException.class)
          .hasMessageContaining("models: [fraud]");
    }
  }

  @Test
  void symbolicLinksThatLeaveTheRoot_areRejected_atEveryLevel() throws IOException {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Path outsideModel = Files.createDirectories(outside.resolve("evil/1"));
    ScaleBackend.writeModel(outsideModel, "model.scale", 66);
    repo.scale("fraud", "1");
    Files.createSymbolicLink(repo.root().resolve("evil"), outside.resolve("evil"));                 // model directory
    Files.createSymbolicLink(repo.root().resolve("fraud/2"), outsideModel);                           // version directory
    Files.createDirectories(repo.root().resolve("fraud/3"));
    Files.createSymbolicLink(repo.root().resolve("fraud/3/model.scale"), outsideModel.resolve("model.scale")); // artifact
    try (ModelRegistry registry = builder().versionPolicy("fraud", VersionPolicy.all()).build()) {
      RegistryStatus status = registry.start();
      assertThat(status.model("evil").orElseThrow().error().orElseThrow()).contains("outside the repository root");
      assertThat(status.model("evil").orElseThrow().isReady()).isFalse();
      ModelStatus fraud = status.model("fraud").orElseThrow();
      assertThat(fraud.version("2").orElseThrow().error().orElseThrow()).contains("outside the repository root");
      assertThat(fraud.version("3").orElseThrow().error().orElseThrow()).contains("outside the repository root");
      assertThat(fraud.servingVersion()).contains("1");
      assertThat(scale.sessions).hasSize(1);
    }
  }

  @Test
  void manifestPathsThatLeaveTheArtifact_areRejected() throws IOException {
    RegistryRepo.DirBackend dirs = new RegistryRepo.DirBackend();
    Path art = Files.createDirectories(repo.root().resolve("fraud/1/model.scaledir"));
    Files.writeString(art.resolve("factor"), "1");
    Files.writeString(repo.root().resolve("fraud/1/model.scaledir.sha256"), RegistryRepo.sha256("1".getBytes()) + "  ../../../x\n");
    try (ModelRegistry registry = ModelRegistry.newBuilder(repo.root()).backends(Backends.of(dirs)).build()) {
      assertThat(registry.start().model("fraud").orElseThrow().version("1").orElseThrow().error().orElseThrow())
          .contains("escapes the artifact directory");
    }
  }

  // ------------------------------------------------------------------ lifecycle and readiness

  @Test
  void requiredModelMissing_keepsTheRegistryNotReady_andSaysWhy() throws IOException {
    repo.scale("fraud", "1");
    try (ModelRegistry registry = builder().requiredModels("fraud", "churn").build()) {
      RegistryStatus status = registry.start();
      assertThat(status.isReady()).isFalse();
      assertThat(status.model("churn").orElseThrow().error().orElseThrow()).contains("expected a directory");
      repo.scale("churn", "1");
      assertThat(registry.reload().isReady()).isTrue();
    }
  }

  @Test
  void lifecycle_isChecked() throws IOException {
    repo.scale("fraud", "1");
    ModelRegistry registry = builder().build();
    assertThatThrownBy(() -> registry.predictor("fraud")).isInstanceOf(IllegalStateException.class).hasMessageContaining("not started");
    assertThatThrownBy(registry::reload).isInstanceOf(IllegalStateException.class);
    assertThat(registry.isLive()).isFalse();
    registry.start();
    assertThatThrownBy(registry::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("already started");
    Predictor handle = registry.predictor("fraud");
    handle.close();
    assertThatThrownBy(() -> factor(handle)).isInstanceOf(ModelClosedException.class).hasMessageContaining("closed");
    assertThat(factor(registry.predictor("fraud"))).isEqualTo(1f);
    registry.close();
    registry.close();
    assertThatThrownBy(registry::start).isInstanceOf(ModelClosedException.class).hasMessageContaining("closed");
  }

  @Test
  void builder_failsFast_namingTheOption() throws IOException {
    assertThatThrownBy(() -> ModelRegistry.newBuilder(dir.resolve("missing"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("repository root must be an existing directory");
    ModelRegistry.Builder b = builder();
    assertThatThrownBy(() -> b.backends(Backends.of())).isInstanceOf(IllegalStateException.class).hasMessageContaining("backends is already set");
    assertThatThrownBy(() -> b.pollInterval(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pollInterval must be > 0");
    assertThatThrownBy(() -> b.canaryPercent("fraud", 101)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("canaryPercent");
    assertThatThrownBy(() -> b.warmupCalls(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("warmupCalls must be >= 0");
    assertThatThrownBy(() -> b.warmupShape("fraud", "x", 0, 2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("warmupShape dims");
    assertThatThrownBy(() -> VersionPolicy.latest(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("latest versions must be > 0");
    assertThatThrownBy(() -> VersionPolicy.specific()).isInstanceOf(IllegalArgumentException.class);
    b.alias("fraud", "stable", 1);
    assertThatThrownBy(() -> b.alias("fraud", "stable", 2)).isInstanceOf(IllegalStateException.class).hasMessageContaining("already set");
    java.util.concurrent.ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try {
      b.watchExecutor(executor);
      assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("pollInterval");
    } finally {
      executor.shutdownNow();
    }
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      Thread.sleep(5);
    }
  }
}
