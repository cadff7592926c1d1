package dev.jinfer;

import dev.jinfer.registry.ModelRegistry;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ModelRegistry} has nothing to route a request to: the model, version or alias is unknown, or
 * no version of the model is loaded and ready. The message names what was asked for and what is
 * available. Retrying after the registry has loaded a version is reasonable.
 *
 * <p>Its code is {@link ErrorCode#MODEL_NOT_FOUND}. Immutable, so thread-safe.
 */
public class ModelNotFoundException extends InferenceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was asked for and what is available
   */
  public ModelNotFoundException(String message) {
    super(ErrorCode.MODEL_NOT_FOUND, message, null);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what was asked for and what is available
   * @param cause the underlying failure, such as the version's load error
   */
  public ModelNotFoundException(String message, @Nullable Throwable cause) {
    super(ErrorCode.MODEL_NOT_FOUND, message, cause);
  }
}
