package dev.jinfer.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault injection through the whole serving chain (cache -> breaker -> batcher -> output check -> model)
 * with an engine that misbehaves in the ways real ones do: it answers the wrong output shape or row count,
 * answers NaN, stalls past the caller's deadline, or crashes one call in N. Callers get a typed
 * {@link InferenceException} naming what went wrong (or the fallback's answer), never another input's
 * answer; the breaker opens and recovers; every queued request completes exactly once; close completes,
 * within a bound when asked.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServingChainEngineFaultsTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(8);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  enum Fault { NONE, WRONG_WIDTH, WRONG_ROWS, NAN, STALL, CRASH_ONE_IN_N }

  /** Doubles x, unless the fault in force says otherwise. */
  static final class Misbehaving implements Predictor {
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger rows = new AtomicInteger();
    final CountDownLatch closed = new CountDownLatch(1);
    final CountDownLatch stalled = new CountDownLatch(1);
    volatile CountDownLatch unstall = new CountDownLatch(1);
    volatile Fault fault = Fault.NONE;
    volatile int n = 3;

    @Override
    public ModelId modelId() {
      return new ModelId("misbehaving", "1");
    }

    @Override
    public ModelSignature signature() {
      return ScaleBackend.SIGNATURE;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
      int call = calls.incrementAndGet();
      float[] x = inputs.get("x").toFloatArray();
      int r = x.length / 2;
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        y[i] = 2 * x[i];
      }
      switch (fault) {
        case WRONG_WIDTH:
          return NamedTensors.of("y", Tensor.ofFloats(new float[r * 3], r, 3));
        case WRONG_ROWS:
          return NamedTensors.of("y", Tensor.ofFloats(new float[(r + 1) * 2], r + 1, 2));
        case NAN:
          y[0] = Float.NaN;
          break;
        case STALL:
          stalled.countDown();
          try {
            if (!unstall.await(20, TimeUnit.SECONDS)) {
              throw new BackendException("test engine: never released from its stall");
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("test engine: interrupted in its stall", e);
          }
          break;
        case CRASH_ONE_IN_N:
          if (call % n == 0) {
            throw new BackendException("injected engine crash in call " + call);
          }
          break;
        default:
          break;
      }
      rows.addAndGet(r);
      return NamedTensors.of("y", Tensor.ofFloats(y, r, 2));
    }

    @Override
    public void close() {
      closed.countDown();
    }
  }

  /** The fallback: answers 0 for every row. */
  static final class Zeros implements Predictor {
    @Override
    public ModelId modelId() {
      return new ModelId("zeros", "1");
    }

    @Override
    public ModelSignature signature() {
      return ScaleBackend.SIGNATURE;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
      int r = (int) inputs.get("x").shape().dim(0);
      return NamedTensors.of("y", Tensor.ofFloats(new float[r * 2], r, 2));
    }

    @Override
    public void close() {
      // owns nothing
    }
  }

  @Test
  void wrongOutputShape_isABackendErrorNamingTheOutput_forEveryQueuedCaller_andOpensTheBreaker() throws Exception {
    Misbehaving model = new Misbehaving();
    model.fault = Fault.WRONG_WIDTH;
    try (ServingChain chain = ServingChain.newBuilder(model).cache().batching()
        .breaker(b -> b.countBasedWindow(20).minimumNumberOfCalls(20)).build()) {
      List<CompletableFuture<NamedTensors>> futures = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        futures.add(chain.predictAsync(ServingChainTest.in(i), List.of(), CallOptions.defaults(), pool));
      }
      int named = 0;
      for (CompletableFuture<NamedTensors> f : futures) {
        try {
          f.get(30, TimeUnit.SECONDS);
          throw new AssertionError("a malformed answer reached a caller");
        } catch (ExecutionException e) {
          if (e.getCause() instanceof CircuitOpenException) {
            continue; // refused once the breaker opened: typed too
          }
          assertThat(e.getCause()).isInstanceOf(BackendException.class)
              .hasMessageContaining("output 'y': expected FLOAT32 [-1, 2]").hasMessageContaining("[1, 3]");
          named++;
        }
      }
      assertThat(named).as("the calls that reached the engine, before the breaker opened").isGreaterThanOrEqualTo(20);
      assertThat(chain.breaker().orElseThrow().state()).isEqualTo(CircuitBreaker.State.OPEN);
      assertThat(chain.cache().orElseThrow().stats().entries()).as("no error is cached").isZero();
    }
  }

  @Test
  void wrongRowCount_ofAOneRequestBatch_isCaughtBeforeItReachesTheCaller() {
    Misbehaving model = new Misbehaving();
    model.fault = Fault.WRONG_ROWS;
    try (ServingChain chain = ServingChain.newBuilder(model).batching().build()) {
      assertThatThrownBy(() -> chain.predict(ServingChainTest.in(1))).isInstanceOf(BackendException.class)
          .hasMessageContaining("output 'y'").hasMessageContaining("with 1 rows").hasMessageContaining("[2, 2]");
    }
  }

  @Test
  void nanOutputs_passThroughByDefault_andAreAnEngineFailureWhenRefused() {
    Misbehaving model = new Misbehaving();
    model.fault = Fault.NAN;
    try (ServingChain passing = ServingChain.newBuilder(model).cache().batching().build()) {
      assertThat(ServingChainTest.y(passing.predict(ServingChainTest.in(1)))).as("documented pass-through").isNaN();
    }
    Misbehaving strict = new Misbehaving();
    strict.fault = Fault.NAN;
    try (ServingChain chain = ServingChain.newBuilder(strict).cache().batching().rejectNonFiniteOutputs(true)
        .breaker(b -> b.countBasedWindow(4).minimumNumberOfCalls(4)).build()) {
      for (int i = 0; i < 4; i++) {
        assertThatThrownBy(() -> chain.predict(ServingChainTest.in(1))).isInstanceOf(BackendException.class)
            .hasMessageContaining("output 'y': expected finite values").hasMessageContaining("element 0 = NaN");
      }
      assertThat(chain.breaker().orElseThrow().state()).as("NaN answers count as engine failures").isEqualTo(CircuitBreaker.State.OPEN);
      assertThat(chain.cache().orElseThrow().stats().entries()).as("a refused answer is not cached").isZero();
    }
  }

  @Test
  void anEngineThatStalls_failsCallersAtTheirDeadline_andABoundedCloseReturnsThenFinishesAfterTheLastCall() throws Exception {
    Misbehaving model = new Misbehaving();
    model.fault = Fault.STALL;
    ServingChain chain = ServingChain.newBuilder(model).batching().breaker().build();
    CompletableFuture<NamedTensors> stuck = chain.predictAsync(ServingChainTest.in(1), List.of(), CallOptions.defaults(), pool);
    assertThat(model.stalled.await(10, TimeUnit.SECONDS)).isTrue();

    long start = System.nanoTime();
    assertThatThrownBy(() -> chain.predict(ServingChainTest.in(2), List.of(), CallOptions.of(Deadline.after(Duration.ofMillis(100)))))
        .isInstanceOf(DeadlineExceededException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("failed at its deadline, not at the stall's end")
        .isLessThan(Duration.ofSeconds(5));

    assertThat(chain.close(Duration.ofMillis(100))).as("a call is still in the engine").isFalse();
    assertThatThrownBy(() -> chain.predict(ServingChainTest.in(3))).isInstanceOf(ModelClosedException.class);
    assertThat(model.closed.getCount()).as("not closed under a running call").isEqualTo(1);

    model.fault = Fault.NONE;
    model.unstall.countDown();
    assertThat(ServingChainTest.y(stuck.get(10, TimeUnit.SECONDS))).as("the stalled call's own answer").isEqualTo(2f);
    assertThat(model.closed.await(10, TimeUnit.SECONDS)).as("the last call closed the chain").isTrue();
    assertThat(chain.close(Duration.ZERO)).isTrue();
  }

  @Test
  void crashesOneInN_everyRequestCompletesExactlyOnce_thenAllCrash_theBreakerOpensToTheFallback_andRecovers() throws Exception {
    Misbehaving model = new Misbehaving();
    model.fault = Fault.CRASH_ONE_IN_N;
    model.n = 3;
    AtomicLong now = new AtomicLong();
    int requests = 1_000;
    AtomicIntegerArray completions = new AtomicIntegerArray(requests);
    try (ServingChain chain = ServingChain.newBuilder(model).batching(b -> b.maxBatchSize(8))
        .breaker(b -> b.countBasedWindow(10).minimumNumberOfCalls(10).failureRateThreshold(90)
            .waitDurationInOpenState(Duration.ofSeconds(5)).permittedCallsInHalfOpenState(2).ticker(now::get)
            .fallback(new Zeros())).build()) {
      List<CompletableFuture<NamedTensors>> futures = new ArrayList<>();
      for (int i = 0; i < requests; i++) {
        int index = i;
        CompletableFuture<NamedTensors> f = chain.predictAsync(ServingChainTest.in(i), List.of(), CallOptions.defaults(), pool);
        f.whenComplete((r, e) -> completions.incrementAndGet(index));
        futures.add(f);
      }
      int own = 0;
      int failed = 0;
      for (int i = 0; i < requests; i++) {
        try {
          assertThat(ServingChainTest.y(futures.get(i).get(30, TimeUnit.SECONDS))).as("request %d's own answer", i)
              .isEqualTo(2f * i);
          own++;
        } catch (ExecutionException e) {
          assertThat(e.getCause()).as("request %d", i).isInstanceOf(BackendException.class)
              .hasMessageContaining("injected engine crash");
          failed++;
        }
      }
      for (int i = 0; i < requests; i++) {
        assertThat(completions.get(i)).as("request %d completed once", i).isEqualTo(1);
      }
      assertThat(own + failed).isEqualTo(requests);
      assertThat(model.calls.get()).as("the engine crashed at least once").isGreaterThanOrEqualTo(3);
      assertThat(own).as("every answer the engine computed reached its caller, and only those").isEqualTo(model.rows.get());

      model.n = 1;
      int crashes = 0;
      while (chain.breaker().orElseThrow().state() == CircuitBreaker.State.CLOSED && crashes < 100) {
        int v = crashes++;
        assertThatThrownBy(() -> chain.predict(ServingChainTest.in(v))).isInstanceOf(BackendException.class);
      }
      assertThat(chain.breaker().orElseThrow().state()).as("every call crashes: the breaker opened").isEqualTo(CircuitBreaker.State.OPEN);
      int calls = model.calls.get();
      assertThat(ServingChainTest.y(chain.predict(ServingChainTest.in(5)))).as("the fallback's answer").isZero();
      assertThat(model.calls).as("an open breaker does not reach the engine").hasValue(calls);

      model.fault = Fault.NONE;
      now.addAndGet(Duration.ofSeconds(6).toNanos());
      assertThat(ServingChainTest.y(chain.predict(ServingChainTest.in(7)))).isEqualTo(14f);
      assertThat(ServingChainTest.y(chain.predict(ServingChainTest.in(8)))).isEqualTo(16f);
      assertThat(chain.breaker().orElseThrow().state()).as("recovered").isEqualTo(CircuitBreaker.State.CLOSED);
    }
    assertThat(model.closed.await(10, TimeUnit.SECONDS)).as("close completed").isTrue();
  }

  @Test
  void closeWithABound_rejectsNullAndNegative_andIsImmediateWhenIdle() {
    Misbehaving model = new Misbehaving();
    ServingChain chain = ServingChain.newBuilder(model).batching().build();
    assertThatThrownBy(() -> chain.close(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout must be >= 0");
    assertThat(chain.close(Duration.ZERO)).isTrue();
    assertThat(model.closed.getCount()).isZero();
    assertThat(chain.close(Duration.ZERO)).as("idempotent").isTrue();
    chain.close();
  }
}
