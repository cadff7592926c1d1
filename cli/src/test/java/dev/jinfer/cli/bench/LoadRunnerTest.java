package dev.jinfer.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.TensorSpec;
import dev.jinfer.cli.bench.ArrivalSchedule.Arrival;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The load loops against fake targets: error counting, and the open loop's coordinated-omission correction. */
@org.junit.jupiter.api.Timeout(120)
class LoadRunnerTest {
  private static final ModelSignature SIG = ModelSignature.of(List.of(TensorSpec.of("x", DType.FLOAT32, -1, 2)),
      List.of(TensorSpec.of("y", DType.FLOAT32, -1, 2)));

  /**
   * Answers at once; every {@code failEvery}-th call fails with BOOM; the first call that starts
   * {@link #STALL_AFTER} or later after the first one (past the 100 ms warmup, inside the measured windows)
   * blocks for {@code stall}.
   */
  private static class FakeTarget implements LoadTarget {
    static final long STALL_AFTER = Duration.ofMillis(250).toNanos();
    long stallAfter = STALL_AFTER;
    long callNanos;
    long prepareNanos;
    int prepareFailEvery;
    int throwErrorEvery;
    final AtomicLong prepares = new AtomicLong();
    final AtomicLong calls = new AtomicLong();
    final AtomicLong firstCall = new AtomicLong();
    final java.util.concurrent.atomic.AtomicBoolean stalled = new java.util.concurrent.atomic.AtomicBoolean();
    final int failEvery;
    final long stallNanos;
    boolean caches;

    FakeTarget(int failEvery, Duration stall) {
      this.failEvery = failEvery;
      this.stallNanos = stall.toNanos();
    }

    @Override
    public ModelSignature signature() {
      return SIG;
    }

    @Override
    public String description() {
      return "fake";
    }

    @Override
    public Call prepare(NamedTensors request) {
      long n = prepares.incrementAndGet();
      sleep(prepareNanos);
      if (prepareFailEvery > 0 && n % prepareFailEvery == 0) {
        throw new IllegalStateException("prepare " + n);
      }
      return this::send;
    }

    private @Nullable String send() {
      long n = calls.incrementAndGet();
      long now = System.nanoTime();
      firstCall.compareAndSet(0, now);
      if (stallNanos > 0 && now - firstCall.get() >= stallAfter && stalled.compareAndSet(false, true)) {
        sleep(stallNanos);
      }
      sleep(callNanos);
      if (throwErrorEvery > 0 && n % throwErrorEvery == 0) {
        throw new AssertionError("send " + n);
      }
      return failEvery > 0 && n % failEvery == 0 ? "BOOM" : null;
    }

    private static void sleep(long nanos) {
      long end = System.nanoTime() + nanos;
      for (long left = nanos; left > 0; left = end - System.nanoTime()) {
        LockSupport.parkNanos(left);
      }
    }

    @Override
    public boolean caches() {
      return caches;
    }

    @Override
    public Map<String, Long> counters() {
      return Map.of("calls", calls.get());
    }

    @Override
    public void close() {}
  }

  private static LoadRunner runner(LoadTarget target, int maxInFlight) {
    return runner(target, maxInFlight, 3, 3, 0.10);
  }

  /** 100 ms warmup, 300 ms windows. */
  private static LoadRunner runner(LoadTarget target, int maxInFlight, int maxWindows, int stableWindows,
      double tolerance) {
    return new LoadRunner(target, RequestSource.generated(SIG, 1, 0, 1), new LoadRunner.Plan(Duration.ofMillis(100),
        Duration.ofMillis(300), maxWindows, stableWindows, tolerance, 0, maxInFlight, 1, Duration.ofSeconds(10)));
  }

  @Test
  void closedLoop_countsFailuresByType_andKeepsGoing() {
    FakeTarget target = new FakeTarget(3, Duration.ZERO);
    LevelResult r = runner(target, 1).closedLoop(2);

    assertThat(r.concurrency()).isEqualTo(2);
    assertThat(r.errors()).containsOnlyKeys("BOOM");
    long errors = r.errors().get("BOOM");
    // every third call fails: a third of those that ended in the measured windows, give or take the edges
    assertThat((double) errors / (errors + r.requests())).isCloseTo(1 / 3.0, org.assertj.core.data.Offset.offset(0.02));
    assertThat(r.windows()).hasSize(3);
    assertThat(r.windows().stream().mapToLong(WindowResult::errors).sum()).isEqualTo(errors);
  }

