package dev.jinfer.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.FakeTicker;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import dev.jinfer.breaker.CircuitBreaker.State;
import dev.jinfer.breaker.CircuitBreaker.Transition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Many threads, a barrier, thousands of calls: counts stay exact and no transition is lost. */
class CircuitBreakerConcurrencyTest {
  private static final int THREADS = 8;
  private static final ModelId MODEL = new ModelId("fraud", "1");
  private static final NamedTensors OUT = ScaleBackend.input(new float[] {1f, 2f});

  private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

  @AfterEach
  void stop() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  /** Runs the task on every thread at once (after a barrier) and waits for all. */
  private void onEveryThread(ThrowingRunnable task) throws Exception {
    CyclicBarrier start = new CyclicBarrier(THREADS);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      futures.add(pool.submit(() -> {
        start.await();
        task.run();
        return null;
      }));
    }
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  @Timeout(120)
  void everyCallIsExactlyOneOutcome_andNoTransitionIsLost() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Queue<Transition> transitions = new ConcurrentLinkedQueue<>();
    CircuitBreaker breaker = CircuitBreaker.newBuilder(MODEL).countBasedWindow(50).minimumNumberOfCalls(20)
        .waitDurationInOpenState(Duration.ofNanos(200_000)).permittedCallsInHalfOpenState(5)
        .slowCallDurationThreshold(Duration.ofDays(1)).meterRegistry(registry).listener(transitions::add).build();
    AtomicInteger engineCalls = new AtomicInteger();
    // fails in bursts: about 70% of calls in every other block of 500 calls of a thread, none in between
    ThreadLocal<int[]> callsOfThread = ThreadLocal.withInitial(() -> new int[1]);
    Predictor flaky = new TestPredictor(() -> {
      engineCalls.incrementAndGet();
      int n = callsOfThread.get()[0]++;
      if ((n / 500) % 2 == 0 && ThreadLocalRandom.current().nextInt(10) < 7) {
        throw new BackendException("engine failed");
      }
    });
    Predictor p = breaker.decorate(flaky);
    int callsPerThread = 5_000;
    LongAdder successes = new LongAdder();
    LongAdder failures = new LongAdder();
    LongAdder rejections = new LongAdder();
    Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();

    onEveryThread(() -> {
      for (int i = 0; i < callsPerThread; i++) {
        try {
          p.predict(OUT);
          successes.increment();
        } catch (BackendException e) {
          failures.increment();
        } catch (CircuitOpenException e) {
          rejections.increment();
        } catch (RuntimeException e) {
          unexpected.add(e);
        }
      }
    });

    long total = (long) THREADS * callsPerThread;
    assertThat(unexpected).isEmpty();
    assertThat(successes.sum() + failures.sum() + rejections.sum()).isEqualTo(total);
    assertThat(engineCalls.get()).as("refused calls never reach the engine").isEqualTo(successes.sum() + failures.sum());
    assertThat(count(registry, "success")).isEqualTo(successes.sum());
    assertThat(count(registry, "failure")).isEqualTo(failures.sum());
    assertThat(count(registry, "rejected")).isEqualTo(rejections.sum());
    assertThat(count(registry, "slow") + count(registry, "ignored")).isZero();
    assertThat(breaker.snapshot().notPermittedCalls()).isEqualTo(rejections.sum());
    assertThat(rejections.sum()).as("the breaker did open").isPositive();

