package dev.jinfer.batching;

import dev.jinfer.Priority;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.jspecify.annotations.Nullable;

/**
 * The batcher's queue and its batch-forming policy, as pure functions of the queued requests and a time
 * passed in: no clock, no thread, no lock. {@link BatcherState} holds it under its lock; {@link Admission} and
 * {@link Workers} decide when to call it; tests drive it with explicit times.
 *
 * <p>Requests are grouped by {@link BatchKey}; each group keeps one FIFO per {@link Priority}. A group is
 * <em>due</em> when its live rows reach the batch limit, when its oldest request has waited the batch
 * window, or when the batcher flushes (on close). Among due groups, one holding a high-priority request
 * wins, then the one whose first request (of its highest priority) came first. A batch takes the due
 * group's requests in priority order, FIFO, while they fit in the limit; a request larger than the limit
 * runs alone. Requests that leave the queue early (expired, displaced, cancelled) are marked and skipped
 * lazily, so every operation is O(log n) or O(groups).
 *
 * <p>Not thread-safe.
 */
final class BatchQueue {
  private static final Priority[] PRIORITIES = Priority.values();
  private static final Comparator<PendingRequest> BY_DEADLINE =
      Comparator.<PendingRequest>comparingLong(r -> r.deadline).thenComparingLong(r -> r.seq);

  /** The queued requests of one batch key. */
  static final class Group {
    final BatchKey key;
    final List<ArrayDeque<PendingRequest>> fifos = new ArrayList<>(PRIORITIES.length);
    long rows;
    int size;

    Group(BatchKey key) {
      this.key = key;
      for (int i = 0; i < PRIORITIES.length; i++) {
        fifos.add(new ArrayDeque<>());
      }
    }
  }

  private final int capacity;
  private final Map<BatchKey, Group> groups = new LinkedHashMap<>();
  private final PriorityQueue<PendingRequest> deadlines = new PriorityQueue<>(BY_DEADLINE);
  private final long[] rowsByPriority = new long[PRIORITIES.length];
  private int size;
  private long rows;
  private long nextSeq;
  private long cancelled;

  /**
   * An empty queue.
   *
   * @param capacity the most requests it holds
   */
  BatchQueue(int capacity) {
    this.capacity = capacity;
  }

  /** @return the requests queued (including ones cancelled by their caller and not yet noticed) */
  int size() {
    return size;
  }

  /** @return the rows queued */
  long rows() {
    return rows;
  }

  /** @return whether nothing is queued */
  boolean isEmpty() {
    return size == 0;
  }

  /** @return how many requests were found cancelled by their callers while queued */
  long cancelled() {
    return cancelled;
  }

  /**
   * The rows that would be served before a new request of a priority: all queued rows for
   * {@link Priority#NORMAL}, the high-priority ones for {@link Priority#HIGH}.
   *
   * @param priority the new request's priority
   * @return rows ahead of it
   */
  long rowsAhead(Priority priority) {
    long n = 0;
    for (int p = 0; p <= priority.ordinal(); p++) {
      n += rowsByPriority[p];
    }
    return n;
  }

  /**
   * Queues a request if there is room. When the queue is full, a {@link Priority#HIGH} request
   * displaces the most recently queued normal one, which the caller must then fail.
   *
   * @param r the request, fresh
   * @return null if it was queued; {@code r} itself if the queue is full and it was not; otherwise the
   *     displaced request (and {@code r} was queued)
   */
  @Nullable PendingRequest offer(PendingRequest r) {
    PendingRequest victim = null;
    if (size >= capacity) {
      victim = r.priority == Priority.HIGH ? newestLive(Priority.NORMAL) : null;
      if (victim == null) {
        return r;
      }
      drop(victim);
    }
    Group g = groups.computeIfAbsent(r.key, Group::new);
    r.seq = nextSeq++;
    r.group = g;
    r.state = PendingRequest.QUEUED;
    g.fifos.get(r.priority.ordinal()).addLast(r);
    g.rows += r.rows;
    g.size++;
    rows += r.rows;
    rowsByPriority[r.priority.ordinal()] += r.rows;
    size++;
    if (r.hasDeadline()) {
      deadlines.add(r);
    }
    return victim;
  }

  /**
   * Removes every queued request whose deadline is at or before {@code now}.
   *
   * @param now the current time
   * @param expired receives them, in deadline order
   */
  void expire(long now, List<PendingRequest> expired) {
    for (PendingRequest r; (r = deadlines.peek()) != null;) {
      if (!isLive(r)) {
        deadlines.poll();
      } else if (r.deadline <= now) {
        deadlines.poll();
        drop(r);
        expired.add(r);
      } else {
        return;
      }
    }
  }

