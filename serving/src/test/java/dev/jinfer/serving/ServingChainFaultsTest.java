package dev.jinfer.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.InferenceException;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import dev.jinfer.Tensor;
import dev.jinfer.breaker.CircuitBreaker;
import dev.jinfer.breaker.CircuitOpenException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault injection through the whole serving chain (cache -> breaker -> batcher -> model) with a model that
 * fails one call in N or every call: callers get the answer or a typed error, every request completes
 * exactly once, the breaker opens and recovers, and close completes with nothing lost.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServingChainFaultsTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(8);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  /** Doubles x; fails every {@code failEvery}-th engine call (0: never) or, when {@code down}, every call. */
  static final class Faulty implements Predictor {
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger rows = new AtomicInteger();
    volatile int failEvery;
    volatile boolean down;

    @Override
    public ModelId modelId() {
      return new ModelId("faulty", "1");
    }

    @Override
    public ModelSignature signature() {
      return ScaleBackend.SIGNATURE;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
      int n = calls.incrementAndGet();
      if (down || (failEvery > 0 && n % failEvery == 0)) {
        throw new BackendException("injected engine failure in call " + n);
      }
      float[] x = inputs.get("x").toFloatArray();
      rows.addAndGet(x.length / 2);
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        y[i] = 2 * x[i];
      }
      return NamedTensors.of("y", Tensor.ofFloats(y, x.length / 2, 2));
    }

    @Override
    public void close() {}
  }

  @Test
  void oneCallInThree_fails_everyRequestCompletesOnceWithItsAnswerOrATypedError() throws Exception {
    Faulty model = new Faulty();
    model.failEvery = 3;
    try (ServingChain chain = ServingChain.newBuilder(model).cache().batching()
        .breaker(b -> b.countBasedWindow(1_000).minimumNumberOfCalls(1_000)).build()) {
      List<CompletableFuture<NamedTensors>> futures = new ArrayList<>();
      for (int i = 0; i < 2_000; i++) {
        futures.add(chain.predictAsync(ServingChainTest.in(i), List.of(), CallOptions.defaults(), pool));
      }
      int ok = 0;
      int failed = 0;
      for (int i = 0; i < futures.size(); i++) {
        try {
          NamedTensors out = futures.get(i).get(30, TimeUnit.SECONDS);
          assertThat(ServingChainTest.y(out)).as("request %d's own answer", i).isEqualTo(2f * i);
          ok++;
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).as("request %d", i).isInstanceOf(BackendException.class)
              .hasMessageContaining("injected engine failure");
          failed++;
        }
      }
      assertThat(ok + failed).isEqualTo(2_000);
      assertThat(ok).as("the rows the engine computed are the answers callers got").isEqualTo(model.rows.get());
      // the engine did fail (every third call); whether a caller sees it depends on timing: the batcher retries a
      // failed batch in halves, so only a failure on a lone request's own call reaches its caller
      assertThat(model.calls.get() / 3).as("injected engine failures").isPositive();
      assertThat(chain.breaker().orElseThrow().state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
  }

  @Test
  void anEngineThatIsDown_opensTheBreaker_whichFailsFastWithoutCallingIt_andRecovers() {
    Faulty model = new Faulty();
    model.down = true;
    AtomicLong now = new AtomicLong();
    try (ServingChain chain = ServingChain.newBuilder(model).batching()
        .breaker(b -> b.countBasedWindow(10).minimumNumberOfCalls(10).permittedCallsInHalfOpenState(2)
            .waitDurationInOpenState(java.time.Duration.ofSeconds(5)).ticker(now::get)).build()) {
      for (int i = 0; i < 10; i++) {
        int v = i;
        assertThatThrownBy(() -> chain.predict(ServingChainTest.in(v))).isInstanceOf(BackendException.class);
      }
      assertThat(chain.breaker().orElseThrow().state()).isEqualTo(CircuitBreaker.State.OPEN);
      int calls = model.calls.get();
      assertThatThrownBy(() -> chain.predict(ServingChainTest.in(100))).isInstanceOf(CircuitOpenException.class)
          .isInstanceOf(InferenceException.class);
      assertThat(model.calls).as("an open breaker does not reach the engine").hasValue(calls);

      model.down = false;
      now.addAndGet(java.time.Duration.ofSeconds(6).toNanos());
      assertThat(ServingChainTest.y(chain.predict(ServingChainTest.in(7)))).isEqualTo(14f);
      assertThat(ServingChainTest.y(chain.predict(ServingChainTest.in(8)))).isEqualTo(16f);
      assertThat(chain.breaker().orElseThrow().state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
  }

  @Test
  void closeUnderLoad_completesEveryRequestExactlyOnce_withAnAnswerOrModelClosed() throws Exception {
    Faulty model = new Faulty();
    model.failEvery = 5;
    ServingChain chain = ServingChain.newBuilder(model).batching().breaker(b -> b.countBasedWindow(1_000)
        .minimumNumberOfCalls(1_000)).build();
    List<CompletableFuture<NamedTensors>> futures = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      futures.add(chain.predictAsync(ServingChainTest.in(i), List.of(), CallOptions.defaults(), pool));
    }
    chain.close();
    int answered = 0;
    for (CompletableFuture<NamedTensors> f : futures) {
      try {
        f.join();
        answered++;
      } catch (CompletionException e) {
        assertThat(e.getCause()).isInstanceOfAny(BackendException.class, ModelClosedException.class);
      }
    }
    assertThat(futures).allMatch(CompletableFuture::isDone);
    assertThat(answered).isEqualTo(model.rows.get());
    assertThatThrownBy(() -> chain.predict(ServingChainTest.in(1))).isInstanceOf(ModelClosedException.class);
  }
}
