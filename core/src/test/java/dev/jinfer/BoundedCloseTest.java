package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.RegistryRepo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code close(Duration)} on a model and a registry: a shutdown that ends in time, and a session never freed under a call. */
@Timeout(30)
class BoundedCloseTest {
  @TempDir
  Path dir;

  private final ScaleBackend backend = new ScaleBackend();

  private Model load(LoadOptions options) throws IOException {
    return Backends.of(backend).load(ScaleBackend.writeModel(dir, "doubler.scale", 2f), options);
  }

  private static NamedTensors in() {
    return ScaleBackend.input(new float[] {1f, 2f});
  }

  /** Starts a call that blocks in the engine until {@code backend.release} opens; returns once it is inside. */
  private CompletableFuture<NamedTensors> blockedCall(Predictor p) throws InterruptedException {
    backend.entered = new CountDownLatch(1);
    backend.release = new CountDownLatch(1);
    CompletableFuture<NamedTensors> call = CompletableFuture.supplyAsync(() -> p.predict(in()));
    assertThat(backend.entered.await(10, TimeUnit.SECONDS)).isTrue();
    return call;
  }

  @Test
  void withNoCallRunning_closeWithABound_releasesTheSessionAtOnce() throws IOException {
    Model m = load(LoadOptions.defaults());
    assertThat(m.close(Duration.ofSeconds(5))).isTrue();
    assertThat(backend.session().closes).hasValue(1);
    assertThat(m.isClosed()).isTrue();
    assertThat(m.close(Duration.ZERO)).as("idempotent").isTrue();
    m.close();
    assertThat(backend.session().closes).as("released once").hasValue(1);
  }

  @Test
  void aCallStillRunningAtTheBound_makesCloseReturnFalse_andTheLastCallReleasesTheSession() throws Exception {
    Model m = load(LoadOptions.defaults());
    Predictor p = m.predictor();
    CompletableFuture<NamedTensors> running = blockedCall(p);

    assertThat(m.close(Duration.ofMillis(50))).isFalse();
    assertThat(m.isClosed()).isTrue();
    assertThat(backend.session().closes).as("never freed under a running call").hasValue(0);
    assertThatThrownBy(() -> p.predict(in())).as("no new call once closing").isInstanceOf(RuntimeException.class)
        .hasMessageContaining("closed");

    backend.release.countDown();
    assertThat(running.get(10, TimeUnit.SECONDS).get("y").toFloatArray()).containsExactly(2f, 4f);
    assertThat(backend.session().closes).as("the last call out released it").hasValue(1);
    m.close();
    assertThat(backend.session().closes).hasValue(1);
  }

  @Test
  void aBadTimeout_isRefused_namingTheModel() throws IOException {
    try (Model m = load(LoadOptions.defaults())) {
      assertThatThrownBy(() -> m.close(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("model doubler:1: close timeout: expected a duration >= 0 but got PT-0.001S");
      assertThat(m.isClosed()).isFalse();
    }
  }

  @Test
  void callsWithADeadline_runOnTheExecutorOfTheLoadOptions_andItsRefusalIsOverload() throws Exception {
    AtomicInteger ran = new AtomicInteger();
    Executor counting = r -> {
      ran.incrementAndGet();
      new Thread(r, "app-pool").start();
    };
    try (Model m = load(LoadOptions.newBuilder().deadlineExecutor(counting).build())) {
      NamedTensors out = m.predictor().predict(in(), List.of(), Deadline.after(Duration.ofSeconds(5)));
      assertThat(out.get("y").toFloatArray()).containsExactly(2f, 4f);
      assertThat(ran).hasValue(1);
      assertThat(backend.session().threads.get(0).getName()).isEqualTo("app-pool");
    }
    Executor full = r -> {
      throw new RejectedExecutionException("pool full");
    };
    try (Model m = load(LoadOptions.newBuilder().deadlineExecutor(full).build())) {
      assertThatThrownBy(() -> m.predictor().predict(in(), List.of(), Deadline.after(Duration.ofSeconds(5))))
          .isInstanceOf(OverloadedException.class)
          .hasMessageContaining("the deadline executor of its LoadOptions refused the call");
      assertThat(m.predictor().predict(in()).get("y").toFloatArray()).as("still serving").containsExactly(2f, 4f);
    }
  }

  @Test
  void aRegistryClosedWithABound_reportsAVersionStillRunning_whichClosesAfterItsLastCall() throws Exception {
    RegistryRepo repo = new RegistryRepo(dir);
    repo.scale("fraud", "1");
    ModelRegistry registry = ModelRegistry.newBuilder(repo.root()).backends(Backends.of(backend)).warmupCalls(0).build();
    registry.start();
    CompletableFuture<NamedTensors> running;
    try (Predictor p = registry.predictor("fraud")) {
      running = blockedCall(p);
      assertThat(registry.close(Duration.ofMillis(50))).isFalse();
      assertThat(backend.session().closes).hasValue(0);
      assertThat(registry.close(Duration.ZERO)).as("a second close: still running").isFalse();
      backend.release.countDown();
      assertThat(running.get(10, TimeUnit.SECONDS).get("y").toFloatArray()).containsExactly(1f, 2f);
    }
    assertThat(backend.session().closes).hasValue(1);
    assertThat(registry.close(Duration.ZERO)).isTrue();
  }
}
