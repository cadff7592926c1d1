package dev.jinfer;

/**
 * Coarse classification of every {@link InferenceException}, stable enough to switch on, map to HTTP
 * statuses or use as a metric tag.
 */
public enum ErrorCode {
  /** The request does not match the model's signature, or a tensor is malformed. */
  INVALID_INPUT,
  /** A model could not be loaded: missing, corrupt, unsupported or rejected by the engine. */
  MODEL_LOAD_FAILED,
  /** No backend can serve the request: none on the classpath accepts the model, or its native part is missing. */
  BACKEND_UNAVAILABLE,
  /** The engine failed while running a valid request. */
  BACKEND_FAILURE,
  /** A registry has no model, version or alias to route to, or none of its versions is ready. */
  MODEL_NOT_FOUND,
  /** The request was refused because a queue or limit is full. */
  OVERLOADED,
  /** The request's deadline passed before it completed. */
  DEADLINE_EXCEEDED,
  /** A circuit breaker is open and rejected the request. */
  CIRCUIT_OPEN,
  /**
   * The call reached a closed model, predictor, registry, batcher, cache or serving chain (thrown as
   * {@link ModelClosedException}).
   */
  MODEL_CLOSED,
  /**
   * The caller cancelled the call (its thread was interrupted) while it waited or ran (thrown as
   * {@link CancelledException}); not an engine failure.
   */
  CANCELLED
}
