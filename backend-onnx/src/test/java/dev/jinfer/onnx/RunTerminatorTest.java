package dev.jinfer.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.LoadOptions;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.kit.BackendCompatibilityKit.SlowCall;
import dev.jinfer.spi.ModelSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deadline watchdog: run options are reused across calls, never after their flag was set, and no armed deadline
 * is missed however arms and the watchdog's scans interleave.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RunTerminatorTest {
  /** Generous bound for "the watchdog got to it": a lost wake-up would never fire at all. */
  private static final long FIRE_BOUND_NANOS = TimeUnit.SECONDS.toNanos(5);

  @TempDir
  Path dir;

  private static OnnxModelSession open(Path model) throws Exception {
    LoadOptions options = LoadOptions.newBuilder().property(OnnxBackend.SESSIONS, "1").build();
    return OnnxModelSession.open(OrtEnvironment.getEnvironment(), new ModelSource(model, new ModelId("m", "1")),
        OnnxConfig.from(options, 1_000_000));
  }

  private static NamedTensors fraudRow() {
    return NamedTensors.of("features", Tensor.ofFloats(new float[32], 1, 32));
  }

  @Test
  void callsWithDeadlines_oneAfterAnother_reuseOneRunOptions() throws Exception {
    try (OnnxModelSession model = open(Fixtures.onnx("fraud.onnx"))) {
      int before = RunTerminator.SHARED.guardCount();
      Tensor expected = model.run(fraudRow(), List.of("probabilities")).get("probabilities");
      for (int i = 0; i < 1_000; i++) {
        Tensor out = model.run(fraudRow(), List.of("probabilities"), Deadline.after(Duration.ofSeconds(30)))
            .get("probabilities");
        assertThat(out).isEqualTo(expected);
      }
      assertThat(model.guards().idleCount()).as("one caller at a time: one set of run options, kept").isEqualTo(1);
      assertThat(RunTerminator.SHARED.guardCount() - before).isEqualTo(1);
    }
  }

  @Test
  void concurrentCallers_eachGetTheirOwnRunOptions_andGiveThemBack() throws Exception {
    try (OnnxModelSession model = open(Fixtures.onnx("fraud.onnx"))) {
      int threads = 8;
      CyclicBarrier start = new CyclicBarrier(threads);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          done.add(pool.submit(() -> {
            start.await();
            for (int i = 0; i < 500; i++) {
              model.run(fraudRow(), List.of("probabilities"), Deadline.after(Duration.ofSeconds(30)));
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(model.guards().idleCount()).isBetween(1, threads);
    }
  }

  @Test
  void runOptionsWhoseFlagWasSet_areClosedNotReused_andTheNextCallRunsToItsEnd() throws Exception {
    SlowCall slow = TinyOnnx.slowCall(dir);
    try (OnnxModelSession model = open(slow.model())) {
      Tensor expected = model.run(slow.inputs(), List.of("y")).get("y");
      model.run(slow.inputs(), List.of("y"), Deadline.after(Duration.ofMinutes(1)));
      assertThat(model.guards().idleCount()).isEqualTo(1);
      int before = RunTerminator.SHARED.guardCount();
      assertThatThrownBy(() -> model.run(slow.inputs(), List.of("y"), Deadline.after(Duration.ofMillis(1))))
          .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("terminate flag");
      assertThat(model.guards().idleCount()).as("the stopped run's options are not kept").isZero();
      assertThat(RunTerminator.SHARED.guardCount()).isEqualTo(before - 1);
      assertThat(model.run(slow.inputs(), List.of("y"), Deadline.after(Duration.ofMinutes(1))).get("y"))
          .as("fresh options, flag unset").isEqualTo(expected);
    }
  }

  @Test
  void closingTheSession_closesItsRunOptions() throws Exception {
    int before = RunTerminator.SHARED.guardCount();
    try (OnnxModelSession model = open(Fixtures.onnx("fraud.onnx"))) {
      model.run(fraudRow(), List.of("probabilities"), Deadline.after(Duration.ofSeconds(30)));
      assertThat(RunTerminator.SHARED.guardCount()).isEqualTo(before + 1);
    }
    assertThat(RunTerminator.SHARED.guardCount()).isEqualTo(before);
  }

  @Test
  void everyDeadline_firesOnce_itHasPassed_andNeverBefore_underInterleavedArms() throws Exception {
    // Each thread arms its guard with a random deadline (some earlier than the one the watchdog sleeps until, some
    // later, some already past), then either disarms before it (must not have fired) or waits past it until the
    // watchdog fires (a lost wake-up would never fire). Hand-offs between the arms and the scans are the point.
    OrtEnvironment.getEnvironment(); // loads ONNX Runtime's library, which RunOptions need
    // idle for a minute: the watchdog must be woken by the arms, not find them on an idle round of its own
    RunTerminator terminator = new RunTerminator(TimeUnit.MINUTES.toNanos(1));
    int threads = 6;
    int rounds = 300;
    try (RunTerminator.Guards guards = terminator.new Guards(threads)) {
      CyclicBarrier start = new CyclicBarrier(threads);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<int[]>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          long seed = t;
          results.add(pool.submit(() -> {
            SplittableRandom random = new SplittableRandom(seed);
            int fired = 0;
            int disarmedEarly = 0;
            start.await();
            for (int r = 0; r < rounds; r++) {
              RunTerminator.Guard guard = guards.acquire();
              long delay = TimeUnit.MICROSECONDS.toNanos(random.nextInt(-200, 3_000));
              long armedAt = System.nanoTime();
              guard.arm(delay);
              long deadline = armedAt + Math.max(0, delay);
              if (random.nextBoolean()) {
                long end = deadline + FIRE_BOUND_NANOS;
                boolean f;
                while (!(f = guard.fired()) && System.nanoTime() < end) {
                  Thread.onSpinWait();
                }
                assertThat(f).as("round %d: armed %d us ahead, not fired %d s after its deadline", r, delay / 1000,
                    TimeUnit.NANOSECONDS.toSeconds(FIRE_BOUND_NANOS)).isTrue();
                assertThat(guard.disarm()).isTrue();
                fired++;
              } else {
                boolean f = guard.disarm();
                long disarmedAt = System.nanoTime();
                if (f) {
                  assertThat(disarmedAt - deadline).as("round %d: fired before its deadline", r)
                      .isGreaterThanOrEqualTo(0);
                } else {
                  disarmedEarly++;
                }
              }
              guards.release(guard);
            }
            return new int[] {fired, disarmedEarly};
          }));
        }
        int fired = 0;
        int early = 0;
        for (Future<int[]> f : results) {
          int[] counts = f.get();
          fired += counts[0];
          early += counts[1];
        }
        assertThat(fired).as("rounds that waited for the watchdog").isGreaterThan(threads * rounds / 4);
        assertThat(early).as("rounds disarmed before their deadline").isGreaterThan(0);
      } finally {
        pool.shutdownNow();
      }
    }
    assertThat(terminator.guardCount()).as("closed with its pool").isZero();
    assertThat(terminator.watchdogRunning()).as("idle, it has not ended yet").isTrue();
  }

  @Test
  void theWatchdog_endsWhenIdle_andStartsAgainForTheNextDeadline() throws Exception {
    OrtEnvironment.getEnvironment(); // loads ONNX Runtime's library, which RunOptions need
    RunTerminator terminator = new RunTerminator(TimeUnit.MILLISECONDS.toNanos(100));
    try (RunTerminator.Guards guards = terminator.new Guards(1)) {
      for (int round = 0; round < 2; round++) {
        RunTerminator.Guard guard = guards.acquire();
        guard.arm(TimeUnit.MILLISECONDS.toNanos(5));
        assertThat(terminator.watchdogRunning()).isTrue();
        long end = System.nanoTime() + FIRE_BOUND_NANOS;
        while (!guard.fired() && System.nanoTime() < end) {
          TimeUnit.MILLISECONDS.sleep(1); // poll interval
        }
        assertThat(guard.disarm()).as("round %d fired", round).isTrue();
        guards.release(guard);
        end = System.nanoTime() + FIRE_BOUND_NANOS;
        while (terminator.watchdogRunning() && System.nanoTime() < end) {
          TimeUnit.MILLISECONDS.sleep(5); // poll interval
        }
        assertThat(terminator.watchdogRunning()).as("round %d: the watchdog ended, idle", round).isFalse();
      }
    }
  }
}
