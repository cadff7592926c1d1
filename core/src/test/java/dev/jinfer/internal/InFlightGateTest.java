package dev.jinfer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class InFlightGateTest {

  @Test
  void enterAndExit_countCallsInFlight() {
    InFlightGate gate = new InFlightGate();

    assertThat(gate.tryEnter()).isTrue();
    assertThat(gate.tryEnter()).isTrue();
    assertThat(gate.inFlight()).isEqualTo(2);
    gate.exit();
    gate.exit();

    assertThat(gate.inFlight()).isZero();
    assertThat(gate.isClosed()).isFalse();
  }

  @Test
  void closeAndAwait_onAnIdleGate_returnsAtOnce_andOnlyTheFirstCloseReportsIt() {
    InFlightGate gate = new InFlightGate();

    assertThat(gate.closeAndAwait()).isTrue();
    assertThat(gate.closeAndAwait()).isFalse();
    assertThat(gate.isClosed()).isTrue();
    assertThat(gate.tryEnter()).isFalse();
    assertThat(gate.inFlight()).isZero();
  }

  @Test
  @Timeout(30)
  void closeAndAwait_waitsForTheLastCall_andKeepsTheInterruptForLater() throws Exception {
    InFlightGate gate = new InFlightGate();
    assertThat(gate.tryEnter()).isTrue();
    CompletableFuture<Boolean> interruptedAfterClose = new CompletableFuture<>();
    Thread closer = new Thread(() -> {
      Thread.currentThread().interrupt(); // an interrupt must not make close give up early
      gate.closeAndAwait();
      interruptedAfterClose.complete(Thread.currentThread().isInterrupted());
    });
    closer.start();

    awaitWaiting(closer, gate::isClosed);
    assertThat(gate.tryEnter()).as("no new call once closing").isFalse();
    assertThat(interruptedAfterClose).isNotDone();
    assertThat(gate.inFlight()).isEqualTo(1);

    gate.exit();

    assertThat(interruptedAfterClose.get(10, TimeUnit.SECONDS)).isTrue();
    closer.join();
    assertThat(gate.inFlight()).isZero();
  }

  @Test
  @Timeout(120)
  void closeAndAwait_underContention_returnsOnlyWhenNobodyIsInside_andTheGateStaysShut() throws Exception {
    int workers = 6;
    int rounds = 100;
    int triesAfterClose = 2_000;
    ExecutorService pool = Executors.newFixedThreadPool(workers + 2);
    try {
      for (int round = 0; round < rounds; round++) {
        InFlightGate gate = new InFlightGate();
        AtomicInteger inside = new AtomicInteger();
        AtomicLong entries = new AtomicLong();
        AtomicBoolean closeReturned = new AtomicBoolean();
        AtomicInteger enteredAfterClose = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(workers + 2);

        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
          running.add(pool.submit(() -> {
            start.await();
            int after = 0;
            while (after < triesAfterClose) {
              boolean closedBefore = closeReturned.get();
              if (gate.tryEnter()) {
                inside.incrementAndGet();
                if (closedBefore) {
                  enteredAfterClose.incrementAndGet();
                }
                entries.incrementAndGet();
                for (int spin = 0; spin < 20; spin++) {
                  Thread.onSpinWait();
                }
                inside.decrementAndGet();
                gate.exit();
              }
              if (closedBefore) {
                after++;
              }
            }
            return null;
          }));
        }
        List<Future<long[]>> closers = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
          closers.add(pool.submit(() -> {
            start.await();
            while (entries.get() < workers * 200L) {
              Thread.onSpinWait();
            }
            boolean first = gate.closeAndAwait();
            long[] seen = {first ? 1 : 0, inside.get(), gate.inFlight()};
            closeReturned.set(true);
            return seen;
          }));
        }

        int firsts = 0;
        for (Future<long[]> closer : closers) {
          long[] seen = closer.get(60, TimeUnit.SECONDS);
          firsts += (int) seen[0];
          assertThat(seen[1]).as("threads inside when close returned, round %d", round).isZero();
          assertThat(seen[2]).as("inFlight when close returned, round %d", round).isZero();
        }
        for (Future<?> worker : running) {
          worker.get(60, TimeUnit.SECONDS);
        }
        assertThat(firsts).as("closes that report closing the gate").isEqualTo(1);
        assertThat(enteredAfterClose.get()).as("entries after close returned, round %d", round).isZero();
        assertThat(gate.inFlight()).isZero();
        assertThat(gate.isClosed()).isTrue();
        assertThat(gate.tryEnter()).isFalse();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Spins until the thread waits on a monitor with the condition true, or until it ends. */
  private static void awaitWaiting(Thread thread, BooleanSupplier condition) throws InterruptedException {
    while (thread.isAlive() && !(condition.getAsBoolean() && thread.getState() == Thread.State.WAITING)) {
      if (Thread.interrupted()) {
        throw new InterruptedException("gave up waiting for " + thread.getName());
      }
      Thread.onSpinWait();
    }
  }
}
