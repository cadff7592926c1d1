package dev.jinfer.batching;

import dev.jinfer.CallOptions;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.OverloadedException;
import dev.jinfer.Priority;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * Admission: checks a request against the signature, turns it into a {@link PendingRequest} (its rows,
 * its group key, its timeout from the call's deadline or the default, its priority) and queues it, or
 * refuses it: closed batcher, predicted deadline miss (adaptive mode), full queue. A high-priority request
 * that finds the queue full displaces the newest normal one. Never blocks; futures are failed outside the
 * lock. Thread-safe.
 */
final class Admission {
  private final BatcherState state;
  private final BatchCounters counters;
  private final ModelSignature signature;
  private final List<String> inputNames;
  private final List<String> allOutputs;
  /** For each input (signature order), its dynamic axes after the batch axis. */
  private final int[][] dynamicAxes;
  private final int dynamicAxisCount;
  private final long defaultTimeoutNanos;
  private final BatchObservations observations;

  Admission(BatcherConfig config, BatcherState state, BatchCounters counters, BatchObservations observations) {
    this.observations = observations;
    this.state = state;
    this.counters = counters;
    this.signature = config.delegate().signature();
    this.inputNames = signature.inputs().stream().map(TensorSpec::name).toList();
    this.allOutputs = signature.outputNames();
    List<TensorSpec> inputs = signature.inputs();
    this.dynamicAxes = new int[inputs.size()][];
    int count = 0;
    for (int i = 0; i < inputs.size(); i++) {
      Shape s = inputs.get(i).shape();
      dynamicAxes[i] = IntStream.range(1, s.rank()).filter(a -> s.dim(a) == Shape.DYNAMIC).toArray();
      count += dynamicAxes[i].length;
    }
    this.dynamicAxisCount = count;
    this.defaultTimeoutNanos = config.defaultTimeoutNanos();
  }

  /** The signature requests are checked and grouped against, read once when the batcher was built. */
  ModelSignature signature() {
    return signature;
  }

  /** @return the builder's default timeout, 0 for none */
  long defaultTimeoutNanos() {
    return defaultTimeoutNanos;
  }

  List<String> inputNames() {
    return inputNames;
  }

  /**
   * Queues a request with the call's options: a deadline gives the request its timeout (the time left),
   * no deadline the default timeout; the options' priority is the request's. Never throws.
   *
   * @return a future completed exactly once, by a worker, by close, or here with the refusal
   */
  CompletableFuture<NamedTensors> submit(NamedTensors inputs, List<String> outputNames, @Nullable CallOptions options) {
    if (options == null) {
      return CompletableFuture.failedFuture(new InvalidInputException("options: expected CallOptions but got null"));
    }
    long timeoutNanos;
    Deadline deadline = options.deadlineOrNull();
    if (deadline == null) {
      timeoutNanos = defaultTimeoutNanos;
    } else {
      timeoutNanos = deadline.remainingNanos();
      if (timeoutNanos <= 0) {
        return CompletableFuture.failedFuture(DeadlineExceededException.beforeStart(state.id, deadline));
      }
    }
    return submit(inputs, outputNames, options.priority(), timeoutNanos);
  }

  /**
   * Queues a request with its timeout already worked out. Never throws.
   *
   * @param timeoutNanos how long it may stay queued; 0 for no limit
   */
  CompletableFuture<NamedTensors> submit(NamedTensors inputs, List<String> outputNames, Priority priority,
      long timeoutNanos) {
    return submit(inputs, outputNames, priority, timeoutNanos, false).future();
  }

  /**
   * A queued request, and the batch its caller is to run itself (leader/follower), if any.
   *
   * @param future the request's future
   * @param lead a due batch taken for the caller at admission, holding one of the in-flight slots; the
   *     caller must pass it to {@link Workers#lead}; null if there is none
   */
  record Submitted(CompletableFuture<NamedTensors> future, Workers.@Nullable Batch lead) {}

  /**
   * Queues a request; a caller that will block for its answer ({@code mayLead}) and finds a batch due and
   * a slot free takes that batch to run it on its own thread, in the same lock hold, instead of waking a
   * worker. Never throws.
   *
   * @param timeoutNanos how long it may stay queued; 0 for no limit
   * @param mayLead whether the caller blocks until its request completes (sync {@code predict})
   */
  Submitted submit(NamedTensors inputs, List<String> outputNames, Priority priority, long timeoutNanos,
      boolean mayLead) {
    CompletableFuture<NamedTensors> future = new CompletableFuture<>();
    PendingRequest r;
    try {
      signature.validate(inputs, outputNames, false);
      r = newRequest(inputs, outputNames, priority, timeoutNanos, future);
    } catch (RuntimeException e) {
      return new Submitted(CompletableFuture.failedFuture(e), null);
    }
    observations.queued(r);
    return new Submitted(future, enqueue(r, mayLead));
  }

  private PendingRequest newRequest(NamedTensors inputs, List<String> outputNames, Priority priority, long timeoutNanos,
      CompletableFuture<NamedTensors> future) {
    long rows = -1;
    String first = null;
    long[] dims = new long[dynamicAxisCount];
    int d = 0;
    for (int i = 0; i < inputNames.size(); i++) {
      String name = inputNames.get(i);
      Tensor t = inputs.get(name);
      if (rows < 0) {
        rows = t.rows();
        first = name;
      } else if (t.rows() != rows) {
        throw new InvalidInputException("input '" + name + "': expected " + rows + " rows like input '" + first + "' but got "
            + t.dtype() + " " + t.shape());
      }
      for (int axis : dynamicAxes[i]) {
        dims[d++] = t.shape().dim(axis);
      }
    }
    if (rows > Integer.MAX_VALUE) {
      throw new InvalidInputException("inputs: expected at most " + Integer.MAX_VALUE + " rows but got " + rows);
    }
    List<String> outputs = outputNames.isEmpty() ? allOutputs : List.copyOf(outputNames);
    return new PendingRequest(inputs, new BatchKey(outputs, dims), (int) rows, priority, state.ticker.read(), timeoutNanos,
        future);
  }

  private Workers.@Nullable Batch enqueue(PendingRequest r, boolean mayLead) {
    RuntimeException refusal = null;
    PendingRequest displaced = null;
    Workers.Batch lead = null;
    List<PendingRequest> expired = null;
    state.lock.lock();
    try {
      if (state.lifecycle != BatcherState.Lifecycle.RUNNING) {
        refusal = new ModelClosedException("BatchingPredictor for model " + state.id + " is closed");
      } else if ((refusal = predictedMiss(r)) != null) {
        counters.shedOnAdmission();
      } else {
        PendingRequest out = state.queue.offer(r);
        if (out == r) {
          refusal = new OverloadedException("model " + state.id + ": the batching queue is full (maxQueueSize "
              + state.maxQueueSize + " requests)", null);
          counters.rejected();
        } else {
          displaced = out;
          counters.accepted();
          // lead only a batch of the caller's own request alone: a lone caller pays no hand-off, while a batch
          // shared with others runs on a batcher thread (measured: at 64 platform callers, engine calls led by
          // ever different caller threads ran 15-30% slower and the whole 1.3-1.5x slower on the wide MLP)
          if (mayLead && state.inFlight < state.workers && state.queue.size() == 1) {
            long now = state.ticker.read();
            expired = new ArrayList<>(0);
            state.queue.expire(now, expired);
            BatchTuner.Tuning t = state.tuning.get();
            List<PendingRequest> batch = state.queue.poll(now, t.maxRows(), t.windowNanos(), false);
            if (batch != null) {
              state.inFlight++;
              lead = new Workers.Batch(batch, now);
            }
          }
          if (lead == null) {
            state.wakeWorkerIfDue();
          }
        }
      }
    } finally {
      state.lock.unlock();
    }
    if (expired != null && !expired.isEmpty()) {
      counters.expired(expired.size());
      for (PendingRequest e : expired) {
        e.future.completeExceptionally(new DeadlineExceededException("model " + state.id + ": deadline of "
            + BatcherState.millis(e.timeoutNanos) + " passed while the request was queued; it did not run"));
      }
    }
    if (refusal != null) {
      r.future.completeExceptionally(refusal);
    }
    if (displaced != null) {
      counters.rejected();
      displaced.future.completeExceptionally(new OverloadedException("model " + state.id
          + ": displaced from the full batching queue (maxQueueSize " + state.maxQueueSize
          + ") by a HIGH-priority request", null));
    }
    return lead;
  }

  /** In adaptive mode: the failure of a request predicted to finish after its deadline. Holds the lock. */
  private @Nullable DeadlineExceededException predictedMiss(PendingRequest r) {
    BatchTuner.Tuning t = state.tuning.get();
    if (!state.tuner.adaptive() || !t.warm() || !r.hasDeadline()) {
      return null;
    }
    long ahead = state.queue.rowsAhead(r.priority) + r.rows;
    int limit = t.maxRows();
    long batches = (ahead + limit - 1) / limit;
    long rounds = (batches + state.workers - 1) / state.workers;
    long predicted = rounds * t.cost().predict(Math.min(ahead, limit));
    if (predicted <= r.timeoutNanos) {
      return null;
    }
    return new DeadlineExceededException(String.format(Locale.ROOT,
        "model %s: request shed on arrival: predicted to finish in %s (%d rows queued ahead) but its timeout is %s",
        state.id, BatcherState.millis(predicted), ahead - r.rows, BatcherState.millis(r.timeoutNanos)));
  }
}
