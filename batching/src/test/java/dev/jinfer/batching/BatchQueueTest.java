package dev.jinfer.batching;

import dev.jinfer.Priority;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.NamedTensors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The batch-forming policy on its own, with explicit times: no clock, no thread. */
class BatchQueueTest {
  private static final BatchKey A = new BatchKey(List.of("y"), new long[] {4});
  private static final BatchKey B = new BatchKey(List.of("y"), new long[] {8});
  private static final long MS = 1_000_000;

  private static PendingRequest req(BatchKey key, int rows, Priority p, long at, long timeout) {
    return new PendingRequest(NamedTensors.empty(), key, rows, p, at, timeout, new CompletableFuture<>());
  }

  private static PendingRequest req(BatchKey key, int rows, long at) {
    return req(key, rows, Priority.NORMAL, at, 0);
  }

  @Test
  void poll_returnsNothing_untilTheWindowOfTheOldestRequestPasses() {
    BatchQueue q = new BatchQueue(100);
    PendingRequest r1 = req(A, 1, 0);
    PendingRequest r2 = req(A, 1, MS);
    q.offer(r1);
    q.offer(r2);

    assertThat(q.poll(2 * MS - 1, 32, 2 * MS, false)).isNull();
    assertThat(q.nextDueAt(32, 2 * MS)).isEqualTo(2 * MS);
    assertThat(q.poll(2 * MS, 32, 2 * MS, false)).containsExactly(r1, r2);
    assertThat(q.isEmpty()).isTrue();
    assertThat(q.nextDueAt(32, 2 * MS)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void poll_takesAFullGroupAtOnce_andLeavesWhatDoesNotFit() {
    BatchQueue q = new BatchQueue(100);
    List<PendingRequest> rs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      rs.add(req(A, 3, 0));
      q.offer(rs.get(i));
    }
    assertThat(q.nextDueAt(8, 2 * MS)).isEqualTo(Long.MIN_VALUE);

    assertThat(q.poll(0, 8, 2 * MS, false)).containsExactly(rs.get(0), rs.get(1));
    assertThat(q.poll(0, 8, 2 * MS, false)).containsExactly(rs.get(2), rs.get(3));
    assertThat(q.poll(0, 8, 2 * MS, false)).as("3 rows left, below the limit, window not passed").isNull();
    assertThat(q.rows()).isEqualTo(3);
  }

  @Test
  void poll_runsARequestLargerThanTheLimitAlone() {
    BatchQueue q = new BatchQueue(100);
    PendingRequest big = req(A, 50, 0);
    PendingRequest small = req(A, 1, 0);
    q.offer(big);
    q.offer(small);

    assertThat(q.poll(0, 32, 2 * MS, false)).containsExactly(big);
    assertThat(q.poll(2 * MS, 32, 2 * MS, false)).containsExactly(small);
  }

  @Test
  void poll_neverMixesGroups_andServesTheOldestDueGroupFirst() {
    BatchQueue q = new BatchQueue(100);
    PendingRequest b1 = req(B, 1, 0);
    PendingRequest a1 = req(A, 1, MS);
    PendingRequest b2 = req(B, 1, MS);
    q.offer(b1);
    q.offer(a1);
    q.offer(b2);

    assertThat(q.poll(5 * MS, 32, 2 * MS, false)).containsExactly(b1, b2);
    assertThat(q.poll(5 * MS, 32, 2 * MS, false)).containsExactly(a1);
  }

  @Test
  void poll_takesHighPriorityFirst_withinAndAcrossGroups() {
    BatchQueue q = new BatchQueue(100);
    PendingRequest n1 = req(A, 1, Priority.NORMAL, 0, 0);
    PendingRequest n2 = req(A, 1, Priority.NORMAL, 0, 0);
    PendingRequest h1 = req(A, 1, Priority.HIGH, MS, 0);
    PendingRequest other = req(B, 1, Priority.NORMAL, 0, 0);
    PendingRequest h2 = req(B, 1, Priority.HIGH, MS, 0);
    q.offer(other);
    q.offer(n1);
    q.offer(n2);
    q.offer(h2);
    q.offer(h1);

    assertThat(q.poll(2 * MS, 2, 2 * MS, false)).as("B's high request is older than A's").containsExactly(h2, other);
    assertThat(q.poll(2 * MS, 2, 2 * MS, false)).containsExactly(h1, n1);
    assertThat(q.poll(4 * MS, 2, 2 * MS, false)).containsExactly(n2);
  }

  @Test
  void offer_refusesWhenFull_butAHighPriorityRequestDisplacesTheNewestNormalOne() {
    BatchQueue q = new BatchQueue(2);
    PendingRequest n1 = req(A, 1, 0);
    PendingRequest n2 = req(B, 1, 1);
    assertThat(q.offer(n1)).isNull();
    assertThat(q.offer(n2)).isNull();

    PendingRequest n3 = req(A, 1, 2);
    assertThat(q.offer(n3)).isSameAs(n3);
    PendingRequest h = req(A, 1, Priority.HIGH, 3, 0);
    assertThat(q.offer(h)).isSameAs(n2);
    PendingRequest h2 = req(A, 1, Priority.HIGH, 4, 0);
    assertThat(q.offer(h2)).isSameAs(n1);
    PendingRequest h3 = req(A, 1, Priority.HIGH, 5, 0);
    assertThat(q.offer(h3)).as("no normal request left to displace").isSameAs(h3);

    assertThat(q.size()).isEqualTo(2);
    assertThat(q.poll(10, 32, 0, false)).containsExactly(h, h2);
  }

  @Test
  void expire_dropsRequestsAtTheirDeadline_andTheyNeverRun() {
    BatchQueue q = new BatchQueue(100);
    PendingRequest shortOne = req(A, 1, Priority.NORMAL, 0, 3 * MS);
    PendingRequest longOne = req(A, 1, Priority.NORMAL, 0, 10 * MS);
    PendingRequest none = req(A, 1, 0);
    q.offer(shortOne);
    q.offer(longOne);
    q.offer(none);
    List<PendingRequest> expired = new ArrayList<>();

    assertThat(q.nextDueAt(32, 50 * MS)).isEqualTo(3 * MS);
    q.expire(3 * MS - 1, expired);
    assertThat(expired).isEmpty();
    q.expire(3 * MS, expired);
    assertThat(expired).containsExactly(shortOne);
    assertThat(q.nextDueAt(32, 50 * MS)).isEqualTo(10 * MS);
    assertThat(q.size()).isEqualTo(2);

    assertThat(q.poll(50 * MS, 32, 50 * MS, false)).containsExactly(longOne, none);
  }

  @Test
  void takenRequests_leaveTheDeadlineIndexWithoutExpiring() {
    BatchQueue q = new BatchQueue(100);
    PendingRequest r = req(A, 1, Priority.NORMAL, 0, 3 * MS);
    q.offer(r);
    assertThat(q.poll(0, 1, MS, false)).containsExactly(r);
    List<PendingRequest> expired = new ArrayList<>();
    q.expire(10 * MS, expired);
    assertThat(expired).isEmpty();
    assertThat(q.nextDueAt(32, MS)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void requestsCancelledByTheirCaller_areSkippedAndUncounted() {
    BatchQueue q = new BatchQueue(100);
    PendingRequest r1 = req(A, 1, 0);
    PendingRequest r2 = req(A, 1, 0);
    q.offer(r1);
    q.offer(r2);
    r1.future.cancel(false);

    assertThat(q.poll(MS, 32, MS, false)).containsExactly(r2);
    assertThat(q.cancelled()).isEqualTo(1);
    assertThat(q.isEmpty()).isTrue();
  }

  @Test
  void flush_makesEveryGroupDue_andRemoveAllEmptiesInArrivalOrder() {
    BatchQueue q = new BatchQueue(100);
    PendingRequest a = req(A, 1, 0);
    PendingRequest b = req(B, 1, 0);
    PendingRequest c = req(A, 1, 0);
    q.offer(a);
    q.offer(b);
    q.offer(c);
    assertThat(q.poll(0, 32, 10 * MS, true)).containsExactly(a, c);
    q.offer(a = req(A, 1, 0));
    assertThat(q.removeAll()).containsExactly(b, a);
    assertThat(q.isEmpty()).isTrue();
    assertThat(q.rows()).isZero();
    assertThat(q.poll(0, 32, 0, true)).isNull();
  }

  @Test
  void rowsAhead_countsOnlyHigherOrEqualPriority() {
    BatchQueue q = new BatchQueue(100);
    q.offer(req(A, 3, Priority.NORMAL, 0, 0));
    q.offer(req(A, 2, Priority.HIGH, 0, 0));
    assertThat(q.rowsAhead(Priority.HIGH)).isEqualTo(2);
    assertThat(q.rowsAhead(Priority.NORMAL)).isEqualTo(5);
  }
}
