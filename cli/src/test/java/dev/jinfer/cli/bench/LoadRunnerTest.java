package dev.jinfer.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.TensorSpec;
import dev.jinfer.cli.bench.ArrivalSchedule.Arrival;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The load loops against fake targets: error counting, and the open loop's coordinated-omission correction. */
class LoadRunnerTest {
  private static final ModelSignature SIG = ModelSignature.of(List.of(TensorSpec.of("x", DType.FLOAT32, -1, 2)),
      List.of(TensorSpec.of("y", DType.FLOAT32, -1, 2)));

  /**
   * Answers at once; every {@code failEvery}-th call fails with BOOM; the first call that starts
   * {@link #STALL_AFTER} or later after the first one (past the 100 ms warmup, inside the measured windows)
   * blocks for {@code stall}.
   */
  private static final class FakeTarget implements LoadTarget {
    static final long STALL_AFTER = Duration.ofMillis(250).toNanos();
    final AtomicLong calls = new AtomicLong();
    final AtomicLong firstCall = new AtomicLong();
    final java.util.concurrent.atomic.AtomicBoolean stalled = new java.util.concurrent.atomic.AtomicBoolean();
    final int failEvery;
    final long stallNanos;

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
      return this::send;
    }

    private @Nullable String send() {
      long n = calls.incrementAndGet();
      long now = System.nanoTime();
      firstCall.compareAndSet(0, now);
      if (stallNanos > 0 && now - firstCall.get() >= STALL_AFTER && stalled.compareAndSet(false, true)) {
        long end = System.nanoTime() + stallNanos;
        for (long left = stallNanos; left > 0; left = end - System.nanoTime()) {
          LockSupport.parkNanos(left);
        }
      }
      return failEvery > 0 && n % failEvery == 0 ? "BOOM" : null;
    }

    @Override
    public void close() {}
  }

  private static LoadRunner runner(LoadTarget target, int maxInFlight) {
    return new LoadRunner(target, RequestSource.generated(SIG, 1, 0, 1), new LoadRunner.Plan(Duration.ofMillis(100),
        Duration.ofMillis(300), 3, 3, 0.10, 0, maxInFlight, 1, Duration.ofSeconds(10)));
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
}
