package dev.jinfer.batching;

import static dev.jinfer.batching.FakePredictor.check;
import static dev.jinfer.batching.FakePredictor.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.CancelledException;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.ErrorCode;
import dev.jinfer.FakeTicker;
import dev.jinfer.ForwardingPredictor;
import dev.jinfer.InferenceException;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelClosedException;
import dev.jinfer.NamedTensors;
import dev.jinfer.OverloadedException;
import dev.jinfer.Predictor;
import dev.jinfer.Priority;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.breaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Timing logic on a fake clock: the batcher runs in manual-dispatch mode, so batches run only when the
 * test calls {@link BatchingPredictor#dispatchDue()} after moving the ticker. No sleeps, no races.
 */
class BatchingPredictorTest {
  private final FakeTicker ticker = new FakeTicker();
  private final FakePredictor fake = new FakePredictor();
  private final List<BatchingPredictor> opened = new ArrayList<>();

  private BatchingPredictor manual(Function<BatchingPredictor.Builder, BatchingPredictor.Builder> config) {
    BatchingPredictor p = config.apply(BatchingPredictor.newBuilder(fake).manualDispatch().ticker(ticker)).build();
    opened.add(p);
    return p;
  }

  @AfterEach
  void closeAll() {
    opened.forEach(BatchingPredictor::close);
  }

  private static Throwable failure(CompletableFuture<?> f) {
    assertThat(f).isCompletedExceptionally();
    try {
      f.get(0, TimeUnit.SECONDS);
      throw new AssertionError("not failed");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  // ---------------------------------------------------------------- batching

  @Test
  void batchesQueuedRequests_whenTheWindowPasses_onTheFakeClock() {
    BatchingPredictor p = manual(b -> b.maxBatchSize(32).maxQueueDelay(Duration.ofMillis(2)));
    List<CompletableFuture<NamedTensors>> fs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      fs.add(p.predictAsync(request(10 * i, 1, 4)));
      ticker.advance(Duration.ofNanos(300_000));
    }
    assertThat(p.dispatchDue()).isZero();
    ticker.advance(Duration.ofMillis(2).minusNanos(900_001));
    assertThat(p.dispatchDue()).as("1 ns before the window of the first request ends").isZero();
    assertThat(fs).noneMatch(CompletableFuture::isDone);

    ticker.advance(Duration.ofNanos(1));
    assertThat(p.dispatchDue()).isEqualTo(1);
    assertThat(fake.batchRows).containsExactly(3);
    for (int i = 0; i < 3; i++) {
      check(fs.get(i).join(), 10 * i, 1, 4);
    }
    assertThat(p.stats().queuedRequests()).isZero();
  }

  @Test
  void dispatchesAFullBatch_withoutWaitingForTheWindow() {
    BatchingPredictor p = manual(b -> b.maxBatchSize(4).maxQueueDelay(Duration.ofSeconds(1)));
    List<CompletableFuture<NamedTensors>> fs = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      fs.add(p.predictAsync(request(i, 1, 2)));
    }
    assertThat(p.dispatchDue()).isEqualTo(2);
    assertThat(fake.batchRows).containsExactly(4, 4);
    assertThat(fs.get(8)).isNotDone();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(p.dispatchDue()).isEqualTo(1);
    assertThat(fake.batchRows).containsExactly(4, 4, 1);
    for (int i = 0; i < 9; i++) {
      check(fs.get(i).join(), i, 1, 2);
    }
  }

  @Test
  void splitsMultiRowRequests_intoRowViewsOfTheirOwn() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ZERO));
    CompletableFuture<NamedTensors> a = p.predictAsync(request(100, 1, 3));
    CompletableFuture<NamedTensors> b = p.predictAsync(request(200, 3, 3));
    CompletableFuture<NamedTensors> c = p.predictAsync(request(300, 2, 3));
    assertThat(p.dispatchDue()).isEqualTo(1);

    assertThat(fake.batchRows).containsExactly(6);
    check(a.join(), 100, 1, 3);
    check(b.join(), 200, 3, 3);
    check(c.join(), 300, 2, 3);
    assertThat(b.join().get("y").shape()).isEqualTo(Shape.of(3, 3));
  }

  @Test
  void zeroRowRequest_completesWithZeroRowOutputs_aloneAndInsideABatch() {
    // issue 14: a [0, n] request is legal; alone it runs as an empty call, in a batch it adds no rows
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ZERO));
    CompletableFuture<NamedTensors> alone = p.predictAsync(request(0, 0, 3));
    assertThat(p.dispatchDue()).isEqualTo(1);
    check(alone.join(), 0, 0, 3);
    assertThat(alone.join().get("y").shape()).isEqualTo(Shape.of(0, 3));
    assertThat(alone.join().get("sum").shape()).isEqualTo(Shape.of(0));

    CompletableFuture<NamedTensors> a = p.predictAsync(request(100, 1, 3));
    CompletableFuture<NamedTensors> empty = p.predictAsync(request(0, 0, 3));
    CompletableFuture<NamedTensors> c = p.predictAsync(request(300, 2, 3));
    assertThat(p.dispatchDue()).isEqualTo(1);
    assertThat(fake.batchRows).containsExactly(0, 3);
    check(a.join(), 100, 1, 3);
    check(empty.join(), 0, 0, 3);
    check(c.join(), 300, 2, 3);
  }

  @Test
  void runsARequestLargerThanTheLimit_alone() {
    BatchingPredictor p = manual(b -> b.maxBatchSize(4).maxQueueDelay(Duration.ZERO));
    CompletableFuture<NamedTensors> big = p.predictAsync(request(1, 10, 2));
    CompletableFuture<NamedTensors> small = p.predictAsync(request(50, 1, 2));
    assertThat(p.dispatchDue()).isEqualTo(2);
    assertThat(fake.batchRows).containsExactly(10, 1);
    check(big.join(), 1, 10, 2);
    check(small.join(), 50, 1, 2);
  }

  @Test
  void neverConcatenatesRequests_withDifferentShapesOrOutputs() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ofMillis(1)));
    CompletableFuture<NamedTensors> narrow1 = p.predictAsync(request(1, 1, 4));
    CompletableFuture<NamedTensors> wide = p.predictAsync(request(2, 1, 8));
    CompletableFuture<NamedTensors> onlyY = p.predictAsync(request(3, 1, 4), List.of("y"), CallOptions.defaults());
    CompletableFuture<NamedTensors> narrow2 = p.predictAsync(request(4, 2, 4));
    ticker.advance(Duration.ofMillis(1));

    assertThat(p.dispatchDue()).isEqualTo(3);
    assertThat(fake.inputs).extracting(Tensor::shape)
        .containsExactlyInAnyOrder(Shape.of(3, 4), Shape.of(1, 8), Shape.of(1, 4));
    check(narrow1.join(), 1, 1, 4);
    check(narrow2.join(), 4, 2, 4);
    check(wide.join(), 2, 1, 8);
    assertThat(onlyY.join().names()).containsExactly("y");
  }

  @Test
  void takesHighPriorityRequestsFirst() {
    BatchingPredictor p = manual(b -> b.maxBatchSize(2).maxQueueDelay(Duration.ofMillis(1)));
    CompletableFuture<NamedTensors> n1 = p.predictAsync(request(1, 1, 1));
    CompletableFuture<NamedTensors> n2 = p.predictAsync(request(2, 1, 1));
    CompletableFuture<NamedTensors> h = p.predictAsync(request(3, 1, 1), CallOptions.of(Priority.HIGH));
    ticker.advance(Duration.ofMillis(1));

    assertThat(p.dispatchDue()).isEqualTo(2);
    assertThat(fake.inputs).extracting(t -> t.toFloatArray()[0]).containsExactly(3f, 2f);
    assertThat(fake.inputs.peek().toFloatArray()).containsExactly(3f, 1f);
    check(h.join(), 3, 1, 1);
    check(n1.join(), 1, 1, 1);
    check(n2.join(), 2, 1, 1);
  }

  @Test
  void priorityInCallOptions_reachesTheQueue_throughAForwardingPredictorInFront() throws Exception {
    BatchingPredictor p = manual(b -> b.maxBatchSize(2).maxQueueDelay(Duration.ofMillis(1)));
    AtomicInteger forwarded = new AtomicInteger();
    // a decorator that knows nothing of priorities (like a cache or a breaker): it only forwards
    Predictor front = new ForwardingPredictor(p) {
      @Override
      public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
        forwarded.incrementAndGet();
        return super.predict(inputs, outputNames, options);
      }
    };
    CompletableFuture<NamedTensors> n1 = p.predictAsync(request(1, 1, 1));
    CompletableFuture<NamedTensors> n2 = p.predictAsync(request(2, 1, 1));
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      CompletableFuture<NamedTensors> h = front.predictAsync(request(3, 1, 1), List.of(), CallOptions.of(Priority.HIGH),
          caller);
      Waits.until(() -> p.stats().queuedRequests() == 3);
      ticker.advance(Duration.ofMillis(1));

      assertThat(p.dispatchDue()).isEqualTo(2);
      assertThat(forwarded).hasValue(1);
      // the HIGH request went first: it shares the first batch with the newest normal one
      assertThat(fake.inputs).extracting(t -> t.toFloatArray()[0]).containsExactly(3f, 2f);
      assertThat(fake.inputs.peek().toFloatArray()).containsExactly(3f, 1f);
      check(h.get(30, TimeUnit.SECONDS), 3, 1, 1);
      check(n1.join(), 1, 1, 1);
      check(n2.join(), 2, 1, 1);
    } finally {
      caller.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- overload, deadlines, cancellation

  @Test
  void rejectsAtOnce_whenTheQueueIsFull_withATypedOverloadError() {
    BatchingPredictor p = manual(b -> b.maxQueueSize(2));
    CompletableFuture<NamedTensors> a = p.predictAsync(request(1, 1, 2));
    CompletableFuture<NamedTensors> b = p.predictAsync(request(2, 1, 2));
    CompletableFuture<NamedTensors> c = p.predictAsync(request(3, 1, 2));

    assertThat(failure(c)).isInstanceOf(OverloadedException.class).hasMessageContaining("maxQueueSize 2");
    assertThatThrownBy(() -> p.predict(request(4, 1, 2), List.of()))
        .isInstanceOf(OverloadedException.class)
        .satisfies(e -> assertThat(((InferenceException) e).code()).isEqualTo(ErrorCode.OVERLOADED));

    CompletableFuture<NamedTensors> high = p.predictAsync(request(5, 1, 2), CallOptions.of(Priority.HIGH));
    assertThat(failure(b)).isInstanceOf(OverloadedException.class).hasMessageContaining("displaced");
    assertThat(p.stats().rejected()).isEqualTo(3);

    p.close();
    check(a.join(), 1, 1, 2);
    check(high.join(), 5, 1, 2);
  }

  @Test
  void expiresQueuedRequests_atTheirDeadline_withoutRunningThem() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ofMillis(10)).defaultTimeout(Duration.ofMillis(5)));
    CompletableFuture<NamedTensors> byDefault = p.predictAsync(request(1, 1, 2));
    CompletableFuture<NamedTensors> own = p.predictAsync(request(2, 1, 2),
        CallOptions.of(Deadline.after(Duration.ofMillis(20), ticker)));

    ticker.advance(Duration.ofMillis(5).minusNanos(1));
    assertThat(p.dispatchDue()).isZero();
    assertThat(byDefault).isNotDone();
    ticker.advance(Duration.ofNanos(1));
    assertThat(p.dispatchDue()).isZero();
    assertThat(failure(byDefault)).isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining("did not run")
        .satisfies(e -> assertThat(((InferenceException) e).code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED));
    assertThat(fake.calls).hasValue(0);

    ticker.advance(Duration.ofMillis(5));
    assertThat(p.dispatchDue()).isEqualTo(1);
    assertThat(fake.batchRows).containsExactly(1);
    check(own.join(), 2, 1, 2);
    assertThat(p.stats().expired()).isEqualTo(1);
  }

  @Test
  void cancelledRequests_neverRun() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ZERO));
    CompletableFuture<NamedTensors> a = p.predictAsync(request(1, 1, 2));
    CompletableFuture<NamedTensors> b = p.predictAsync(request(2, 1, 2));
    a.cancel(false);
    assertThat(p.dispatchDue()).isEqualTo(1);
    assertThat(fake.batchRows).containsExactly(1);
    check(b.join(), 2, 1, 2);
    assertThat(p.stats().cancelled()).isEqualTo(1);
  }

  @Test
  void interruptedPredict_cancelsItsRequest_andKeepsTheInterruptFlag() throws Exception {
    BatchingPredictor p = manual(b -> b);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicReference<Boolean> flag = new AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        p.predict(request(1, 1, 2), List.of());
      } catch (Throwable e) {
        thrown.set(e);
        flag.set(Thread.currentThread().isInterrupted());
      }
    });
    caller.start();
    Waits.until(() -> p.stats().queuedRequests() == 1);
    caller.interrupt();
    caller.join(10_000);

    assertThat(thrown.get()).isInstanceOf(CancelledException.class)
        .hasCauseInstanceOf(InterruptedException.class);
    assertThat(((CancelledException) thrown.get()).code()).isEqualTo(ErrorCode.CANCELLED);
    assertThat(CircuitBreaker.defaultFailurePredicate().test(thrown.get()))
        .as("the caller's decision, not an engine failure: breakers do not count it").isFalse();
    assertThat(flag.get()).isTrue();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(p.dispatchDue()).isZero();
    assertThat(fake.calls).hasValue(0);
  }

  @Test
  void rejectsInvalidInput_atSubmission_soItNeverReachesABatch() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ZERO));
    CompletableFuture<NamedTensors> bad = p.predictAsync(NamedTensors.of("x", Tensor.ofInts(new int[] {1, 2}, 1, 2)));
    CompletableFuture<NamedTensors> unknownOutput = p.predictAsync(request(1, 1, 2), List.of("nope"), CallOptions.defaults());
    CompletableFuture<NamedTensors> noOptions = p.predictAsync(request(1, 1, 2), List.of(), (CallOptions) null);

    assertThat(failure(bad)).isInstanceOf(InvalidInputException.class).hasMessageContaining("input 'x'");
    assertThat(failure(unknownOutput)).isInstanceOf(InvalidInputException.class).hasMessageContaining("output 'nope'");
    assertThat(failure(noOptions)).isInstanceOf(InvalidInputException.class).hasMessageContaining("options");
    assertThatThrownBy(() -> p.predict(NamedTensors.empty(), List.of())).isInstanceOf(InvalidInputException.class);
    assertThat(p.dispatchDue()).isZero();
    assertThat(fake.calls).hasValue(0);
  }

  @Test
  void rejectsInputsWithDifferentRowCounts_namingBothInputs() {
    FakePredictor twoInputs = new FakePredictor() {
      @Override
      public dev.jinfer.ModelSignature signature() {
        return dev.jinfer.ModelSignature.of(
            List.of(dev.jinfer.TensorSpec.of("x", dev.jinfer.DType.FLOAT32, Shape.DYNAMIC, Shape.DYNAMIC),
                dev.jinfer.TensorSpec.of("z", dev.jinfer.DType.FLOAT32, Shape.DYNAMIC, 1)),
            FakePredictor.SIGNATURE.outputs());
      }
    };
    BatchingPredictor p = BatchingPredictor.newBuilder(twoInputs).manualDispatch().ticker(ticker).build();
    opened.add(p);
    CompletableFuture<NamedTensors> f = p.predictAsync(NamedTensors.of("x", Tensor.ofFloats(new float[4], 2, 2),
        "z", Tensor.ofFloats(new float[3], 3, 1)));
    assertThat(failure(f)).isInstanceOf(InvalidInputException.class)
        .hasMessage("input 'z': expected 2 rows like input 'x' but got FLOAT32 [3, 1]");
  }

  // ---------------------------------------------------------------- failure isolation

  @Test
  void aPoisonRequest_failsAlone_withTheEnginesOwnError_andTheOthersSucceed() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ZERO));
    fake.poison = -7f;
    List<CompletableFuture<NamedTensors>> fs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      fs.add(p.predictAsync(request(i == 5 ? -7f : i, 1, 3)));
    }
    p.dispatchDue();

    for (int i = 0; i < 8; i++) {
      if (i == 5) {
        assertThat(failure(fs.get(i))).isInstanceOf(BackendException.class)
            .hasMessage("poison value -7.0 in row 0 of 1");
      } else {
        check(fs.get(i).join(), i, 1, 3);
      }
    }
    assertThat(fake.calls.get()).as("bisection: at most 2n - 1 calls").isLessThanOrEqualTo(15);
    assertThat(p.stats().splits()).isEqualTo(3);
  }

  @Test
  void twoPoisonRequests_eachFailWithTheirOwnError() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ZERO));
    fake.poison = -7f;
    CompletableFuture<NamedTensors> ok1 = p.predictAsync(request(1, 1, 2));
    CompletableFuture<NamedTensors> bad1 = p.predictAsync(request(-7f, 1, 2));
    CompletableFuture<NamedTensors> ok2 = p.predictAsync(request(2, 2, 2));
    CompletableFuture<NamedTensors> bad2 = p.predictAsync(request(-8f, 2, 2));
    p.dispatchDue();

    check(ok1.join(), 1, 1, 2);
    check(ok2.join(), 2, 2, 2);
    assertThat(failure(bad1)).hasMessage("poison value -7.0 in row 0 of 1");
    assertThat(failure(bad2)).hasMessage("poison value -7.0 in row 1 of 2");
  }

  @Test
  void errorsThatDoNotDependOnTheRequests_failTheWholeBatchAtOnce() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ZERO));
    ModelClosedException closed = new ModelClosedException("model fake:1 is closed");
    fake.failure = closed;
    List<CompletableFuture<NamedTensors>> fs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fs.add(p.predictAsync(request(i, 1, 2)));
    }
    p.dispatchDue();
    assertThat(fake.calls).hasValue(1);
    assertThat(fs).allSatisfy(f -> assertThat(failure(f)).isSameAs(closed));
    assertThatThrownBy(() -> {
      CompletableFuture<NamedTensors> f = p.predictAsync(request(9, 1, 2));
      p.dispatchDue();
      f.join();
    }).hasCause(closed);
  }

  @Test
  void withoutIsolation_everyRequestOfAFailedBatchGetsTheBatchError() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ZERO).isolateFailures(false));
    fake.poison = -7f;
    CompletableFuture<NamedTensors> ok = p.predictAsync(request(1, 1, 2));
    CompletableFuture<NamedTensors> bad = p.predictAsync(request(-7f, 1, 2));
    p.dispatchDue();
    assertThat(fake.calls).hasValue(1);
    assertThat(failure(ok)).isSameAs(failure(bad)).hasMessage("poison value -7.0 in row 1 of 2");
  }

  @Test
  void outputsWithoutTheBatchDimension_areRetriedRequestByRequest_andLaterRunOneByOne() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ZERO));
    fake.dropBatchDimension = true;
    CompletableFuture<NamedTensors> a = p.predictAsync(request(1, 1, 2));
    CompletableFuture<NamedTensors> b = p.predictAsync(request(5, 1, 2));
    p.dispatchDue();
    assertThat(a.join().get("sum").toFloatArray()).containsExactly(2f);
    assertThat(b.join().get("sum").toFloatArray()).containsExactly(10f);
    assertThat(fake.calls).hasValue(3);

    // known unsplittable now: four requests cost four engine calls, not a doomed batch plus halvings (7)
    List<CompletableFuture<NamedTensors>> more = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      more.add(p.predictAsync(request(i, 1, 2)));
    }
    p.dispatchDue();
    for (int i = 0; i < 4; i++) {
      assertThat(more.get(i).join().get("sum").toFloatArray()).containsExactly(2f * i);
    }
    assertThat(fake.calls).hasValue(3 + 4);

    BatchingPredictor strict = manual(c -> c.maxQueueDelay(Duration.ZERO).isolateFailures(false));
    CompletableFuture<NamedTensors> c = strict.predictAsync(request(1, 1, 2));
    CompletableFuture<NamedTensors> d = strict.predictAsync(request(5, 1, 2));
    strict.dispatchDue();
    assertThat(failure(c)).isInstanceOf(BackendException.class).hasMessageContaining("cannot split output 'sum'");
    assertThat(failure(d)).isInstanceOf(BackendException.class);
  }

  // ---------------------------------------------------------------- adaptive mode

  /** Runs one batch of each size: submits its requests, lets the window in force pass, dispatches. */
  private void runBatches(BatchingPredictor p, int... sizes) {
    for (int n : sizes) {
      List<CompletableFuture<NamedTensors>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        fs.add(p.predictAsync(request(i, 1, 2)));
      }
      ticker.advance(p.stats().batchWindow());
      p.dispatchDue();
      fs.forEach(CompletableFuture::join);
    }
  }

  @Test
  void adaptive_learnsTheEngineCost_andKeepsTwoBatchesWithinTheTarget() {
    fake.ticker = ticker;
    fake.fixed = Duration.ofMillis(1);
    fake.perRow = Duration.ofNanos(100_000);
    BatchingPredictor p = manual(b -> b.maxBatchSize(64).latencyTarget(Duration.ofMillis(6)));
    assertThat(p.stats().batchLimit()).isEqualTo(64);
    for (int round = 0; round < 4; round++) {
      runBatches(p, 1, 7, 13, 3, 19, 11, 17, 5);
    }

    BatchingStats s = p.stats();
    assertThat(s.fixedCostNanos()).isBetween(0.95e6, 1.05e6);
    assertThat(s.perRowCostNanos()).isBetween(0.95e5, 1.05e5);
    assertThat(s.batchLimit()).as("2 * (1 ms + 0.1 ms * n) <= 6 ms").isBetween(19, 20);
    assertThat(s.batchWindow()).isZero();

    fake.batchRows.clear();
    runBatches(p, 50);
    assertThat(fake.batchRows).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(20)).hasSize(3);
  }

  @Test
  void adaptive_shedsRequestsPredictedToMissTheirDeadline_onArrivalAndBeforeRunning() {
    fake.ticker = ticker;
    fake.fixed = Duration.ofMillis(1);
    fake.perRow = Duration.ofNanos(100_000);
    // 2 * cost(20) = 6 ms < 8 ms: the limit is capped at 20
    BatchingPredictor p = manual(b -> b.maxBatchSize(20).latencyTarget(Duration.ofMillis(8)));
    for (int round = 0; round < 4; round++) {
      runBatches(p, 1, 20, 10, 5);
    }
    assertThat(p.stats().batchLimit()).isEqualTo(20);

    // on arrival: 60 rows ahead = 3 batches of 3 ms, then its own: far beyond 4 ms
    List<CompletableFuture<NamedTensors>> backlog = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      backlog.add(p.predictAsync(request(i, 1, 2)));
    }
    CompletableFuture<NamedTensors> hopeless = p.predictAsync(request(1, 1, 2),
        CallOptions.of(Deadline.after(Duration.ofMillis(4), ticker)));
    assertThat(failure(hopeless)).isInstanceOf(DeadlineExceededException.class).hasMessageContaining("shed on arrival");
    p.dispatchDue();
    backlog.forEach(CompletableFuture::join);

    // before running: admitted into an empty queue (1 row: 1.1 ms < 3.5 ms), but when its batch of 20
    // rows runs only 1 ms is left of its deadline while the batch is predicted to take 3 ms
    CompletableFuture<NamedTensors> late = p.predictAsync(request(1, 1, 2),
        CallOptions.of(Deadline.after(Duration.ofNanos(3_500_000), ticker)));
    assertThat(late).isNotDone();
    List<CompletableFuture<NamedTensors>> others = new ArrayList<>();
    for (int i = 0; i < 19; i++) {
      others.add(p.predictAsync(request(i, 1, 2)));
    }
    ticker.advance(Duration.ofNanos(2_500_000));
    long callsBefore = fake.calls.get();
    p.dispatchDue();
    assertThat(failure(late)).isInstanceOf(DeadlineExceededException.class).hasMessageContaining("shed before running");
    others.forEach(f -> assertThat(f.join()).isNotNull());
    assertThat(fake.calls.get() - callsBefore).isEqualTo(1);
    assertThat(fake.batchRows).last().isEqualTo(19);
    assertThat(p.stats().shed()).isEqualTo(2);
  }

  @Test
  void adaptive_isGreedy_aLoneRequestRunsAtOnce_andBatchesFormWhileTheWorkerIsBusy() {
    fake.ticker = ticker;
    fake.fixed = Duration.ofMillis(1);
    fake.perRow = Duration.ofNanos(100_000);
    BatchingPredictor p = manual(b -> b.maxBatchSize(8).latencyTarget(Duration.ofMillis(8)));
    for (int round = 0; round < 3; round++) {
      runBatches(p, 1, 8, 4, 6);
    }
    CompletableFuture<NamedTensors> lone = p.predictAsync(request(42, 1, 2));
    assertThat(p.dispatchDue()).as("no waiting for company").isEqualTo(1);
    check(lone.join(), 42, 1, 2);

    // what queued up meanwhile runs together, up to the limit
    fake.batchRows.clear();
    List<CompletableFuture<NamedTensors>> fs = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      fs.add(p.predictAsync(request(i, 1, 2)));
    }
    assertThat(p.dispatchDue()).isEqualTo(2);
    assertThat(fake.batchRows).containsExactly(8, 3);
    fs.forEach(CompletableFuture::join);
  }

  // ---------------------------------------------------------------- close

  @Test
  void close_runsWhatIsQueued_atOnce_andRefusesNewRequests() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ofSeconds(10)));
    List<CompletableFuture<NamedTensors>> fs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      fs.add(p.predictAsync(request(i, 1, 2)));
    }
    p.close();

    for (int i = 0; i < 3; i++) {
      check(fs.get(i).join(), i, 1, 2);
    }
    assertThat(p.isClosed()).isTrue();
    assertThat(failure(p.predictAsync(request(1, 1, 2)))).isInstanceOf(ModelClosedException.class)
        .hasMessage("BatchingPredictor for model fake:1 is closed");
    assertThatThrownBy(() -> p.predict(request(1, 1, 2), List.of())).isInstanceOf(ModelClosedException.class);
    p.close();
    assertThat(fake.calls).hasValue(1);
  }

  @Test
  void close_failsWhatIsStillQueued_afterTheDrainTimeout() {
    fake.ticker = ticker;
    fake.fixed = Duration.ofMillis(3);
    BatchingPredictor p = manual(b -> b.maxBatchSize(1).drainTimeout(Duration.ofMillis(5)));
    List<CompletableFuture<NamedTensors>> fs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fs.add(p.predictAsync(request(i, 1, 2)));
    }
    p.close();

    check(fs.get(0).join(), 0, 1, 2);
    check(fs.get(1).join(), 1, 1, 2);
    assertThat(failure(fs.get(2))).isInstanceOf(ModelClosedException.class).hasMessageContaining("drain timeout");
    assertThat(failure(fs.get(3))).isInstanceOf(ModelClosedException.class);
    assertThat(p.stats().cancelled()).isEqualTo(2);
  }

  @Test
  void close_withAZeroDrainTimeout_cancelsEverythingQueued() {
    BatchingPredictor p = manual(b -> b.drainTimeout(Duration.ZERO));
    CompletableFuture<NamedTensors> f = p.predictAsync(request(1, 1, 2));
    p.close();
    assertThat(failure(f)).isInstanceOf(ModelClosedException.class).hasMessageContaining("closed before the request ran");
    assertThat(fake.calls).hasValue(0);
  }

  // ---------------------------------------------------------------- executor hand-off, metrics

  @Test
  void predictAsyncWithAnExecutor_completesTheFutureOnThatExecutor() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ZERO));
    List<Runnable> handoffs = new ArrayList<>();
    CompletableFuture<NamedTensors> f = p.predictAsync(request(3, 1, 2), List.of(), handoffs::add);
    p.dispatchDue();
    assertThat(f).isNotDone();
    assertThat(handoffs).hasSize(1);
    handoffs.get(0).run();
    check(f.join(), 3, 1, 2);

    assertThat(failure(p.predictAsync(request(3, 1, 2), List.of(), (java.util.concurrent.Executor) null)))
        .isInstanceOf(InvalidInputException.class);
  }

  @Test
  void metrics_arePublishedWithModelAndVersionTags() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    fake.ticker = ticker;
    fake.fixed = Duration.ofMillis(1);
    BatchingPredictor p = manual(b -> b.meterRegistry(registry).maxQueueSize(3).maxQueueDelay(Duration.ofMillis(2))
        .defaultTimeout(Duration.ofMillis(50)));
    p.predictAsync(request(1, 1, 2));
    p.predictAsync(request(2, 2, 2));
    p.predictAsync(request(3, 1, 2), CallOptions.of(Deadline.after(Duration.ofMillis(1), ticker)));
    p.predictAsync(request(4, 1, 2));
    String[] tags = {"model", "fake", "version", "1"};
    assertThat(registry.get("jinfer.batch.queue.depth").tags(tags).gauge().value()).isEqualTo(3);
    assertThat(registry.get("jinfer.batch.rejected").tags(tags).counter().count()).isEqualTo(1);

    ticker.advance(Duration.ofMillis(2));
    p.dispatchDue();
    assertThat(registry.get("jinfer.batch.expired").tags(tags).counter().count()).isEqualTo(1);
    assertThat(registry.get("jinfer.batch.size").tags(tags).summary().count()).isEqualTo(1);
    assertThat(registry.get("jinfer.batch.size").tags(tags).summary().totalAmount()).isEqualTo(3);
    assertThat(registry.get("jinfer.batch.queue.wait").tags(tags).timer().count()).isEqualTo(2);
    assertThat(registry.get("jinfer.batch.queue.wait").tags(tags).timer().max(TimeUnit.MILLISECONDS)).isEqualTo(2);
    assertThat(registry.get("jinfer.batch.compute").tags(tags).timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1);
    assertThat(registry.get("jinfer.batch.queue.depth").tags(tags).gauge().value()).isZero();
    assertThat(registry.get("jinfer.batch.limit").tags(tags).gauge().value()).isEqualTo(32);
    assertThat(registry.get("jinfer.batch.window").tags(tags).gauge().value()).isEqualTo(0.002);
    assertThat(registry.get("jinfer.batch.shed").tags(tags).counter().count()).isZero();

    p.close();
    assertThat(registry.find("jinfer.batch.queue.depth").gauge()).as("gauges removed on close").isNull();
  }

  // ---------------------------------------------------------------- builder

  @Test
  void builder_failsFast_namingTheOption() {
    Consumer<Runnable> iae = r -> assertThatThrownBy(r::run).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).maxBatchSize(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxBatchSize must be > 0 but was 0");
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).maxQueueDelay(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxQueueDelay must be >= 0 but was PT-0.001S");
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).maxQueueSize(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxQueueSize must be > 0 but was -1");
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).workers(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("workers must be > 0 but was 0");
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).defaultTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("defaultTimeout must be > 0 but was PT0S");
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).latencyTarget(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("latencyTarget must be > 0 but was null");
    iae.accept(() -> BatchingPredictor.newBuilder(fake).drainTimeout(Duration.ofSeconds(-1)));
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).ticker(null))
        .isInstanceOf(NullPointerException.class).hasMessage("ticker must not be null");
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(null))
        .isInstanceOf(NullPointerException.class).hasMessage("delegate must not be null");
    // a call's own zero timeout: refused before it is queued, like RequestOptions.ofTimeout(ZERO) was
    BatchingPredictor p = manual(b -> b);
    assertThat(failure(p.predictAsync(request(1, 1, 2), CallOptions.of(Deadline.after(Duration.ZERO, ticker)))))
        .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("had passed before the call started");
    assertThat(p.stats().accepted()).isZero();
  }

  @Test
  void builder_refusesAnOptionSetTwice_andConflictingOptions() {
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).maxBatchSize(8).maxBatchSize(16))
        .isInstanceOf(IllegalStateException.class).hasMessage("maxBatchSize was already set to 8");
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).isolateFailures(false).isolateFailures(true))
        .isInstanceOf(IllegalStateException.class).hasMessage("isolateFailures was already set to false");
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).workers(2).manualDispatch())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("manualDispatch conflicts with workers");
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).manualDispatch().threadFactory(Thread::new))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("threadFactory conflicts with manualDispatch");
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fake).latencyTarget(Duration.ofMillis(5))
        .maxQueueDelay(Duration.ofMillis(1)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxQueueDelay conflicts with latencyTarget");
  }

  @Test
  void builder_rejectsModelsWhoseOutputsOrInputsHaveNoBatchDimension() {
    FakePredictor fixedBatch = new FakePredictor() {
      @Override
      public dev.jinfer.ModelSignature signature() {
        return dev.jinfer.ModelSignature.of(List.of(dev.jinfer.TensorSpec.of("x", dev.jinfer.DType.FLOAT32, Shape.DYNAMIC, 2)),
            List.of(dev.jinfer.TensorSpec.of("total", dev.jinfer.DType.FLOAT32, 2)));
      }
    };
    assertThatThrownBy(() -> BatchingPredictor.newBuilder(fixedBatch))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("delegate: model fake:1 cannot be batched: output 'total' is FLOAT32 [2], expected a dynamic first"
            + " (batch) dimension such as [-1, ...]");
  }

  @Test
  void dispatchDue_isOnlyForManualMode() {
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).build();
    opened.add(p);
    assertThatThrownBy(p::dispatchDue).isInstanceOf(IllegalStateException.class).hasMessageContaining("manualDispatch");
    assertThat(p).hasToString("BatchingPredictor[fake:1]");
    assertThat(p.modelId()).isEqualTo(fake.modelId());
    assertThat(p.signature()).isEqualTo(FakePredictor.SIGNATURE);
  }

  // ---------------------------------------------------------------- Predictor deadlines

  @Test
  void predictWithADeadline_releasesTheCallerAtTheDeadline_andWithdrawsTheQueuedRequest() {
    BatchingPredictor p = manual(b -> b.maxQueueDelay(Duration.ZERO)); // nothing dispatches: only the deadline ends the wait

    assertThatThrownBy(() -> p.predict(request(1, 1, 4), List.of(), Deadline.after(Duration.ofMillis(20))))
        .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("withdrawn");

    assertThat(p.dispatchDue()).isZero();
    assertThat(fake.calls).hasValue(0);
    assertThat(p.stats().cancelled()).isEqualTo(1);
    assertThatThrownBy(() -> p.predict(request(1, 1, 4), List.of(), Deadline.after(Duration.ZERO)))
        .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("did not run");
  }

  @Test
  void predictWithAGenerousDeadline_returnsTheBatchedOutputs() {
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).maxQueueDelay(Duration.ofMillis(1)).build();
    opened.add(p);

    NamedTensors out = p.predict(request(1, 1, 3), List.of("y"), Deadline.after(Duration.ofMinutes(1)));

    assertThat(out.get("y").toFloatArray()).containsExactly(3f, 3f, 3f);
  }
}