  /**
   * Takes the next batch that is due at {@code now}.
   *
   * @param now the current time
   * @param maxRows the batch limit in rows
   * @param windowNanos how long the oldest request of a group may wait for others
   * @param flush whether every non-empty group is due (closing)
   * @return the batch, in service order, or null if no group is due
   */
  @Nullable List<PendingRequest> poll(long now, int maxRows, long windowNanos, boolean flush) {
    Group best = null;
    boolean bestHigh = false;
    long bestSeq = Long.MAX_VALUE;
    for (Iterator<Group> it = groups.values().iterator(); it.hasNext();) {
      Group g = it.next();
      PendingRequest high = head(g, Priority.HIGH);
      PendingRequest normal = head(g, Priority.NORMAL);
      if (high == null && normal == null) {
        it.remove();
        continue;
      }
      if (!flush && g.rows < maxRows && now - oldest(high, normal) < windowNanos) {
        continue;
      }
      boolean isHigh = high != null;
      long seq = isHigh ? high.seq : normal.seq;
      if (best == null || (isHigh && !bestHigh) || (isHigh == bestHigh && seq < bestSeq)) {
        best = g;
        bestHigh = isHigh;
        bestSeq = seq;
      }
    }
    return best == null ? null : take(best, maxRows);
  }

  /**
   * When {@link #poll} or {@link #expire} next has work, if nothing is queued meanwhile.
   *
   * @param maxRows the batch limit in rows
   * @param windowNanos the batch window
   * @return the time, {@link Long#MIN_VALUE} if a group is due already, {@link Long#MAX_VALUE} if the queue is empty
   */
  long nextDueAt(int maxRows, long windowNanos) {
    long due = Long.MAX_VALUE;
    for (Group g : groups.values()) {
      PendingRequest high = head(g, Priority.HIGH);
      PendingRequest normal = head(g, Priority.NORMAL);
      if (high == null && normal == null) {
        continue;
      }
      if (g.rows >= maxRows) {
        return Long.MIN_VALUE;
      }
      due = Math.min(due, PendingRequest.saturatedAdd(oldest(high, normal), windowNanos));
    }
    for (PendingRequest r; (r = deadlines.peek()) != null && !isLive(r);) {
      deadlines.poll();
    }
    PendingRequest first = deadlines.peek();
    return first == null ? due : Math.min(due, first.deadline);
  }

  /**
   * Empties the queue (close after the drain timeout).
   *
   * @return every live queued request, in arrival order
   */
  List<PendingRequest> removeAll() {
    List<PendingRequest> all = new ArrayList<>(size);
    for (Group g : groups.values()) {
      for (ArrayDeque<PendingRequest> fifo : g.fifos) {
        for (PendingRequest r : fifo) {
          if (isLive(r)) {
            all.add(r);
          }
        }
      }
    }
    all.sort(Comparator.comparingLong(r -> r.seq));
    for (PendingRequest r : all) {
      drop(r);
    }
    groups.clear();
    deadlines.clear();
    return all;
  }

  private List<PendingRequest> take(Group g, int maxRows) {
    List<PendingRequest> batch = new ArrayList<>();
    long taken = 0;
    for (Priority p : PRIORITIES) {
      ArrayDeque<PendingRequest> fifo = g.fifos.get(p.ordinal());
      for (PendingRequest r; (r = head(g, p)) != null;) {
        if (!batch.isEmpty() && taken + r.rows > maxRows) {
          return batch;
        }
        fifo.pollFirst();
        remove(r);
        r.state = PendingRequest.TAKEN;
        batch.add(r);
        taken += r.rows;
      }
    }
    return batch;
  }

  /** The first live request of a priority, discarding dead ones before it. */
  private @Nullable PendingRequest head(Group g, Priority p) {
    ArrayDeque<PendingRequest> fifo = g.fifos.get(p.ordinal());
    for (PendingRequest r; (r = fifo.peekFirst()) != null;) {
      if (isLive(r)) {
        return r;
      }
      fifo.pollFirst();
    }
    return null;
  }

  private @Nullable PendingRequest newestLive(Priority p) {
    PendingRequest newest = null;
    for (Group g : groups.values()) {
      ArrayDeque<PendingRequest> fifo = g.fifos.get(p.ordinal());
      for (PendingRequest r; (r = fifo.peekLast()) != null;) {
        if (isLive(r)) {
          if (newest == null || r.seq > newest.seq) {
            newest = r;
          }
          break;
        }
        fifo.pollLast();
      }
    }
    return newest;
  }

  private static long oldest(@Nullable PendingRequest high, @Nullable PendingRequest normal) {
    if (high == null) {
      return normal.enqueuedAt;
    }
    return normal == null ? high.enqueuedAt : Math.min(high.enqueuedAt, normal.enqueuedAt);
  }

  /**
   * Whether a request still waits to run. A queued request whose future is already done was cancelled
   * by its caller: it is dropped here, the first time anyone looks at it.
   */
  private boolean isLive(PendingRequest r) {
    if (r.state != PendingRequest.QUEUED) {
      return false;
    }
    if (r.future.isDone()) {
      drop(r);
      cancelled++;
      return false;
    }
    return true;
  }

  /** Marks a queued request as gone and uncounts it; it stays in its FIFO until found there. */
  private void drop(PendingRequest r) {
    remove(r);
    r.state = PendingRequest.DROPPED;
  }

  private void remove(PendingRequest r) {
    Group g = r.group;
    if (g != null) {
      g.rows -= r.rows;
      g.size--;
    }
    rows -= r.rows;
    rowsByPriority[r.priority.ordinal()] -= r.rows;
    size--;
  }
}
