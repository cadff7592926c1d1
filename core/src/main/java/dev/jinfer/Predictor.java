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
 * {@link ModelClosedException} (code {@link ErrorCode#MODEL_CLOSED}).
 *
 * <h2>One method, many overloads</h2>
 * An implementation writes {@link #predict(NamedTensors, List, CallOptions)} (and, if it can complete
 * calls without blocking a thread, {@link #predictAsync(NamedTensors, List, CallOptions, Executor)});
 * every other overload is a default that comes there. Decorators extend {@link ForwardingPredictor} and
 * override only what they change.
 *
 * <h2>Deadlines</h2>
 * With a deadline in its {@link CallOptions}, a call either returns by the deadline or throws
 * {@link DeadlineExceededException}: a result that arrives late is discarded. A model's own predictors
 * (from {@link Model#predictor()}) release the caller at the deadline on every backend: an engine that can
 * stop a running call (ONNX Runtime) is told to stop; for one that cannot, the call is abandoned to run
 * out on a helper thread, still counted as in flight so that closing the model waits for it. Decorators
 * pass the deadline down, so a batcher drops a request that expired in its queue and the model stops at
 * the same instant.
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
   * Runs the model and returns the requested outputs: the one method every predictor implements. Every
   * other {@code predict}/{@code predictAsync} overload comes here with its options, and a decorator
   * passes the options on to the predictor it wraps (see {@link ForwardingPredictor}), so a deadline and
   * a priority reach the layer that uses them in any order of decorators.
   *
   * <p>With a deadline in the options, the call either returns before the deadline or throws
   * {@link DeadlineExceededException}; a deadline that has already passed fails before anything runs.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted, in the order wanted; empty for all, in signature order
   * @param options the call's deadline, priority and attachments ({@link CallOptions#defaults()} for none)
   * @return the outputs
   * @throws InvalidInputException if the request does not match the signature (nothing reaches the engine)
   * @throws DeadlineExceededException if the options' deadline passed before the outputs were ready
   * @throws BackendException if the engine fails
   * @throws InferenceException for other failures, by code
   * @throws ModelClosedException if the predictor or its model is closed
   */
  NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options);

  /**
   * Runs the model and returns the requested outputs, with {@link CallOptions#defaults()}.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted, in the order wanted; empty for all, in signature order
   * @return the outputs
   * @throws InvalidInputException if the request does not match the signature (nothing reaches the engine)
   * @throws BackendException if the engine fails
   * @throws InferenceException for other failures, by code
   * @throws ModelClosedException if the predictor or its model is closed
   */
  default NamedTensors predict(NamedTensors inputs, List<String> outputNames) {
    return predict(inputs, outputNames, CallOptions.defaults());
  }

  /**
   * Runs the model and returns the requested outputs by a deadline: {@code predict(inputs, outputNames,
   * CallOptions.of(deadline))}.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted, in the order wanted; empty for all
   * @param deadline when the call must be done
   * @return the outputs, complete before the deadline
   * @throws DeadlineExceededException if the deadline passed before the outputs were ready
   * @throws InvalidInputException if the request does not match the signature, or the deadline is null
   * @throws InferenceException for other failures, by code
   * @throws ModelClosedException if the predictor or its model is closed
   */
  default NamedTensors predict(NamedTensors inputs, List<String> outputNames, Deadline deadline) {
    return predict(inputs, outputNames, CallOptions.of(deadline));
  }

  /**
   * Runs the model on an executor with options: {@link #predict(NamedTensors, List, CallOptions)} as a
   * task. Never throws: every failure, {@link DeadlineExceededException} and an executor that rejects the
   * task ({@link OverloadedException}) included, completes the future exceptionally. Predictors that
   * complete calls without a blocked thread (a batching predictor) override it.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted; empty for all
   * @param options the call's deadline, priority and attachments
   * @param executor where the blocking call runs
   * @return a future completed exactly once
   */
  default CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, CallOptions options,
      Executor executor) {
    if (executor == null) {
      return CompletableFuture.failedFuture(new InvalidInputException("executor: expected an Executor but got null"));
    }
    if (options == null) {
      return CompletableFuture.failedFuture(new InvalidInputException("options: expected CallOptions but got null"));
    }
    try {
      return CompletableFuture.supplyAsync(() -> predict(inputs, outputNames, options), executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new OverloadedException("model " + modelId() + ": the executor rejected the request", e));
    }
  }

  /**
   * Runs the model by a deadline on an executor: {@code predictAsync(inputs, outputNames,
   * CallOptions.of(deadline), executor)}. Never throws.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted; empty for all
   * @param deadline when the call must be done
   * @param executor where the blocking call runs
   * @return a future completed exactly once
   */
  default CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, Deadline deadline,
      Executor executor) {
    if (deadline == null) {
      return CompletableFuture.failedFuture(new InvalidInputException("deadline: expected a Deadline but got null"));
    }
    return predictAsync(inputs, outputNames, CallOptions.of(deadline), executor);
  }

  /**
   * Runs the model and returns every output.
   *
   * @param inputs every input of the signature, by name
   * @return all outputs, in signature order
   * @throws InvalidInputException if the request does not match the signature
   * @throws InferenceException for other failures, by code
   * @throws ModelClosedException if the predictor or its model is closed
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
    return predictAsync(inputs, outputNames, CallOptions.defaults(), executor);
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
