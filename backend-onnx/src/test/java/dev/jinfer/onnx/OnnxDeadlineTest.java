package dev.jinfer.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.Backends;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.kit.BackendCompatibilityKit.SlowCall;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Deadlines on ONNX Runtime: the native run is stopped through its {@code RunOptions} terminate flag. */
class OnnxDeadlineTest {
  @TempDir
  Path dir;

  private Model load(Path artifact, int sessions) {
    return Backends.discover().load(artifact, LoadOptions.newBuilder().backend(OnnxBackend.NAME)
        .property(OnnxBackend.SESSIONS, Integer.toString(sessions)).build());
  }

  private static long nanosOf(Runnable r) {
    long t0 = System.nanoTime();
    r.run();
    return System.nanoTime() - t0;
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aStoppedRun_leavesItsSessionServingCorrectOutputs_callAfterCall() throws IOException {
    SlowCall slow = TinyOnnx.slowCall(dir);
    try (Model model = load(slow.model(), 1)) {
      Predictor p = model.predictor();
      Tensor expected = p.predict(slow.inputs()).get("y");
      long full = nanosOf(() -> p.predict(slow.inputs()));
      for (int i = 0; i < 5; i++) {
        assertThatThrownBy(() -> p.predict(slow.inputs(), List.of(), Deadline.after(Duration.ofNanos(full / 10))))
            .isInstanceOf(DeadlineExceededException.class)
            .hasMessageContaining(model.id().toString()).hasMessageContaining("stopped")
            .rootCause().hasMessageContaining("terminate flag");
        assertThat(p.predict(slow.inputs()).get("y")).isEqualTo(expected);
        assertThat(p.predict(slow.inputs(), List.of(), Deadline.after(Duration.ofMinutes(1))).get("y")).isEqualTo(expected);
      }
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aDeadline_stopsTheNativeRunWithinAboutOneNode_measuredAgainstTheFullRun() throws IOException {
    // 768 MatMul nodes of 512^3: each node is 1/768 of the run, the granularity of a stop
    int size = 512;
    Path artifact = TinyOnnx.matMulChain(dir.resolve("long_chain.onnx"), size, 768);
    NamedTensors in = NamedTensors.of("x", Tensor.ofFloats(new float[size * size], size, size));
    try (Model model = load(artifact, 1)) {
      Predictor p = model.predictor();
      p.predict(in);
      long[] fulls = new long[3];
      for (int i = 0; i < fulls.length; i++) {
        fulls[i] = nanosOf(() -> p.predict(in));
      }
      Arrays.sort(fulls);
      long full = fulls[1];
      Duration timeout = Duration.ofMillis(50);
      long[] released = new long[5];
      for (int i = 0; i < released.length; i++) {
        released[i] = nanosOf(() -> assertThatThrownBy(() -> p.predict(in, List.of(), Deadline.after(timeout)))
            .isInstanceOf(DeadlineExceededException.class));
      }
      Arrays.sort(released);
      System.out.printf("ONNX deadline: timeout %d ms on a %d ms run (median of 3): released after %s ms (sorted, 5 calls)%n",
          timeout.toMillis(), full / 1_000_000, Arrays.toString(Arrays.stream(released).map(n -> n / 1_000_000).toArray()));
      assertThat(released[2]).as("median release, whole run %d ms", full / 1_000_000).isLessThan(full / 2);
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void stoppingOneRun_doesNotStopOtherRunsOnTheSameSession() throws Exception {
    SlowCall slow = TinyOnnx.slowCall(dir);
    try (Model model = load(slow.model(), 1)) {
      Predictor p = model.predictor();
      Tensor expected = p.predict(slow.inputs()).get("y");
      long full = nanosOf(() -> p.predict(slow.inputs()));
      int threads = 4;
      CyclicBarrier start = new CyclicBarrier(threads);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<Integer>> wrong = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          boolean shortDeadlines = t % 2 == 0;
          wrong.add(pool.submit(() -> {
            start.await();
            int bad = 0;
            for (int i = 0; i < 3; i++) {
              if (shortDeadlines) {
                try {
                  p.predict(slow.inputs(), List.of(), Deadline.after(Duration.ofNanos(full / 10)));
                } catch (DeadlineExceededException expectedStop) {
                  continue;
                }
              } else if (!p.predict(slow.inputs()).get("y").equals(expected)) {
                bad++;
              }
            }
            return bad;
          }));
        }
        for (Future<Integer> f : wrong) {
          assertThat(f.get()).as("runs without a deadline that failed or returned wrong outputs").isZero();
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
