package dev.jinfer.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.BackendException;
import dev.jinfer.Backends;
import dev.jinfer.CallOptions;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.ErrorCode;
import dev.jinfer.InferenceException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Priority;
import dev.jinfer.ScaleBackend;
import dev.jinfer.Tensor;
import dev.jinfer.breaker.CircuitBreaker;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.RegistryRepo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class ServingChainTest {
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
  }

  /** A model that doubles x, records every call's first value and options, and can block or fail. */
  static final class Recording implements Predictor {
    final ModelId id;
    final List<Float> seen = new CopyOnWriteArrayList<>();
    final List<CallOptions> options = new CopyOnWriteArrayList<>();
    final AtomicInteger closes = new AtomicInteger();
    volatile @Nullable CountDownLatch entered;
    volatile @Nullable CountDownLatch release;
    volatile boolean fail;

    Recording(String version) {
      this.id = new ModelId("m", version);
    }

    @Override
    public ModelId modelId() {
      return id;
    }

    @Override
    public ModelSignature signature() {
      return ScaleBackend.SIGNATURE;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions o) {
      float[] x = inputs.get("x").toFloatArray();
      seen.add(x[0]);
      options.add(o);
      CountDownLatch e = entered;
      CountDownLatch r = release;
      if (e != null) {
        e.countDown();
      }
      if (r != null) {
        try {
          r.await();
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
        }
      }
      if (fail) {
        throw new BackendException("engine broke");
      }
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        y[i] = 2 * x[i];
      }
      return NamedTensors.of("y", Tensor.ofFloats(y, x.length / 2, 2));
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  static NamedTensors in(float v) {
    return ScaleBackend.input(new float[] {v, v});
  }

  static float y(NamedTensors out) {
    return out.get("y").toFloatArray()[0];
  }

  @Test
  void cachedRequest_neverReachesTheBatcher() {
    Recording model = new Recording("1");
    try (ServingChain chain = ServingChain.newBuilder(model).cache().breaker().batching().build()) {
      assertThat(y(chain.predict(in(3)))).isEqualTo(6f);
      assertThat(y(chain.predict(in(3)))).isEqualTo(6f);
      assertThat(chain.batcher().orElseThrow().stats().accepted()).as("the second call was a cache hit").isEqualTo(1);
      assertThat(model.seen).containsExactly(3f);
    }
  }

  @Test
  void openBreaker_failsFastBeforeTheBatcher() {
    Recording model = new Recording("1");
    try (ServingChain chain = ServingChain.newBuilder(model).breaker().batching().build()) {
      CircuitBreaker breaker = chain.breaker().orElseThrow();
      breaker.transitionToOpen();
      assertThatThrownBy(() -> chain.predict(in(1))).isNotInstanceOf(IllegalStateException.class);
      assertThat(chain.batcher().orElseThrow().stats().accepted()).isZero();
      assertThat(model.seen).isEmpty();
    }
  }

  @Test
  void engineFailures_openTheBreaker_badInputDoesNot() {
    assertThat(ServingChain.isEngineFailure(new BackendException("x"))).isTrue();
    assertThat(ServingChain.isEngineFailure(new dev.jinfer.InvalidInputException("x"))).isFalse();
    assertThat(ServingChain.isEngineFailure(new IllegalStateException("closed"))).isFalse();
    assertThat(ServingChain.isEngineFailure(new ModelClosedException("model m:1 is closed"))).isFalse();
    assertThat(ServingChain.isEngineFailure(new dev.jinfer.CancelledException("model m:1: cancelled", null))).isFalse();
    assertThat(ServingChain.isEngineFailure(new java.util.concurrent.CancellationException("interrupted"))).isFalse();
    Recording model = new Recording("1");
    model.fail = true;
    try (ServingChain chain = ServingChain.newBuilder(model)
        .breaker(b -> b.countBasedWindow(2).minimumNumberOfCalls(2)).build()) {
      for (int i = 0; i < 2; i++) {
        int v = i;
        assertThatThrownBy(() -> chain.predict(in(v))).isInstanceOf(BackendException.class);
      }
      assertThat(chain.breaker().orElseThrow().state()).isEqualTo(CircuitBreaker.State.OPEN);
    }
  }

  @Test
  void priorityAndDeadline_reachTheBatcherThroughCacheAndBreaker() throws Exception {
    Recording model = new Recording("1");
    model.entered = new CountDownLatch(1);
    model.release = new CountDownLatch(1);
    try (ServingChain chain = ServingChain.newBuilder(model).cache().breaker()
        .batching(b -> b.maxBatchSize(1).workers(1).maxQueueDelay(Duration.ZERO)).build()) {
      Future<?> first = pool.submit(() -> chain.predict(in(1)));
      assertThat(model.entered.await(30, TimeUnit.SECONDS)).isTrue();
      Future<?> normal = pool.submit(() -> chain.predict(in(2)));
      awaitQueued(chain, 1);
      Future<?> high = pool.submit(() -> chain.predict(in(3), List.of(), CallOptions.of(Priority.HIGH)));
      awaitQueued(chain, 2);
      Deadline soon = Deadline.after(Duration.ofMillis(20));
      Future<?> late = pool.submit(() -> chain.predict(in(4), List.of(), CallOptions.of(soon)));
      awaitQueued(chain, 3);
      while (!soon.isExpired()) {
        Thread.onSpinWait();
      }
      model.release.countDown();
      first.get();
      normal.get();
      high.get();
      assertThat(late).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
          .withCauseInstanceOf(DeadlineExceededException.class);
      assertThat(model.seen.subList(0, 3)).as("the batcher took the high-priority request first").containsExactly(1f, 3f, 2f);
    }
  }

  @Test
  void expiredDeadline_isRefusedWithoutReachingTheEngine() {
    Recording model = new Recording("1");
    try (ServingChain chain = ServingChain.newBuilder(model).cache().breaker().batching().build()) {
      Deadline past = Deadline.after(Duration.ofNanos(1));
      while (!past.isExpired()) {
        Thread.onSpinWait();
      }
      assertThatThrownBy(() -> chain.predict(in(1), List.of(), CallOptions.of(past)))
          .isInstanceOf(DeadlineExceededException.class);
      assertThat(model.seen).isEmpty();
    }
  }

  private static void awaitQueued(ServingChain chain, int n) {
    while (chain.batcher().orElseThrow().stats().queuedRequests() < n) {
      Thread.onSpinWait();
    }
  }

  @Test
  void close_letsCallsInFlightFinish_refusesLaterOnes_closesEverythingOnce() throws Exception {
    Recording model = new Recording("1");
    model.entered = new CountDownLatch(1);
    model.release = new CountDownLatch(1);
    ServingChain chain = ServingChain.newBuilder(model).cache().breaker().batching().build();
    Future<NamedTensors> inFlight = pool.submit(() -> chain.predict(in(4)));
    assertThat(model.entered.await(30, TimeUnit.SECONDS)).isTrue();
    AtomicBoolean closeReturned = new AtomicBoolean();
    Future<?> closing = pool.submit(() -> {
      chain.close();
      closeReturned.set(true);
    });
    while (!chain.isClosed()) {
      Thread.onSpinWait();
    }
    assertThatThrownBy(() -> chain.predict(in(5))).isInstanceOf(ModelClosedException.class)
        .hasMessageContaining("serving chain of model");
    assertThat(chain.predictAsync(in(5), List.of(), CallOptions.defaults(), pool))
        .failsWithin(Duration.ofSeconds(30)).withThrowableThat().withCauseInstanceOf(ModelClosedException.class);
    assertThat(closeReturned).as("close waits for the call in flight").isFalse();
    assertThat(model.closes).hasValue(0);
    model.release.countDown();
    assertThat(y(inFlight.get())).isEqualTo(8f);
    closing.get();
    assertThat(chain.batcher().orElseThrow().isClosed()).isTrue();
    assertThatThrownBy(() -> chain.cache().orElseThrow().invalidateAll()).isInstanceOf(ModelClosedException.class);
    assertThat(model.closes).as("the version handle is released last").hasValue(1);
    chain.close();
    assertThat(model.closes).as("close is idempotent").hasValue(1);
  }

  @Test
  void defaults_everyLayerOff_cacheOfTenThousand() {
    Recording model = new Recording("1");
    try (ServingChain bare = ServingChain.newBuilder(model).build()) {
      assertThat(bare.cache()).isEmpty();
      assertThat(bare.breaker()).isEmpty();
      assertThat(bare.batcher()).isEmpty();
      assertThat(y(bare.predict(in(1)))).isEqualTo(2f);
    }
    assertThat(ServingChain.DEFAULT_CACHE_SIZE).isEqualTo(10_000);
    Recording other = new Recording("1");
    try (ServingChain chain = ServingChain.newBuilder(other).cache().build()) {
      for (int i = 0; i < 10_001; i++) {
        chain.predict(in(i));
      }
      while (chain.cache().orElseThrow().stats().evictions() == 0) {
        chain.predict(in(10_001)); // a read or write runs the cache's pending maintenance
      }
      assertThat(chain.cache().orElseThrow().stats().entries()).isLessThanOrEqualTo(10_000);
    }
  }

  @Test
  void unbatchableModel_failsUnlessBatchingIsOptional() {
    Recording model = new Recording("1");
    Predictor fixed = new dev.jinfer.ForwardingPredictor(model) {
      @Override
      public ModelSignature signature() {
        return ModelSignature.of(List.of(dev.jinfer.TensorSpec.of("x", dev.jinfer.DType.FLOAT32, 1, 2)),
            List.of(dev.jinfer.TensorSpec.of("y", dev.jinfer.DType.FLOAT32, 1, 2)));
      }
    };
    assertThatThrownBy(() -> ServingChain.newBuilder(fixed).batching().build()).isInstanceOf(IllegalArgumentException.class);
    try (ServingChain chain = ServingChain.newBuilder(fixed).batching().batchingRequired(false).build()) {
      assertThat(chain.batcher()).isEmpty();
    }
  }

  @Test
  void registryChain_isPinnedToOneVersion_andACachedAnswerNeverCrossesAHotSwap(@TempDir Path dir) throws Exception {
    RegistryRepo repo = new RegistryRepo(dir);
    repo.scale("fraud", "1");
    try (ModelRegistry registry = ModelRegistry.newBuilder(repo.root()).backends(Backends.of(new ScaleBackend()))
        .warmupCalls(0).build()) {
      registry.start();
      ServingChain v1 = ServingChain.newBuilder(registry, "fraud").cache().breaker().batching().build();
      assertThat(v1.modelId()).isEqualTo(new ModelId("fraud", "1"));
      assertThat(y(v1.predict(in(5)))).isEqualTo(5f);
      repo.scale("fraud", "2");
      registry.reload();
      try (Predictor current = registry.predictor("fraud")) {
        assertThat(current.modelId().version()).isEqualTo("2");
      }
      ServingChain v2 = ServingChain.newBuilder(registry, "fraud").cache().breaker().batching().build();
      assertThat(v2.modelId()).isEqualTo(new ModelId("fraud", "2"));
      assertThat(y(v2.predict(in(5)))).as("version 2's answer, not version 1's cached one").isEqualTo(10f);
      assertThat(v2.cache().orElseThrow().stats().hits()).isZero();
      v1.close();
      v2.close();
      try (ServingChain pinned = ServingChain.newBuilder(registry, "fraud").version("2").build()) {
        assertThat(pinned.modelId().version()).isEqualTo("2");
      }
    }
  }

  @Test
  void modelClosedUnderTheChain_failsEveryCallWithModelClosed_andNeverOpensTheBreaker(@TempDir Path dir) throws Exception {
    Path file = ScaleBackend.writeModel(dir, "m.scale", 2f);
    Model model = Backends.of(new ScaleBackend()).load(file, LoadOptions.newBuilder().warmupCalls(0).build());
    try (ServingChain chain = ServingChain.newBuilder(model.predictor()).cache().breaker(b -> b.countBasedWindow(2)
        .minimumNumberOfCalls(2)).batching().build()) {
      model.close();
      for (int i = 0; i < 5; i++) {
        int v = 100 + i;
        assertThatThrownBy(() -> chain.predict(in(v))).isInstanceOf(ModelClosedException.class)
            .hasMessageContaining("is closed")
            .extracting(e -> ((InferenceException) e).code()).isEqualTo(ErrorCode.MODEL_CLOSED);
      }
      assertThat(chain.breaker().orElseThrow().state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
  }
}
