package dev.jinfer;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs a model on named input tensors and returns named output tensors.
 *
 * <p>Implementations are thread-safe: any number of threads may call {@code predict} at once. Caching,
 * batching and the circuit breaker are themselves predictors that wrap another one, so they compose in
 * any order. Closing a predictor releases what it owns and nothing else; calls after close throw
 * {@link IllegalStateException}.
 *
 * <h2>Deadlines</h2>
 * {@link #predict(NamedTensors, List, Deadline)} either returns by the deadline or throws
 * {@link DeadlineExceededException}: a result that arrives late is discarded. A model's own predictors
 * (from {@link Model#predictor()}) release the caller at the deadline on every backend: an engine that can
 * stop a running call (ONNX Runtime) is told to stop; for one that cannot, the call is abandoned to run
 * out on a helper thread, still counted as in flight so that closing the model waits for it. A decorator
 * that does not override the deadline methods gets the default behaviour: it checks the deadline before
 * and after calling the plain {@link #predict(NamedTensors, List)}, so its caller waits for that call.
 */
public interface Predictor extends AutoCloseable {
  /**
   * The model this predictor serves.
   *
   * @return its name and version
   */
  ModelId modelId();

  /**
   * The inputs this predictor accepts and the outputs it returns.
   *
   * @return the signature
   */
  ModelSignature signature();

  /**
   * Runs the model and returns the requested outputs.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted, in the order wanted; empty for all, in signature order
   * @return the outputs
   * @throws InvalidInputException if the request does not match the signature (nothing reaches the engine)
   * @throws BackendException if the engine fails
   * @throws InferenceException for other failures, by code
   * @throws IllegalStateException if the predictor or its model is closed
   */
  NamedTensors predict(NamedTensors inputs, List<String> outputNames);

  /**
   * Runs the model and returns the requested outputs by a deadline. Either returns before the deadline
   * or throws {@link DeadlineExceededException}; a deadline that has already passed fails before anything
   * runs.
   *
   * <p>This default, for decorators that cannot do better, checks the deadline, calls
   * {@link #predict(NamedTensors, List)} on the calling thread and discards a result that arrives after the
   * deadline: the caller waits for that call. Predictors that can release their caller at the deadline
   * (the model's own, see the interface documentation) override it.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted, in the order wanted; empty for all
   * @param deadline when the call must be done
   * @return the outputs, complete before the deadline
   * @throws DeadlineExceededException if the deadline passed before the outputs were ready
   * @throws InvalidInputException if the request does not match the signature, or the deadline is null
   * @throws InferenceException for other failures, by code
   * @throws IllegalStateException if the predictor or its model is closed
   */
  default NamedTensors predict(NamedTensors inputs, List<String> outputNames, Deadline deadline) {
    if (deadline == null) {
      throw new InvalidInputException("deadline: expected a Deadline but got null");
    }
    if (deadline.isExpired()) {
      throw DeadlineExceededException.beforeStart(modelId(), deadline);
    }
    NamedTensors out = predict(inputs, outputNames);
    if (deadline.isExpired()) {
      throw DeadlineExceededException.lateResult(modelId(), deadline);
    }
    return out;
  }

  /**
   * Runs the model by a deadline on an executor: {@link #predict(NamedTensors, List, Deadline)} as a task.
   * Never throws: every failure, {@link DeadlineExceededException} included, completes the future
   * exceptionally.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted; empty for all
   * @param deadline when the call must be done
   * @param executor where the blocking call runs
   * @return a future completed exactly once
   */
  default CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, Deadline deadline,
      Executor executor) {
    if (executor == null) {
      return CompletableFuture.failedFuture(new InvalidInputException("executor: expected an Executor but got null"));
    }
    try {
      return CompletableFuture.supplyAsync(() -> predict(inputs, outputNames, deadline), executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new OverloadedException("model " + modelId() + ": the executor rejected the request", e));
    }
  }

  /**
   * Runs the model and returns every output.
   *
   * @param inputs every input of the signature, by name
   * @return all outputs, in signature order
   * @throws InvalidInputException if the request does not match the signature
   * @throws InferenceException for other failures, by code
   * @throws IllegalStateException if the predictor or its model is closed
   */
  default NamedTensors predict(NamedTensors inputs) {
    return predict(inputs, List.of());
  }

  /**
   * Runs the model on an executor. This method never throws: every failure, including an executor
   * that rejects the task ({@link OverloadedException}), completes the future exceptionally. There is
   * no default executor on purpose: engine calls block, and the common fork-join pool is no place for
   * them.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted; empty for all
   * @param executor where the blocking engine call runs
   * @return a future completed exactly once with the outputs or the failure
   */
  default CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, Executor executor) {
    if (executor == null) {
      return CompletableFuture.failedFuture(new InvalidInputException("executor: expected an Executor but got null"));
    }
    try {
      return CompletableFuture.supplyAsync(() -> predict(inputs, outputNames), executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new OverloadedException("model " + modelId() + ": the executor rejected the request", e));
    }
  }

  /**
   * Runs the model on an executor and returns every output; see {@link #predictAsync(NamedTensors, List, Executor)}.
   *
   * @param inputs every input of the signature, by name
   * @param executor where the blocking engine call runs
   * @return a future completed exactly once
   */
  default CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, Executor executor) {
    return predictAsync(inputs, List.of(), executor);
  }

  /** Releases what this predictor owns; idempotent. */
  @Override
  void close();
}
