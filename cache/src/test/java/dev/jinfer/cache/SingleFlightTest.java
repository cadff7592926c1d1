package dev.jinfer.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.BackendException;
import dev.jinfer.CancelledException;
import dev.jinfer.ErrorCode;
import dev.jinfer.NamedTensors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class SingleFlightTest {
  private static final int THREADS = 16;

  @Test
  void concurrentIdenticalMisses_computeOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      for (int round = 0; round < 200; round++) {
        FakeModel model = new FakeModel();
        try (CachedPredictor p = CachedPredictor.of(model, 100)) {
          CyclicBarrier start = new CyclicBarrier(THREADS);
          List<Future<NamedTensors>> results = new ArrayList<>();
          float v = round;
          for (int t = 0; t < THREADS; t++) {
            results.add(pool.submit(() -> {
              start.await(10, TimeUnit.SECONDS);
              return p.predict(FakeModel.input(v, 1));
            }));
          }
          for (Future<NamedTensors> f : results) {
            assertThat(f.get(10, TimeUnit.SECONDS).get("y").toFloatArray()).containsExactly(2 * v + 1, 3);
          }
          assertThat(model.calls).as("round %d", round).hasValue(1);
          assertThat(p.stats().hits() + p.stats().misses()).isEqualTo(THREADS);
          assertThat(p.stats().misses()).isEqualTo(1);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void waitersShareTheLoadersFailure_andTheNextRequestRetries() throws Exception {
    FakeModel model = new FakeModel();
    model.release = new CountDownLatch(1);
    model.failure = new BackendException("engine down");
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try (CachedPredictor p = CachedPredictor.of(model, 100)) {
      AtomicInteger failed = new AtomicInteger();
      List<Future<?>> all = new ArrayList<>();
      all.add(pool.submit(() -> call(p, failed)));
      assertThat(model.entered.await(10, TimeUnit.SECONDS)).isTrue();
      for (int t = 1; t < THREADS; t++) {
        all.add(pool.submit(() -> call(p, failed)));
      }
      // the waiters are parked on the loader's future: wait until they all looked the entry up
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (p.stats().hits() < THREADS - 1 && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      model.release.countDown();
      for (Future<?> f : all) {
        f.get(10, TimeUnit.SECONDS);
      }
      assertThat(failed).hasValue(THREADS);
      assertThat(model.calls).hasValue(1);
      model.release = null;
      model.failure = null;
      assertThat(p.predict(FakeModel.input(1)).get("y").getFloat(0)).isEqualTo(3f);
      assertThat(model.calls).hasValue(2);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anInterruptedWaiter_leavesAtOnceCancelled_andTheFlightGoesOn() throws Exception {
    FakeModel model = new FakeModel();
    model.release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (CachedPredictor p = CachedPredictor.of(model, 100)) {
      Future<NamedTensors> leader = pool.submit(() -> p.predict(FakeModel.input(1)));
      assertThat(model.entered.await(10, TimeUnit.SECONDS)).isTrue();
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicBoolean flagKept = new AtomicBoolean();
      // no deadline: the waiter would wait for the leader as long as it takes, unless interrupted
      Thread waiter = new Thread(() -> {
        try {
          p.predict(FakeModel.input(1));
        } catch (RuntimeException e) {
          thrown.set(e);
          flagKept.set(Thread.currentThread().isInterrupted());
        }
      });
      waiter.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (p.stats().hits() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      assertThat(p.stats().hits()).as("the waiter joined the leader's flight").isEqualTo(1);
      waiter.interrupt();
      waiter.join(10_000);
      assertThat(waiter.isAlive()).as("the interrupted waiter left while the leader still runs").isFalse();
      assertThat(thrown.get()).isInstanceOf(CancelledException.class)
          .hasMessageContaining("fake").hasMessageContaining("interrupted");
      assertThat(((CancelledException) thrown.get()).code()).isEqualTo(ErrorCode.CANCELLED);
      assertThat(flagKept).isTrue();
      model.release.countDown();
      assertThat(leader.get(10, TimeUnit.SECONDS).get("y").getFloat(0)).isEqualTo(3f);
      model.release = null;
      assertThat(p.predict(FakeModel.input(1)).get("y").getFloat(0)).isEqualTo(3f);
      assertThat(model.calls).as("the leader's result was cached for the next caller").hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void call(CachedPredictor p, AtomicInteger failed) {
    try {
      p.predict(FakeModel.input(1));
    } catch (BackendException e) {
      failed.incrementAndGet();
    }
  }
}
