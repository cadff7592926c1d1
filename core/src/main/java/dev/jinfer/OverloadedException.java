package dev.jinfer;

import org.jspecify.annotations.Nullable;

/**
 * The request was refused at once because a queue, an executor or another limit is full. Retrying
 * later (with backoff) is reasonable.
 *
 * <p>Its code is {@link ErrorCode#OVERLOADED}.
 */
public class OverloadedException extends InferenceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message which limit was hit
   * @param cause the underlying rejection, if any
   */
  public OverloadedException(String message, @Nullable Throwable cause) {
    super(ErrorCode.OVERLOADED, message, cause);
  }
}
