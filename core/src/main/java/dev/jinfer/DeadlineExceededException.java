package dev.jinfer;

import org.jspecify.annotations.Nullable;

/**
 * The request's deadline passed before it completed: it expired while queued, was shed because it was
 * predicted to miss its deadline, or timed out while waiting. Retrying with a later deadline is
 * reasonable.
 *
 * <p>Its code is {@link ErrorCode#DEADLINE_EXCEEDED}.
 */
public class DeadlineExceededException extends InferenceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message which deadline passed, and by how much
   */
  public DeadlineExceededException(String message) {
    super(ErrorCode.DEADLINE_EXCEEDED, message, null);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message which deadline passed, and by how much
   * @param cause the underlying failure, if any
   */
  public DeadlineExceededException(String message, @Nullable Throwable cause) {
    super(ErrorCode.DEADLINE_EXCEEDED, message, cause);
  }
}
