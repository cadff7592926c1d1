package dev.jinfer.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Backends;
import dev.jinfer.CountingBackend;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.registry.ModelRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stress test on the real engine: 32 threads predict through a registry's stable handle
 * while a new version of the fraud model is published every 50 ms for 30 s
 * ({@code -Djinfer.registry.stress.seconds=N} to change it): zero failed or wrong requests, no crash
 * (ONNX Runtime aborts the JVM when a session is freed under a running call), no session closed under a
 * call, and no session open at the end, counted by a delegating backend.
 */
class RegistryOnnxStressTest {
  private static final int THREADS = 32;
  private static final int FEATURES = 32;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void swapsEvery50msFor30s_under32Threads_failNoRequest_andLeaveNoSessionOpen(@TempDir Path dir) throws Exception {
    long seconds = Long.getLong("jinfer.registry.stress.seconds", 30);
    Path root = Files.createDirectories(dir.resolve("repo"));
    Path staging = Files.createDirectories(dir.resolve("staging"));
    CountingBackend counting = new CountingBackend(new OnnxBackend());
    LoadOptions options = LoadOptions.newBuilder().intraOpThreads(1).property(OnnxBackend.SESSIONS, "1").build();

    float[][] rows = new float[THREADS][FEATURES];
    Random random = new Random(7);
    for (float[] r : rows) {
      for (int i = 0; i < FEATURES; i++) {
        r[i] = (float) random.nextGaussian();
      }
    }
    float[][] expected = new float[THREADS][];
    try (Model reference = Backends.of(new OnnxBackend()).load(Fixtures.onnx("fraud.onnx"), options)) {
      for (int t = 0; t < THREADS; t++) {
        expected[t] = reference.predictor().predict(input(rows[t])).get("probabilities").toFloatArray();
      }
    }

    publish(root, staging, 1);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong requests = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    int published = 1;
    int swaps;
    ModelRegistry registry = ModelRegistry.newBuilder(root).backends(Backends.of(counting)).loadOptions(options)
        .pollInterval(Duration.ofMillis(20)).build();
    try {
      registry.start();
      Predictor fraud = registry.predictor("fraud");
      CyclicBarrier go = new CyclicBarrier(THREADS + 1);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int me = t;
        workers.add(pool.submit(() -> {
          NamedTensors in = input(rows[me]);
          go.await();
          while (!stop.get()) {
            try {
              float[] p = fraud.predict(in).get("probabilities").toFloatArray();
              if (Math.abs(p[0] - expected[me][0]) > 1e-5f || Math.abs(p[1] - expected[me][1]) > 1e-5f) {
                failure.compareAndSet(null, new AssertionError("wrong result " + p[0] + ", " + p[1]));
              }
              requests.incrementAndGet();
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
        publish(root, staging, ++published);
        if (published % 2 == 0) {
          registry.reload(); // half the swaps on demand, half by the watcher
        }
        if (published > 3) {
          delete(root.resolve("fraud").resolve(Integer.toString(published - 3)));
        }
      }
      stop.set(true);
      for (Future<?> w : workers) {
        w.get(1, TimeUnit.MINUTES);
      }
      swaps = counting.opened.get();
      assertThat(registry.status().isReady()).isTrue();
    } finally {
      stop.set(true);
      pool.shutdownNow();
      registry.close();
    }
    System.out.printf("registry ONNX stress: %d s, %d requests, %d versions published, %d sessions opened%n",
        seconds, requests.get(), published, swaps);
    assertThat(failure.get()).as("failed or wrong requests").isNull();
    assertThat(requests.get()).isGreaterThan(THREADS);
    assertThat(swaps).as("versions loaded").isGreaterThan((int) Math.min(seconds * 2, 10));
    assertThat(counting.violations).as("sessions closed under a call, used after close or closed twice").isEmpty();
    assertThat(counting.open.get()).as("sessions left open after close").isZero();
  }

  private static NamedTensors input(float[] row) {
    return NamedTensors.of("features", Tensor.ofFloats(row, 1, FEATURES));
  }

  private static void publish(Path root, Path staging, int version) throws IOException {
    Path stage = Files.createDirectories(staging.resolve(Integer.toString(version)));
    Files.copy(Fixtures.onnx("fraud.onnx"), stage.resolve("model.onnx"));
    Path target = Files.createDirectories(root.resolve("fraud")).resolve(Integer.toString(version));
    Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