    // each state object is entered once and left at most once, so per state: entries - exits =
    // (is it the final state) - (is it the initial state); a lost or doubled event breaks this
    Map<State, Integer> in = new EnumMap<>(State.class);
    Map<State, Integer> out = new EnumMap<>(State.class);
    for (Transition t : transitions) {
      in.merge(t.to(), 1, Integer::sum);
      out.merge(t.from(), 1, Integer::sum);
    }
    State last = breaker.state();
    for (State s : State.values()) {
      int expected = (s == last ? 1 : 0) - (s == State.CLOSED ? 1 : 0);
      assertThat(in.getOrDefault(s, 0) - out.getOrDefault(s, 0)).as("entries - exits of %s", s).isEqualTo(expected);
      assertThat(registry.get("jinfer.breaker.transitions").tag("to", s.name().toLowerCase(Locale.ROOT)).counter().count())
          .as("transitions to %s", s).isEqualTo((double) in.getOrDefault(s, 0));
    }
    assertThat(in.getOrDefault(State.OPEN, 0)).as("opened more than once").isGreaterThan(1);
    assertThat(in.getOrDefault(State.CLOSED, 0)).as("recovered at least once").isPositive();
  }

  @Test
  @Timeout(60)
  void racingFailures_openTheBreakerExactlyOnce() throws Exception {
    Queue<Transition> transitions = new ConcurrentLinkedQueue<>();
    CircuitBreaker breaker = CircuitBreaker.newBuilder(MODEL).countBasedWindow(100).minimumNumberOfCalls(100)
        .ticker(new FakeTicker()).listener(transitions::add).build();
    LongAdder permitted = new LongAdder();
    LongAdder refused = new LongAdder();

    onEveryThread(() -> {
      for (int i = 0; i < 2_000; i++) {
        if (breaker.tryAcquirePermission()) {
          permitted.increment();
          breaker.onError(1_000, new BackendException("down"));
        } else {
          refused.increment();
        }
      }
    });

    assertThat(transitions).hasSize(1);
    assertThat(transitions.peek().to()).isEqualTo(State.OPEN);
    assertThat(permitted.sum() + refused.sum()).isEqualTo(THREADS * 2_000L);
    // 99 calls are judged below the minimum; every later one trips the breaker before its thread asks again
    assertThat(permitted.sum()).as("at least the minimum, at most one more per thread")
        .isBetween(100L, 99L + THREADS);
    assertThat(breaker.snapshot().notPermittedCalls()).isEqualTo(refused.sum());
  }

  @Test
  @Timeout(60)
  void halfOpen_underContention_grantsExactlyThePermittedTrials() throws Exception {
    for (int round = 0; round < 20; round++) {
      CircuitBreaker breaker = CircuitBreaker.newBuilder(MODEL).permittedCallsInHalfOpenState(5)
          .ticker(new FakeTicker()).build();
      breaker.transitionToHalfOpen();
      LongAdder granted = new LongAdder();

      onEveryThread(() -> {
        for (int i = 0; i < 100; i++) {
          if (breaker.tryAcquirePermission()) {
            granted.increment();
          }
        }
      });

      assertThat(granted.sum()).as("round %d", round).isEqualTo(5);
    }
  }

  @Test
  @Timeout(60)
  void countWindow_underContention_countsExactlyWhatItsSlotsHold() throws Exception {
    // only the counting is under test here, not the verdicts
    for (int size : new int[] {1, 7, 1_000}) {
      BreakerCountWindow window = new BreakerCountWindow(size, new BreakerThresholds(size, 100, 100));

      onEveryThread(() -> record(window, BreakerWindow.CALL | BreakerWindow.FAILED, 20_000));
      assertThat(window.counts(0)).as("all failed, size %d", size).isEqualTo(new BreakerWindow.Counts(size, size, 0));

      // every slot is overwritten after the barrier, so nothing of before may remain
      onEveryThread(() -> record(window, BreakerWindow.CALL | BreakerWindow.SLOW, 20_000));
      assertThat(window.counts(0)).as("all slow, size %d", size).isEqualTo(new BreakerWindow.Counts(size, 0, size));

      onEveryThread(() -> {
        for (int i = 0; i < 20_000; i++) {
          window.record(i % 2 == 0 ? BreakerWindow.CALL : BreakerWindow.CALL | BreakerWindow.FAILED, 0);
        }
      });
      onEveryThread(() -> record(window, BreakerWindow.CALL, 20_000));
      assertThat(window.counts(0)).as("all fine, size %d", size).isEqualTo(new BreakerWindow.Counts(size, 0, 0));
    }
  }

  @Test
  @Timeout(60)
  void timeWindow_underContention_losesNoCall() throws Exception {
    BreakerTimeWindow window = new BreakerTimeWindow(Duration.ofSeconds(10).toNanos(),
        new BreakerThresholds(Integer.MAX_VALUE, 100, 100));
    AtomicInteger threadIndex = new AtomicInteger();

    onEveryThread(() -> {
      boolean failing = threadIndex.getAndIncrement() % 2 == 0;
      for (int i = 0; i < 20_000; i++) {
        // spread over the ten buckets, with every thread creating buckets as it goes
        window.record(failing ? BreakerWindow.CALL | BreakerWindow.FAILED : BreakerWindow.CALL | BreakerWindow.SLOW,
            (i % 10) * 1_000_000_000L);
      }
    });

    int total = THREADS * 20_000;
    assertThat(window.counts(9_000_000_000L)).isEqualTo(new BreakerWindow.Counts(total, total / 2, total / 2));
    assertThat(window.counts(10_000_000_000L).calls()).as("the first bucket expired").isEqualTo(total * 9 / 10);
  }

  private static void record(BreakerWindow window, int outcome, int times) {
    for (int i = 0; i < times; i++) {
      window.record(outcome, 0);
    }
  }

  private static long count(SimpleMeterRegistry registry, String outcome) {
    return (long) registry.get("jinfer.breaker.calls").tag("outcome", outcome).counter().count();
  }

  /** Answers {@link #OUT}, after running a hook that may throw. */
  private static final class TestPredictor implements Predictor {
    private final Runnable hook;

    TestPredictor(Runnable hook) {
      this.hook = hook;
    }

    @Override
    public ModelId modelId() {
      return MODEL;
    }

    @Override
    public ModelSignature signature() {
      return ScaleBackend.SIGNATURE;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
      hook.run();
      return OUT;
    }

    @Override
    public void close() {}
  }
}