  /**
   * An event-driven target: answers on one "I/O" thread after {@code answerNanos} (or inline, on the sending
   * thread, when {@code inline}); every {@code failEvery}-th call fails with BOOM. Counts the requests in flight.
   */
  private static final class AsyncFakeTarget extends FakeTarget {
    final java.util.concurrent.ScheduledExecutorService io = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger maxInFlight = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.Set<Integer> clients = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final boolean inline;
    final long answerNanos;
    final AtomicLong asyncCalls = new AtomicLong();

    AsyncFakeTarget(int failEvery, boolean inline, Duration answer) {
      super(failEvery, Duration.ZERO);
      this.inline = inline;
      this.answerNanos = answer.toNanos();
    }

    @Override
    public AsyncCall prepareAsync(NamedTensors request, int client) {
      clients.add(client);
      return done -> {
        long n = asyncCalls.incrementAndGet();
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        Runnable answer = () -> {
          inFlight.decrementAndGet();
          done.accept(failEvery > 0 && n % failEvery == 0 ? "BOOM" : null);
        };
        if (inline) {
          answer.run();
        } else {
          io.schedule(answer, answerNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
      };
    }

    @Override
    public void close() {
      io.shutdownNow();
    }
  }

  @Test
  void closedLoop_onAnEventDrivenTarget_keepsOneRequestInFlightPerClient_withoutAThreadEach() {
    AsyncFakeTarget target = new AsyncFakeTarget(4, false, Duration.ofMillis(1));
    try (target) {
      LevelResult r = runner(target, 1).closedLoop(8);
      assertThat(target.calls).as("the blocking path was not used").hasValue(0);
      assertThat(target.clients).as("each client prepared its own ring").hasSize(8);
      assertThat(target.maxInFlight.get()).as("exactly one request in flight per client").isEqualTo(8);
      assertThat(r.concurrency()).isEqualTo(8);
      assertThat(r.errors()).containsOnlyKeys("BOOM");
      long errors = r.errors().get("BOOM");
      assertThat((double) errors / (errors + r.requests())).isCloseTo(0.25, org.assertj.core.data.Offset.offset(0.03));
      // 8 in flight, 1 ms each: about 8,000 answers a second, measured as such
      assertThat((errors + r.requests()) / r.seconds()).isBetween(2_000.0, 8_500.0);
      assertThat(r.latency().getValueAtPercentile(50)).isGreaterThanOrEqualTo(1_000_000L);
      assertThat(target.inFlight.get()).as("every chain ended when the level did").isZero();
    }
  }

  @Test
  void closedLoop_onAnEventDrivenTargetAnsweringInline_doesNotGrowTheStack() {
    AsyncFakeTarget target = new AsyncFakeTarget(0, true, Duration.ZERO);
    try (target) {
      LevelResult r = runner(target, 1).closedLoop(2);
      assertThat(r.errors()).isEmpty();
      assertThat(r.requests()).as("answers that arrive inside send are resent from another thread").isGreaterThan(1_000);
      assertThat(target.inFlight.get()).isZero();
    }
  }

  @Test
  void openLoop_chargesAStallToEveryRequestThatShouldHaveBeenSentDuringIt() {
    // 1000/s with one request thread; one call in the first measured window blocks for 200 ms
    FakeTarget target = new FakeTarget(0, Duration.ofMillis(200));
    LevelResult r = runner(target, 1).openLoop(1000, Arrival.FIXED);

    assertThat(target.stalled).as("the stall happened").isTrue();
    // requests due during the stall waited for it: their latency counts from when they were due, so about
    // 100 of them (those due in its first half) are above 100 ms; a closed loop would show one slow call
    long slow = r.latency().getCountBetweenValues(100_000_000L, Long.MAX_VALUE / 4);
    assertThat(slow).as("requests charged with at least half the stall").isGreaterThanOrEqualTo(90);
    assertThat(r.maxNanos()).isGreaterThanOrEqualTo(200_000_000L);
    assertThat(r.openLoop()).isNotNull();
    assertThat(r.errors()).isEmpty();
  }

  @Test
  void closedLoop_chargesAStallToTheStalledCallOnly() {
    FakeTarget target = new FakeTarget(0, Duration.ofMillis(200));
    LevelResult r = runner(target, 1).closedLoop(1);

    assertThat(target.stalled).as("the stall happened").isTrue();
    assertThat(r.maxNanos()).isGreaterThanOrEqualTo(200_000_000L);
    // the client waited, so nothing was due meanwhile: the stalled call is the (only) slow one; a busy machine
    // could add another, but one client cannot fit ten 200 ms calls into the 0.9 s measured
    assertThat(r.latency().getCountBetweenValues(200_000_000L, Long.MAX_VALUE / 4)).isBetween(1L, 9L);
  }

  @Test
  void openLoop_keepsTheRequestsStillDueOrRunningWhenTheLastWindowCloses() {
    // 1000/s, one request thread; a 100 ms stall starts 60 ms before the measured period ends (100 ms warmup
    // + 3 x 300 ms): the stalled call and the ~60 requests due behind it end after the last window closed
    FakeTarget target = new FakeTarget(0, Duration.ofMillis(100));
    target.stallAfter = Duration.ofMillis(940).toNanos();
    LevelResult r = runner(target, 1).openLoop(1000, Arrival.FIXED);

    assertThat(target.stalled).as("the stall happened").isTrue();
    assertThat(r.maxNanos()).as("the stalled call is in the figures").isGreaterThanOrEqualTo(100_000_000L);
    // those due in the stall's first half waited 50 ms or more for it
    assertThat(r.latency().getCountBetweenValues(50_000_000L, Long.MAX_VALUE / 4)).isGreaterThanOrEqualTo(30);
    assertThat(r.drainedRequests()).isPositive();
    // the throughput stays what ended inside the windows
    long inWindows = r.windows().stream().mapToLong(WindowResult::requests).sum();
    assertThat(r.throughput()).isEqualTo(inWindows / r.seconds());
  }

  @Test
  void openLoop_thatFallsFurtherBehindIsNeverStable_evenWhenItsWindowsLookAlike() {
    // capacity ~500/s (one thread, 2 ms calls) for 1000/s asked: the backlog grows by ~150 ms per window,
    // so with a lax tolerance the p99 of consecutive windows would pass the relative check
    FakeTarget target = new FakeTarget(0, Duration.ZERO);
    target.callNanos = Duration.ofMillis(2).toNanos();
    LevelResult r = runner(target, 1, 5, 2, 0.5).openLoop(1000, Arrival.FIXED);

    assertThat(r.stable()).isFalse();
    assertThat(r.windows()).hasSize(5);
    assertThat(r.openLoop()).isNotNull();
    assertThat(r.openLoop().overloaded()).isTrue();
    assertThat(r.openLoop().behindSchedule()).isTrue();
  }

  @Test
  void openLoop_doesNotChargeInputPreparationToLatency() {
    // 20/s (a slot every 50 ms), preparing a request takes 20 ms, sending it nothing
    FakeTarget target = new FakeTarget(0, Duration.ZERO);
    target.prepareNanos = Duration.ofMillis(20).toNanos();
    LevelResult r = runner(target, 1).openLoop(20, Arrival.FIXED);

    assertThat(r.requests()).isPositive();
    // prepared while waiting for the slot, 30 ms before it: were preparation charged, every latency would be
    // at least 20 ms; what is measured is the send alone plus the wake-up delay
    assertThat(r.percentileNanos(50)).isLessThan(target.prepareNanos);
  }

  @Test
  void behindSchedule_allowsPoissonItsNaturalVariation() {
    // 1000 due: a Poisson count has a standard deviation of ~32, so 930 is ordinary; fixed arrivals are exact
    assertThat(LoadRunner.behindSchedule(930, 1000, Arrival.POISSON)).isFalse();
    assertThat(LoadRunner.behindSchedule(900, 1000, Arrival.POISSON)).isTrue();
    assertThat(LoadRunner.behindSchedule(930, 1000, Arrival.FIXED)).isTrue();
    assertThat(LoadRunner.behindSchedule(960, 1000, Arrival.FIXED)).isFalse();
  }

  @Test
  void counters_coverTheReportedWindowsOnly() {
    // 1 ms calls; a 200 ms stall inside the first window (100..400 ms) cuts its throughput to a third, so it
    // never agrees with a later one and is not reported
    FakeTarget target = new FakeTarget(0, Duration.ofMillis(200));
    target.stallAfter = Duration.ofMillis(150).toNanos();
    target.callNanos = Duration.ofMillis(1).toNanos();
    LevelResult r = runner(target, 1, 10, 2, 0.5).closedLoop(1);

    assertThat(target.stalled).as("the stall happened").isTrue();
    assertThat(r.reportedWindows()).as("the first window is not reported: %s", r.windows())
        .isLessThan(r.windows().size());
    long reported = r.windows().subList(r.windows().size() - r.reportedWindows(), r.windows().size()).stream()
        .mapToLong(WindowResult::requests).sum();
    // the calls counted over the reported windows are those that ended in them, give or take the one running
    // at each edge
    assertThat(r.counters().get("calls")).isBetween(reported - 2, reported + 2);
  }

  @Test
  void closedLoop_countsFailuresOfTheToolItself_andKeepsGoing() {
    FakeTarget target = new FakeTarget(0, Duration.ZERO);
    target.prepareFailEvery = 2;
    target.throwErrorEvery = 3;
    target.callNanos = Duration.ofMillis(1).toNanos();
    LevelResult r = runner(target, 1).closedLoop(2);

    assertThat(r.requests()).isPositive();
    assertThat(r.errors()).containsOnlyKeys("CLIENT IllegalStateException", "CLIENT AssertionError");
    assertThat(r.windows()).allSatisfy(w -> assertThat(w.requests()).isPositive());
  }

  @Test
  void openLoop_countsFailuresOfTheToolItself_andKeepsGoing() {
    FakeTarget target = new FakeTarget(0, Duration.ZERO);
    target.prepareFailEvery = 2;
    target.throwErrorEvery = 3;
    LevelResult r = runner(target, 2).openLoop(500, Arrival.FIXED);

    assertThat(r.requests()).isPositive();
    assertThat(r.errors()).containsOnlyKeys("CLIENT IllegalStateException", "CLIENT AssertionError");
    // every slot is either answered or counted as failed: half fail in preparation, a third of the rest in send
    long all = r.requests() + r.errorCount();
    assertThat((double) r.errors().get("CLIENT IllegalStateException") / all)
        .isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.05));
    assertThat(r.windows()).allSatisfy(w -> assertThat(w.requests()).isPositive());
  }

