package dev.jinfer;

import org.jspecify.annotations.Nullable;

/**
 * The request's deadline passed before it completed: it expired while queued, was shed because it was
 * predicted to miss its deadline, timed out while waiting, was stopped by the engine at its deadline, or
 * its outputs came late and were discarded. Retrying with a later deadline is reasonable.
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

  /**
   * The deadline had passed before the call started; nothing ran.
   *
   * @param model the model called
   * @param deadline the deadline
   * @return the exception
   */
  public static DeadlineExceededException beforeStart(ModelId model, Deadline deadline) {
    return new DeadlineExceededException("model " + model + ": the deadline (timeout " + deadline.describeTimeout()
        + ") had passed before the call started; it did not run");
  }

  /**
   * The outputs came after the deadline and were discarded.
   *
   * @param model the model called
   * @param deadline the deadline
   * @return the exception
   */
  public static DeadlineExceededException lateResult(ModelId model, Deadline deadline) {
    return new DeadlineExceededException("model " + model + ": the outputs came after the deadline (timeout "
        + deadline.describeTimeout() + ") and were discarded");
  }
}
