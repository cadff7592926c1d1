package dev.jinfer;

/**
 * A call reached something already closed: a model, a predictor handle, a registry or one of its
 * handles, a batcher, a cache or a serving chain. The message names the closed object and its model. Not
 * worth retrying on the same object; a circuit breaker does not count it as an engine failure.
 *
 * <p>Its code is {@link ErrorCode#MODEL_CLOSED}. Immutable, so thread-safe.
 */
public class ModelClosedException extends InferenceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message which object is closed, and for which model
   */
  public ModelClosedException(String message) {
    super(ErrorCode.MODEL_CLOSED, message, null);
  }
}