  @Test
  void closedLoop_drawsARingOfPreparedRequestsPerClient_beforeTheLoop() {
    FakeTarget target = new FakeTarget(0, Duration.ZERO);
    target.callNanos = Duration.ofMillis(1).toNanos();
    LoadRunner runner = runner(target, 1);
    LevelResult r = runner.closedLoop(2);

    assertThat(target.prepares.get()).as("prepared once per ring slot, none in the loop").isEqualTo(2L * LoadRunner.RING);
    assertThat(target.calls.get()).isGreaterThan(2L * LoadRunner.RING);
    assertThat(r.errors()).isEmpty();
    assertThat(runner.warnings()).isEmpty();
  }

  @Test
  void closedLoop_againstACache_drawsEveryRequest_andFlagsSlowGeneration() {
    FakeTarget target = new FakeTarget(0, Duration.ZERO);
    target.caches = true; // a ring would turn the run into cache hits
    target.prepareNanos = Duration.ofMillis(1).toNanos();
    LoadRunner runner = runner(target, 1);
    runner.closedLoop(1);

    assertThat(target.prepares.get()).isGreaterThanOrEqualTo(target.calls.get());
    assertThat(runner.warnings()).singleElement().asString()
        .contains("concurrency 1: the clients spent").contains("generating and preparing requests");
  }

