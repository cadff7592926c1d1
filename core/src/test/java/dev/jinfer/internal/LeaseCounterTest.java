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

class LeaseCounterTest {

  @Test
  void close_withoutWaiting_namesExactlyOneThreadToFreeTheResource() {
    LeaseCounter idle = new LeaseCounter();
    assertThat(idle.close()).as("no lease held: the closer frees it").isTrue();
    assertThat(idle.close()).as("idempotent: only the first close reports it").isFalse();
    assertThat(idle.tryAcquire()).isFalse();

    LeaseCounter busy = new LeaseCounter();
    assertThat(busy.tryAcquire()).isTrue();
    assertThat(busy.tryAcquire()).isTrue();
    assertThat(busy.close()).as("leases held: the last release frees it").isFalse();
    assertThat(busy.tryAcquire()).isFalse();
    assertThat(busy.release()).isFalse();
    assertThat(busy.release()).as("the last lease of a closed counter").isTrue();
    assertThat(busy.held()).isZero();
  }

  @Test
  void release_onAnOpenCounter_neverAsksToFree() {
    LeaseCounter open = new LeaseCounter();
    assertThat(open.tryAcquire()).isTrue();
    assertThat(open.release()).isFalse();
    assertThat(open.isClosed()).isFalse();
  }

  @Test
  void enterAndExit_countCallsInFlight() {
    LeaseCounter gate = new LeaseCounter();

    assertThat(gate.tryAcquire()).isTrue();
    assertThat(gate.tryAcquire()).isTrue();
    assertThat(gate.held()).isEqualTo(2);
    gate.release();
    gate.release();

    assertThat(gate.held()).isZero();
    assertThat(gate.isClosed()).isFalse();
  }

  @Test
  void closeAndAwait_onAnIdleGate_returnsAtOnce_andOnlyTheFirstCloseReportsIt() {
    LeaseCounter gate = new LeaseCounter();

    assertThat(gate.closeAndAwait()).isTrue();
    assertThat(gate.closeAndAwait()).isFalse();
    assertThat(gate.isClosed()).isTrue();
    assertThat(gate.tryAcquire()).isFalse();
    assertThat(gate.held()).isZero();
  }

  @Test
  @Timeout(30)
  void closeAndAwait_waitsForTheLastCall_andKeepsTheInterruptForLater() throws Exception {
    LeaseCounter gate = new LeaseCounter();
    assertThat(gate.tryAcquire()).isTrue();
    CompletableFuture<Boolean> interruptedAfterClose = new CompletableFuture<>();
    Thread closer = new Thread(() -> {
      Thread.currentThread().interrupt(); // an interrupt must not make close give up early
      gate.closeAndAwait();
      interruptedAfterClose.complete(Thread.currentThread().isInterrupted());
    });
    closer.start();

    awaitWaiting(closer, gate::isClosed);
    assertThat(gate.tryAcquire()).as("no new call once closing").isFalse();
    assertThat(interruptedAfterClose).isNotDone();
    assertThat(gate.held()).isEqualTo(1);

    gate.release();

    assertThat(interruptedAfterClose.get(10, TimeUnit.SECONDS)).isTrue();
    closer.join();
    assertThat(gate.held()).isZero();
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
        LeaseCounter gate = new LeaseCounter();
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
              if (gate.tryAcquire()) {
                inside.incrementAndGet();
                if (closedBefore) {
                  enteredAfterClose.incrementAndGet();
                }
                entries.incrementAndGet();
                for (int spin = 0; spin < 20; spin++) {
                  Thread.onSpinWait();
                }
                inside.decrementAndGet();
                gate.release();
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
            long[] seen = {first ? 1 : 0, inside.get(), gate.held()};
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
        assertThat(gate.held()).isZero();
        assertThat(gate.isClosed()).isTrue();
        assertThat(gate.tryAcquire()).isFalse();
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
