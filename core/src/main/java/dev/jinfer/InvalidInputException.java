package dev.jinfer;

import org.jspecify.annotations.Nullable;

/**
 * A request or tensor does not match what the model or the API expects. The message names the input, what was expected and what came. The predictor that threw it is unaffected and keeps serving.
 *
 * <p>Its code is {@link ErrorCode#INVALID_INPUT}.
 */
public class InvalidInputException extends InferenceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was expected and what came
   */
  public InvalidInputException(String message) {
    super(ErrorCode.INVALID_INPUT, message, null);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what was expected and what came
   * @param cause the underlying failure
   */
  public InvalidInputException(String message, @Nullable Throwable cause) {
    super(ErrorCode.INVALID_INPUT, message, cause);
  }
}
