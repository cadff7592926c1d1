package dev.jinfer.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.NamedTensors;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Deadlines through the cache: passed to the model on a miss, bounded waits on a shared flight. */
class CacheDeadlineTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  @Test
  void miss_passesTheCallersDeadlineToTheModel_andAHitNeedsNoModelCall() {
    FakeModel model = new FakeModel();
    try (CachedPredictor p = CachedPredictor.of(model, 100)) {
      Deadline deadline = Deadline.after(Duration.ofSeconds(30));

      NamedTensors first = p.predict(FakeModel.input(1, 2), List.of(), deadline);
      NamedTensors second = p.predict(FakeModel.input(1, 2), List.of(), Deadline.after(Duration.ofSeconds(30)));

      assertThat(model.lastDeadline).isSameAs(deadline);
      assertThat(first.get("y").toFloatArray()).containsExactly(3f, 5f);
      assertThat(second.get("y").toFloatArray()).containsExactly(3f, 5f);
      assertThat(model.calls).hasValue(1);
      assertThat(p.stats().hits()).isEqualTo(1);
    }
  }

  @Test
  void expiredDeadline_failsBeforeAnyModelCall() {
    FakeModel model = new FakeModel();
    try (CachedPredictor p = CachedPredictor.of(model, 100)) {
      Deadline past = Deadline.after(Duration.ofNanos(1));
      while (!past.isExpired()) {
        Thread.onSpinWait();
      }
      assertThatThrownBy(() -> p.predict(FakeModel.input(1), List.of(), past))
          .isInstanceOf(DeadlineExceededException.class);
      assertThat(model.calls).hasValue(0);
    }
  }

  @Test
  void joiner_waitsOnlyUntilItsOwnDeadline_whileTheSharedCallGoesOnAndFillsTheCache() throws Exception {
    FakeModel model = new FakeModel();
    model.release = new CountDownLatch(1);
    try (CachedPredictor p = CachedPredictor.of(model, 100)) {
      Future<NamedTensors> leader = pool.submit(() -> p.predict(FakeModel.input(4)));
      assertThat(model.entered.await(10, TimeUnit.SECONDS)).isTrue();

      assertThatThrownBy(() -> p.predict(FakeModel.input(4), List.of(), Deadline.after(Duration.ofMillis(50))))
          .isInstanceOf(DeadlineExceededException.class);
      assertThat(leader.isDone()).as("the shared call is still running").isFalse();

      model.release.countDown();
      assertThat(leader.get(10, TimeUnit.SECONDS).get("y").getFloat(0)).isEqualTo(9f);
      assertThat(p.predict(FakeModel.input(4)).get("y").getFloat(0)).isEqualTo(9f);
      assertThat(model.calls).as("one model call served all three").hasValue(1);
    }
  }

  @Test
  void whenTheJoinedCallFailsOnItsCallersDeadline_aJoinerWithTimeLeftRunsTheModelItself() throws Exception {
    FakeModel model = new FakeModel();
    model.release = new CountDownLatch(1);
    try (CachedPredictor p = CachedPredictor.of(model, 100)) {
      Deadline shortOne = Deadline.after(Duration.ofMillis(100));
      Future<NamedTensors> leader = pool.submit(() -> p.predict(FakeModel.input(5), List.of(), shortOne));
      assertThat(model.entered.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<NamedTensors> joiner = CompletableFuture.supplyAsync(
          () -> p.predict(FakeModel.input(5), List.of(), Deadline.after(Duration.ofSeconds(30))), pool);
      long give = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((p.stats().hits() < 1 || !shortOne.isExpired()) && System.nanoTime() < give) {
        Thread.onSpinWait(); // until the joiner has joined and the leader's deadline has passed
      }

      model.release.countDown(); // the leader's call returns late: it fails with its own deadline

      assertThatThrownBy(() -> leader.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(DeadlineExceededException.class);
      assertThat(joiner.get(10, TimeUnit.SECONDS).get("y").getFloat(0)).isEqualTo(11f);
      assertThat(model.calls).as("the joiner ran the model again").hasValue(2);
      assertThat(p.predict(FakeModel.input(5)).get("y").getFloat(0)).isEqualTo(11f);
      assertThat(model.calls).as("and its result is cached").hasValue(2);
    }
  }

  @Test
  void aJoinerWithoutDeadline_isNotFailedByItsLeadersDeadline() throws Exception {
    FakeModel model = new FakeModel();
    model.release = new CountDownLatch(1);
    try (CachedPredictor p = CachedPredictor.of(model, 100)) {
      Deadline shortOne = Deadline.after(Duration.ofMillis(100));
      Future<NamedTensors> leader = pool.submit(() -> p.predict(FakeModel.input(6), List.of(), shortOne));
      assertThat(model.entered.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<NamedTensors> joiner = CompletableFuture.supplyAsync(() -> p.predict(FakeModel.input(6)), pool);
      long give = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((p.stats().hits() < 1 || !shortOne.isExpired()) && System.nanoTime() < give) {
        Thread.onSpinWait();
      }

      model.release.countDown();

      assertThatThrownBy(() -> leader.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(DeadlineExceededException.class);
      assertThat(joiner.get(10, TimeUnit.SECONDS).get("y").getFloat(0)).isEqualTo(13f);
      assertThat(model.calls).hasValue(2);
    }
  }
}
