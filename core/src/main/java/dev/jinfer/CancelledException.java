package dev.jinfer;

import org.jspecify.annotations.Nullable;

/**
 * The caller gave up on a call while it waited or ran: its thread was interrupted (a cancelled future, a
 * cancelled gRPC call, a stream processor's timeout) and the wait, or the engine, stopped. This is the
 * caller's decision, not an engine failure: a circuit breaker does not count it, and metrics tag it
 * {@link ErrorCode#CANCELLED} rather than {@link ErrorCode#BACKEND_FAILURE}. The thread's interrupt flag is
 * set again before this is thrown, so code above still sees the interrupt. An engine that cannot stop
 * finishes the call on its own thread and its result is discarded.
 *
 * <p>Its code is {@link ErrorCode#CANCELLED}. Immutable, so thread-safe.
 */
public class CancelledException extends InferenceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message which call of which model was cancelled, and what became of it
   * @param cause the interruption, if any
   */
  public CancelledException(String message, @Nullable Throwable cause) {
    super(ErrorCode.CANCELLED, message, cause);
  }
}