  @Test
  void selfCheck_flagsTheToolWhenItsOwnWorkOrCpuMayLimitTheRun() {
    long second = Duration.ofSeconds(1).toNanos();
    // 1% preparing, 2% bookkeeping, a remote target using 50% of 2 CPUs: the tool kept out of the way
    assertThat(LoadRunner.selfCheck("concurrency 4", 100 * second, second, 97 * second, second, second, 2, true))
        .isEmpty();
    // 10% of the clients' time outside the calls on bookkeeping
    assertThat(LoadRunner.selfCheck("concurrency 4", 100 * second, 0, 90 * second, 0, second, 2, false))
        .singleElement().asString().contains("concurrency 4: the clients spent 10% of their time outside the calls");
    // 6% preparing
    assertThat(LoadRunner.selfCheck("concurrency 4", 100 * second, 6 * second, 94 * second, 0, second, 2, false))
        .singleElement().asString().contains("6% of their time generating and preparing requests");
    // the tool's process used 1.9 of 2 CPUs: flagged for a service, not for a predictor in the same process
    assertThat(LoadRunner.selfCheck("rate 1k/s", 100 * second, 0, 100 * second, 19 * second / 10, second, 2, true))
        .singleElement().asString().contains("rate 1k/s: the tool used 95% of the machine's 2 CPUs");
    assertThat(LoadRunner.selfCheck("rate 1k/s", 100 * second, 0, 100 * second, 19 * second / 10, second, 2, false))
        .isEmpty();
    assertThat(LoadRunner.selfCheck("concurrency 1", 0, 0, 0, 0, second, 2, true)).isEmpty();
    // the open loop passes no client times: only the CPU check applies
    assertThat(LoadRunner.selfCheck("rate 1k/s", 0, 0, 0, 19 * second / 10, second, 2, true)).hasSize(1);
  }
}
