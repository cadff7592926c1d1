package dev.jinfer.batching;

import static dev.jinfer.batching.FakePredictor.check;
import static dev.jinfer.batching.FakePredictor.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.CallOptions;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.FakeTicker;
import dev.jinfer.ModelClosedException;
import dev.jinfer.NamedTensors;
import dev.jinfer.OverloadedException;
import dev.jinfer.Priority;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The batcher with its own threads: many callers at once, close under load, thread lifecycle. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BatchingPredictorConcurrencyTest {
  private final FakePredictor fake = new FakePredictor();

  private static Set<String> batcherThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(n -> n.startsWith("jinfer-batcher-fake:1-")).collect(Collectors.toSet());
  }

  private static Throwable failure(CompletableFuture<?> f) throws InterruptedException {
    try {
      f.get(30, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure but got a result");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("not completed within 30 s", e);
    }
  }

  @Test
  void batcherThreads_areNamedAfterTheModel_andEndOnClose() {
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).workers(3).build();
    assertThat(batcherThreads()).containsExactlyInAnyOrder("jinfer-batcher-fake:1-0", "jinfer-batcher-fake:1-1",
        "jinfer-batcher-fake:1-2");
    check(p.predict(request(1, 1, 2), List.of()), 1, 1, 2);
    p.close();
    assertThat(batcherThreads()).isEmpty();
  }

  /** Leader/follower: a lone blocking caller whose request is due at once runs the engine call itself. */
  @Test
  void loneBlockingCaller_runsItsDueBatchOnItsOwnThread_asyncCallersGoToAWorker() throws Exception {
    ConcurrentLinkedQueue<String> engineThreads = new ConcurrentLinkedQueue<>();
    dev.jinfer.Predictor recording = new dev.jinfer.ForwardingPredictor(fake) {
      @Override
      public NamedTensors predict(NamedTensors in, List<String> outputNames, CallOptions options) {
        engineThreads.add(Thread.currentThread().getName());
        return super.predict(in, outputNames, options);
      }
    };
    for (BatchingPredictor p : List.of(
        BatchingPredictor.newBuilder(recording).latencyTarget(Duration.ofMillis(5)).workers(1).build(),
        BatchingPredictor.newBuilder(recording).maxBatchSize(1).maxQueueDelay(Duration.ofMillis(50)).workers(1).build())) {
      try (p) {
        engineThreads.clear();
        for (int i = 0; i < 20; i++) {
          check(p.predict(request(i, 1, 2)), i, 1, 2);
        }
        check(p.predict(request(7, 2, 2), List.of(), CallOptions.of(Deadline.after(Duration.ofSeconds(30)))), 7, 2, 2);
        assertThat(engineThreads).hasSize(21).containsOnly(Thread.currentThread().getName());
        engineThreads.clear();
        check(p.predictAsync(request(3, 1, 2)).get(30, TimeUnit.SECONDS), 3, 1, 2);
        assertThat(engineThreads).singleElement().asString().startsWith("jinfer-batcher-fake:1-");
      }
    }
  }

  /** A window not yet due: the blocking caller leaves its request to the worker's timer, as before. */
  @Test
  void blockingCaller_doesNotLead_aBatchThatIsNotDue() throws Exception {
    ConcurrentLinkedQueue<String> engineThreads = new ConcurrentLinkedQueue<>();
    dev.jinfer.Predictor recording = new dev.jinfer.ForwardingPredictor(fake) {
      @Override
      public NamedTensors predict(NamedTensors in, List<String> outputNames, CallOptions options) {
        engineThreads.add(Thread.currentThread().getName());
        return super.predict(in, outputNames, options);
      }
    };
    try (BatchingPredictor p = BatchingPredictor.newBuilder(recording).maxBatchSize(8)
        .maxQueueDelay(Duration.ofMillis(1)).workers(1).build()) {
      check(p.predict(request(5, 1, 2)), 5, 1, 2);
      assertThat(engineThreads).singleElement().asString().startsWith("jinfer-batcher-fake:1-");
    }
  }

  /** 64 callers x 10,000 requests with distinct inputs, two shapes and 1 to 3 rows each; each checks its rows. */
  @Test
  void stress_64Callers_x10000Requests_eachGetsItsOwnRows() throws Exception {
    fake.recordInputs = false;
    int callers = 64;
    int perCaller = 10_000;
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).maxBatchSize(64).maxQueueDelay(Duration.ofMillis(1))
        .workers(2).build();
    CyclicBarrier start = new CyclicBarrier(callers);
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    AtomicLong rowsSent = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      int caller = c;
      Thread t = new Thread(() -> {
        try {
          start.await();
          int cols = caller % 2 == 0 ? 4 : 8;
          for (int i = 0; i < perCaller; i++) {
            float value = (caller * perCaller + i) * 4f;
            int rows = 1 + i % 3;
            NamedTensors out = p.predict(request(value, rows, cols), List.of());
            check(out, value, rows, cols);
            rowsSent.addAndGet(rows);
          }
        } catch (Throwable e) {
          firstError.compareAndSet(null, e);
        }
      }, "stress-caller-" + c);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    p.close();

    if (firstError.get() != null) {
      throw new AssertionError("a caller failed", firstError.get());
    }
    long rowsRun = fake.batchRows.stream().mapToLong(Integer::longValue).sum();
    assertThat(rowsRun).isEqualTo(rowsSent.get()).isEqualTo(64L * (3334 + 3333 * 2 + 3333 * 3));
    assertThat(fake.batchRows).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(64));
    assertThat(fake.calls.get()).as("batches formed: far fewer engine calls than requests")
        .isLessThan(callers * perCaller / 4);
    assertThat(p.stats().accepted()).isEqualTo((long) callers * perCaller);
    assertThat(batcherThreads()).isEmpty();
  }

  @Test
  void adaptiveMode_underConcurrentLoad_keepsEveryCallersRows() throws Exception {
    fake.recordInputs = false;
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).maxBatchSize(128).latencyTarget(Duration.ofMillis(5))
        .workers(2).build();
    List<Thread> threads = new ArrayList<>();
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    for (int c = 0; c < 16; c++) {
      int caller = c;
      Thread t = new Thread(() -> {
        try {
          for (int i = 0; i < 1_000; i++) {
            float value = caller * 10_000 + i;
            check(p.predict(request(value, 1, 3), List.of()), value, 1, 3);
          }
        } catch (Throwable e) {
          firstError.compareAndSet(null, e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    p.close();
    assertThat(firstError.get()).isNull();
    assertThat(p.stats().engineCalls()).isLessThan(16_000);
  }

  @Test
  void closeUnderLoad_completesEveryFutureExactlyOnce_andStopsTheThreads() throws Exception {
    fake.recordInputs = false;
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).maxBatchSize(16).maxQueueDelay(Duration.ofMillis(1))
        .workers(2).build();
    int producers = 8;
    ConcurrentLinkedQueue<CompletableFuture<NamedTensors>> futures = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Float> values = new ConcurrentLinkedQueue<>();
    CountDownLatch warmedUp = new CountDownLatch(producers);
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < producers; c++) {
      int producer = c;
      Thread t = new Thread(() -> {
        for (int i = 0; ; i++) {
          float value = producer * 1_000_000 + i;
          CompletableFuture<NamedTensors> f = p.predictAsync(request(value, 1, 2));
          futures.add(f);
          values.add(value);
          if (i == 200) {
            warmedUp.countDown();
          }
          if (f.isCompletedExceptionally() && p.isClosed()) {
            return;
          }
          if (i % 64 == 63) {
            f.join();
          }
        }
      });
      threads.add(t);
      t.start();
    }
    warmedUp.await();
    p.close();
    for (Thread t : threads) {
      t.join();
    }

    assertThat(batcherThreads()).isEmpty();
    List<CompletableFuture<NamedTensors>> all = new ArrayList<>(futures);
    Set<Float> sent = new java.util.HashSet<>(values);
    assertThat(all).allMatch(CompletableFuture::isDone);
    int succeeded = 0;
    for (int i = 0; i < all.size(); i++) {
      CompletableFuture<NamedTensors> f = all.get(i);
      if (f.isCompletedExceptionally()) {
        assertThat(failure(f)).isInstanceOf(ModelClosedException.class).hasMessageContaining("is closed");
      } else {
        succeeded++;
      }
    }
    // every accepted request ran exactly once: the engine saw as many rows as there were successes
    assertThat(fake.batchRows.stream().mapToInt(Integer::intValue).sum()).isEqualTo(succeeded);
    assertThat(p.stats().accepted()).isEqualTo(succeeded);
    assertThat(succeeded).isGreaterThanOrEqualTo(producers * 200);
    // and each success holds its own rows (futures and values were added in the same order per producer,
    // not globally, so check through the output itself: y = 2x + 1 with x constant across the row)
    for (CompletableFuture<NamedTensors> f : all) {
      if (!f.isCompletedExceptionally()) {
        float[] y = f.join().get("y").toFloatArray();
        assertThat(y[1]).isEqualTo(y[0]);
        assertThat(sent).contains((y[0] - 1) / 2);
      }
    }
  }

  @Test
  void overload_rejectsAtOnce_whileABatchIsInFlight() throws Exception {
    fake.entered = new CountDownLatch(1);
    fake.release = new CountDownLatch(1);
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).maxBatchSize(1).maxQueueSize(3).build();
    CompletableFuture<NamedTensors> running = p.predictAsync(request(0, 1, 2));
    assertThat(fake.entered.await(30, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<NamedTensors>> queued = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      queued.add(p.predictAsync(request(i, 1, 2)));
    }
    CompletableFuture<NamedTensors> refused = p.predictAsync(request(4, 1, 2));
    assertThat(refused).as("failed before predictAsync returned").isCompletedExceptionally();
    assertThat(failure(refused)).isInstanceOf(OverloadedException.class);

    fake.release.countDown();
    check(running.get(30, TimeUnit.SECONDS), 0, 1, 2);
    for (int i = 0; i < 3; i++) {
      check(queued.get(i).get(30, TimeUnit.SECONDS), i + 1, 1, 2);
    }
    p.close();
  }

  @Test
  void aFullBatch_runsAtOnce_evenWithALongWindow() throws Exception {
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).maxBatchSize(4).maxQueueDelay(Duration.ofHours(1)).build();
    List<CompletableFuture<NamedTensors>> fs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fs.add(p.predictAsync(request(i, 1, 2)));
    }
    for (int i = 0; i < 4; i++) {
      check(fs.get(i).get(30, TimeUnit.SECONDS), i, 1, 2);
    }
    assertThat(fake.batchRows).containsExactly(4);
    p.close();
  }

  @Test
  void anIdleWorker_failsAQueuedRequestAtItsDeadline_notAtTheEndOfTheWindow() throws Exception {
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).maxQueueDelay(Duration.ofHours(1)).build();
    long start = System.nanoTime();
    CompletableFuture<NamedTensors> f = p.predictAsync(request(1, 1, 2),
        CallOptions.of(Deadline.after(Duration.ofMillis(20))));
    assertThat(failure(f)).isInstanceOf(DeadlineExceededException.class);
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(20_000_000L).isLessThan(20_000_000_000L);
    assertThat(fake.calls).hasValue(0);
    p.close();
  }

  @Test
  void close_afterTheDrainTimeout_failsQueuedRequests_whileTheBatchInFlightFinishes() throws Exception {
    FakeTicker ticker = new FakeTicker();
    fake.entered = new CountDownLatch(1);
    fake.release = new CountDownLatch(1);
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).ticker(ticker).maxBatchSize(1)
        .drainTimeout(Duration.ofMillis(5)).build();
    CompletableFuture<NamedTensors> running = p.predictAsync(request(0, 1, 2));
    assertThat(fake.entered.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<NamedTensors> q1 = p.predictAsync(request(1, 1, 2));
    CompletableFuture<NamedTensors> q2 = p.predictAsync(request(2, 1, 2));

    AtomicInteger closed = new AtomicInteger();
    Thread closer = new Thread(() -> {
      p.close();
      closed.incrementAndGet();
    });
    closer.start();
    Waits.until(p::isClosed);
    assertThat(q1).isNotDone();
    ticker.advance(Duration.ofMillis(5));

    assertThat(failure(q1)).isInstanceOf(ModelClosedException.class).hasMessageContaining("drain timeout");
    assertThat(failure(q2)).isInstanceOf(ModelClosedException.class);
    assertThat(running).as("the engine call in flight is never abandoned").isNotDone();
    assertThat(closed).hasValue(0);

    fake.release.countDown();
    check(running.get(30, TimeUnit.SECONDS), 0, 1, 2);
    closer.join(30_000);
    assertThat(closed).hasValue(1);
    assertThat(batcherThreads()).isEmpty();
    assertThat(fake.calls).hasValue(1);
  }

  @Test
  void aCustomThreadFactory_makesTheBatcherThreads() {
    AtomicInteger made = new AtomicInteger();
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).workers(2).threadFactory(r -> {
      made.incrementAndGet();
      Thread t = new Thread(r, "custom-batcher");
      t.setDaemon(true);
      return t;
    }).build();
    check(p.predict(request(1, 1, 2), List.of(), CallOptions.of(Priority.HIGH)), 1, 1, 2);
    p.close();
    assertThat(made).hasValue(2);
  }

  @Test
  void predictOnABatcherThread_failsFast_insteadOfWaitingForItself() throws Exception {
    fake.entered = new CountDownLatch(1);
    fake.release = new CountDownLatch(1);
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).build();
    CompletableFuture<NamedTensors> first = p.predictAsync(request(1, 1, 2));
    assertThat(fake.entered.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<NamedTensors> nested = first.thenApply(out -> p.predict(request(2, 1, 2), List.of()));
    fake.release.countDown();
    assertThat(failure(nested)).isInstanceOf(IllegalStateException.class).hasMessageContaining("would wait for itself");
    p.close();
  }

  @Test
  void closeOnABatcherThread_stopsTheBatcher_withoutWaitingForItself() throws Exception {
    fake.entered = new CountDownLatch(1);
    fake.release = new CountDownLatch(1);
    BatchingPredictor p = BatchingPredictor.newBuilder(fake).workers(2).build();
    CompletableFuture<NamedTensors> first = p.predictAsync(request(1, 1, 2));
    assertThat(fake.entered.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closing = first.thenRun(p::close);
    fake.release.countDown();
    closing.get(30, TimeUnit.SECONDS);
    assertThat(p.isClosed()).isTrue();
    Waits.until(() -> batcherThreads().isEmpty());
    p.close();
  }

  private BatchingPredictor adaptiveOnFakeClock(FakeTicker ticker) {
    return BatchingPredictor.newBuilder(fake).latencyTarget(Duration.ofMillis(5)).maxBatchSize(32).workers(2)
        .ticker(ticker).build();
  }

  @Test
  void adaptive_switchingBetweenBatchedAndDirect_losesNoRequestAndMixesNoRows() throws Exception {
    fake.recordInputs = false;
    FakeTicker ticker = new FakeTicker();
    BatchingPredictor p = adaptiveOnFakeClock(ticker);
    ModeArbiter arbiter = p.modeArbiter();
    assertThat(arbiter).isNotNull();
    int callers = 16;
    int perCaller = 3_000;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicInteger directSeen = new AtomicInteger();
    AtomicInteger batchedSeen = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      int caller = c;
      Thread t = new Thread(() -> {
        try {
          for (int i = 0; i < perCaller; i++) {
            ticker.advance(Duration.ofNanos(500_000)); // time moves with the calls: trials run and switch modes
            (arbiter.directNow() ? directSeen : batchedSeen).incrementAndGet();
            float value = caller * 100_000 + i * 3;
            int rows = 1 + i % 2;
            check(p.predict(request(value, rows, 3), List.of()), value, rows, 3);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join(60_000);
      assertThat(t.isAlive()).as("caller stranded").isFalse();
    }
    assertThat(failure.get()).isNull();
    assertThat(arbiter.trials()).as("trials run while the callers ran").isGreaterThanOrEqualTo(2);
    assertThat(directSeen.get()).isPositive();
    assertThat(batchedSeen.get()).isPositive();
    assertThat(arbiter.completed.sum()).isEqualTo((long) callers * perCaller);
    assertThat(p.stats().queuedRequests()).isZero();
    p.close();
  }

  @Test
  void adaptive_closeDuringADirectEpoch_failsLaterCallsAsClosed_andWaitsForTheDirectCallsRunning() throws Exception {
    fake.recordInputs = false;
    FakeTicker ticker = new FakeTicker();
    BatchingPredictor p = adaptiveOnFakeClock(ticker);
    ModeArbiter arbiter = p.modeArbiter();
    assertThat(arbiter).isNotNull();
    int callers = 8;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicInteger closedSeen = new AtomicInteger();
    AtomicInteger completed = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      int caller = c;
      Thread t = new Thread(() -> {
        try {
          for (int i = 0; ; i++) {
            ticker.advance(Duration.ofNanos(200_000));
            float value = caller * 1_000_000 + i * 2;
            check(p.predict(request(value, 1, 2), List.of()), value, 1, 2);
            completed.incrementAndGet();
          }
        } catch (ModelClosedException e) {
          closedSeen.incrementAndGet();
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      threads.add(t);
      t.start();
    }
    Waits.until(() -> arbiter.inTrial() && arbiter.directNow() || failure.get() != null);
    p.close();
    int callsAtClose = fake.calls.get();
    for (Thread t : threads) {
      t.join(30_000);
      assertThat(t.isAlive()).as("caller stranded").isFalse();
    }
    assertThat(failure.get()).isNull();
    assertThat(closedSeen.get()).as("every caller ends on the closed batcher").isEqualTo(callers);
    assertThat(fake.calls.get()).as("no engine call after close returned").isEqualTo(callsAtClose);
    assertThat(completed.get()).isPositive();
    assertThat(p.stats().queuedRequests()).isZero();
  }
}
