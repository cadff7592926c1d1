package dev.jinfer.batching;

import dev.jinfer.BackendException;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.ErrorCode;
import dev.jinfer.InferenceException;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.Ticker;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one batch taken from the queue: sheds what the adaptive mode predicts will miss its deadline,
 * concatenates the inputs, calls the delegate, splits the outputs back into row views and completes each
 * request's future; when the call fails, retries the batch in halves so that only the requests that fail
 * on their own see a failure (and see their own error). Feeds every successful call to the tuner.
 *
 * <p>Thread-safe: each batch belongs to the one worker running it.
 */
final class BatchRunner {
  private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);

  private final Predictor delegate;
  private final ModelId id;
  private final List<String> inputNames;
  private final Ticker ticker;
  private final boolean isolateFailures;
  private final BatchTuner tuner;
  private final AtomicReference<BatchTuner.Tuning> tuning;
  private final BatchMetrics metrics;
  private final AtomicBoolean warnedUnsplittable = new AtomicBoolean();
  // output selections whose model drops the batch dimension: their requests run one by one from then on
  private final java.util.Set<List<String>> unsplittable = java.util.concurrent.ConcurrentHashMap.newKeySet();

  final LongAdder calls = new LongAdder();
  final LongAdder splits = new LongAdder();
  final LongAdder shed = new LongAdder();

  private final BatchObservations observations;

  BatchRunner(Predictor delegate, List<String> inputNames, Ticker ticker, boolean isolateFailures, BatchTuner tuner,
      AtomicReference<BatchTuner.Tuning> tuning, BatchMetrics metrics, BatchObservations observations) {
    this.observations = observations;
    this.delegate = delegate;
    this.id = delegate.modelId();
    this.inputNames = inputNames;
    this.ticker = ticker;
    this.isolateFailures = isolateFailures;
    this.tuner = tuner;
    this.tuning = tuning;
    this.metrics = metrics;
  }

  /**
   * Runs a batch and completes every request in it, whatever happens.
   *
   * @param batch requests taken from the queue, one group, service order
   * @param now when they were taken
   */
  void run(List<PendingRequest> batch, long now) {
    try {
      List<PendingRequest> runnable = shedPredictedMisses(batch, now);
      for (PendingRequest r : runnable) {
        metrics.queueWait(now - r.enqueuedAt);
      }
      execute(runnable, batch.get(0).key.outputs());
    } catch (Throwable e) {
      // a bug here must not leave a caller waiting forever
      for (PendingRequest r : batch) {
        r.future.completeExceptionally(e);
      }
      LOG.error("model {}: batch failed unexpectedly", id, e);
    }
  }

  private List<PendingRequest> shedPredictedMisses(List<PendingRequest> batch, long now) {
    BatchTuner.Tuning t = tuning.get();
    if (!tuner.adaptive() || !t.warm()) {
      return batch;
    }
    long rows = 0;
    for (PendingRequest r : batch) {
      rows += r.rows;
    }
    long predicted = t.cost().predict(rows);
    List<PendingRequest> keep = null;
    for (int i = 0; i < batch.size(); i++) {
      PendingRequest r = batch.get(i);
      if (r.hasDeadline() && now + predicted > r.deadline) {
        if (keep == null) {
          keep = new ArrayList<>(batch.subList(0, i));
        }
        shed.increment();
        metrics.shed();
        r.future.completeExceptionally(new DeadlineExceededException(String.format(Locale.ROOT,
            "model %s: request shed before running: its deadline is in %s but a batch of %d rows is predicted to take %s",
            id, BatcherState.millis(r.deadline - now), rows, BatcherState.millis(predicted))));
      } else if (keep != null) {
        keep.add(r);
      }
    }
    return keep == null ? batch : keep;
  }

  private void execute(List<PendingRequest> requests, List<String> outputs) {
    if (requests.isEmpty()) {
      return;
    }
    if (requests.size() > 1 && isolateFailures && unsplittable.contains(outputs)) {
      for (PendingRequest r : requests) {
        execute(List.of(r), outputs);
      }
      return;
    }
    int rows = 0;
    for (PendingRequest r : requests) {
      rows += r.rows;
    }
    List<NamedTensors> results;
    try {
      NamedTensors in = requests.size() == 1 ? requests.get(0).inputs : concat(requests);
      observations.engineStarts(requests, rows);
      long start = ticker.read();
      NamedTensors out;
      try {
        out = delegate.predict(in, outputs);
      } catch (Throwable e) {
        observations.engineEnds(requests, e);
        throw e;
      }
      long nanos = ticker.read() - start;
      observations.engineEnds(requests, null);
      calls.increment();
      metrics.batch(rows, nanos);
      int batchRows = rows;
      tuning.updateAndGet(t -> tuner.observe(t, batchRows, nanos));
      results = requests.size() == 1 ? List.of(out) : split(out, requests, rows, outputs);
    } catch (Throwable e) {
      fail(requests, outputs, e);
      return;
    }
    for (int i = 0; i < requests.size(); i++) {
      requests.get(i).future.complete(results.get(i));
    }
  }

  private void fail(List<PendingRequest> requests, List<String> outputs, Throwable e) {
    if (requests.size() > 1 && isolateFailures && unsplittable.contains(outputs)) {
      for (PendingRequest r : requests) {
        execute(List.of(r), outputs); // the batch ran fine but its outputs cannot be split
      }
      return;
    }
    if (requests.size() > 1 && isolateFailures && isolatable(e)) {
      splits.increment();
      metrics.split();
      int mid = requests.size() / 2;
      execute(requests.subList(0, mid), outputs);
      execute(requests.subList(mid, requests.size()), outputs);
      return;
    }
    for (PendingRequest r : requests) {
      r.future.completeExceptionally(e);
    }
  }

  /**
   * Whether a failure may be caused by one request of the batch rather than by the engine or the
   * predictor as a whole: invalid input, an engine failure, or an unexpected runtime exception. A closed
   * predictor, an overload, an open circuit, a missing backend and JVM errors are not worth retrying.
   */
  static boolean isolatable(Throwable e) {
    if (e instanceof InferenceException) {
      ErrorCode code = ((InferenceException) e).code();
      return code == ErrorCode.INVALID_INPUT || code == ErrorCode.BACKEND_FAILURE;
    }
    return e instanceof RuntimeException && !(e instanceof IllegalStateException);
  }

  private NamedTensors concat(List<PendingRequest> requests) {
    NamedTensors.Builder b = NamedTensors.newBuilder();
    List<Tensor> parts = new ArrayList<>(requests.size());
    for (String name : inputNames) {
      parts.clear();
      for (PendingRequest r : requests) {
        parts.add(r.inputs.get(name));
      }
      b.put(name, Tensor.concat(parts));
    }
    return b.build();
  }

  private List<NamedTensors> split(NamedTensors out, List<PendingRequest> requests, int rows, List<String> outputs) {
    List<Tensor> tensors = new ArrayList<>(outputs.size());
    for (String name : outputs) {
      Tensor t = out.get(name);
      if (t.shape().rank() == 0 || t.rows() != rows) {
        BackendException e = new BackendException("model " + id + ": cannot split output '" + name + "' " + t.dtype() + " "
            + t.shape() + " of a batch: expected a first dimension of " + rows
            + " (one per batched row) because the model does not keep the batch dimension");
        if (warnedUnsplittable.compareAndSet(false, true)) {
          LOG.warn("{}; its requests will run one by one", e.getMessage());
        }
        unsplittable.add(List.copyOf(outputs));
        throw e;
      }
      tensors.add(t);
    }
    List<NamedTensors> results = new ArrayList<>(requests.size());
    long at = 0;
    for (PendingRequest r : requests) {
      NamedTensors.Builder b = NamedTensors.newBuilder();
      for (int i = 0; i < outputs.size(); i++) {
        b.put(outputs.get(i), tensors.get(i).slice(at, at + r.rows));
      }
      results.add(b.build());
      at += r.rows;
    }
    return results;
  }
}
