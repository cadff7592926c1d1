package dev.jinfer.batching;

import dev.jinfer.NamedTensors;
import dev.jinfer.Priority;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One submitted request while the batcher owns it. The queue fields ({@link #state}, {@link #group})
 * are guarded by the batcher's lock; once taken for a batch, the request belongs to one worker.
 */
final class PendingRequest {
  static final long NO_DEADLINE = Long.MAX_VALUE;

  /** Queued and live. */
  static final int QUEUED = 0;
  /** Taken into a batch. */
  static final int TAKEN = 1;
  /** Left the queue without running: expired, displaced, cancelled by its caller or at close. */
  static final int DROPPED = 2;

  final NamedTensors inputs;
  final BatchKey key;
  final int rows;
  final Priority priority;
  final long enqueuedAt;
  final long deadline;
  final long timeoutNanos;
  final CompletableFuture<NamedTensors> future;
  long seq;
  int state = QUEUED;
  BatchQueue.@Nullable Group group;
  /** The observation the request was submitted in, if the batcher observes (see {@link BatchObservations}). */
  io.micrometer.observation.@Nullable Observation parentObservation;
  /** Running while queued; guarded by this request's monitor. */
  io.micrometer.observation.@Nullable Observation queueObservation;
  /** Running while its batch is in the engine; batcher thread only. */
  io.micrometer.observation.@Nullable Observation engineObservation;

  PendingRequest(NamedTensors inputs, BatchKey key, int rows, Priority priority, long enqueuedAt, long timeoutNanos,
      CompletableFuture<NamedTensors> future) {
    this.inputs = inputs;
    this.key = key;
    this.rows = rows;
    this.priority = priority;
    this.enqueuedAt = enqueuedAt;
    this.timeoutNanos = timeoutNanos;
    this.deadline = timeoutNanos > 0 ? saturatedAdd(enqueuedAt, timeoutNanos) : NO_DEADLINE;
    this.future = future;
  }

  boolean hasDeadline() {
    return deadline != NO_DEADLINE;
  }

  static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }
}
