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
