package dev.jinfer.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Backends;
import dev.jinfer.CountingBackend;
import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 32 threads predict through one stable handle while a new version is published every 50 ms (and the
 * watcher polls at the same time): no call may fail or see an older version than it saw before, no
 * session may be closed under a call or run after close, and none may be open after close. Runs
 * {@code -Djinfer.registry.stress.seconds} (default 5 here; the ONNX variant runs 30).
 */
class ModelRegistryStressTest {
  private static final int THREADS = 32;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void swapsEvery50ms_under32Threads_failNoCall_andLeaveNoSessionOpen(@TempDir Path dir) throws Exception {
    long seconds = Long.getLong("jinfer.registry.stress.seconds", 5);
    RegistryRepo repo = new RegistryRepo(dir);
    CountingBackend counting = new CountingBackend(new ScaleBackend());
    repo.scale("fraud", "1");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong calls = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    int published = 1;
    ModelRegistry registry = ModelRegistry.newBuilder(repo.root()).backends(Backends.of(counting))
        .pollInterval(Duration.ofMillis(20)).build();
    try {
      registry.start();
      Predictor fraud = registry.predictor("fraud");
      CyclicBarrier go = new CyclicBarrier(THREADS + 1);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        float[] row = {t + 1, -(t + 1)};
        workers.add(pool.submit(() -> {
          go.await();
          float seen = 0;
          while (!stop.get()) {
            try {
              float[] y = fraud.predict(ScaleBackend.input(row)).get("y").toFloatArray();
              float version = y[0] / row[0];
              if (y[1] != -y[0] || version != Math.rint(version) || version < seen) {
                failure.compareAndSet(null, new AssertionError("wrong or older result " + version + " after " + seen));
              }
              seen = version;
              calls.incrementAndGet();
            } catch (Throwable e) {
              failure.compareAndSet(null, e);
              stop.set(true);
            }
          }
          return null;
        }));
      }
      go.await();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long next = System.nanoTime();
      while (System.nanoTime() < end && failure.get() == null) {
        next += TimeUnit.MILLISECONDS.toNanos(50); // a fixed rate: a slow load delays the next swap, never adds 50 ms to it
        TimeUnit.NANOSECONDS.sleep(Math.max(0, next - System.nanoTime()));
        published++;
        repo.scale("fraud", Integer.toString(published));
        if (published % 2 == 0) {
          registry.reload(); // half the swaps on demand, half by the watcher
        }
        if (published > 3) {
          repo.delete("fraud", Integer.toString(published - 3));
        }
      }
      stop.set(true);
      for (Future<?> w : workers) {
        w.get(1, TimeUnit.MINUTES);
      }
    } finally {
      stop.set(true);
      pool.shutdownNow();
      registry.close();
    }
    assertThat(failure.get()).as("failed or wrong calls").isNull();
    assertThat(calls.get()).isGreaterThan(THREADS);
    assertThat(counting.opened.get()).as("versions loaded").isGreaterThan((int) Math.min(seconds * 5, 20));
    assertThat(counting.violations).as("sessions closed under a call, used after close or closed twice").isEmpty();
    assertThat(counting.open.get()).as("sessions left open after close").isZero();
    System.out.printf("registry stress: %d s, %d calls, %d versions published, %d sessions opened%n",
        seconds, calls.get(), published, counting.opened.get());
  }
}
