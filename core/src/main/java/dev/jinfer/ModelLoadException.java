package dev.jinfer;

import org.jspecify.annotations.Nullable;

/**
 * A model could not be loaded: the path is missing, the file is truncated or corrupt, or the engine rejected it.
 *
 * <p>Its code is {@link ErrorCode#MODEL_LOAD_FAILED}.
 */
public class ModelLoadException extends InferenceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was expected and what came
   */
  public ModelLoadException(String message) {
    super(ErrorCode.MODEL_LOAD_FAILED, message, null);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what was expected and what came
   * @param cause the underlying failure
   */
  public ModelLoadException(String message, @Nullable Throwable cause) {
    super(ErrorCode.MODEL_LOAD_FAILED, message, cause);
  }
}
