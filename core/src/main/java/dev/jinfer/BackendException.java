package dev.jinfer;

import org.jspecify.annotations.Nullable;

/**
 * The engine failed while running a request that passed validation.
 *
 * <p>Its code is {@link ErrorCode#BACKEND_FAILURE}.
 */
public class BackendException extends InferenceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was expected and what came
   */
  public BackendException(String message) {
    super(ErrorCode.BACKEND_FAILURE, message, null);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what was expected and what came
   * @param cause the underlying failure
   */
  public BackendException(String message, @Nullable Throwable cause) {
    super(ErrorCode.BACKEND_FAILURE, message, cause);
  }
}
