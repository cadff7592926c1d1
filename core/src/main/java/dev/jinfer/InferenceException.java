package dev.jinfer;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Root of every error jinfer reports to callers. Unchecked; {@link #code()} tells what kind of failure
 * it is, and the subclasses let callers catch one kind.
 */
public class InferenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The kind of failure. */
  private final ErrorCode code;

  /**
   * Creates an exception.
   *
   * @param code the error kind
   * @param message what was expected and what came
   * @param cause the underlying failure, if any
   */
  public InferenceException(ErrorCode code, String message, @Nullable Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * Creates an exception without a cause.
   *
   * @param code the error kind
   * @param message what was expected and what came
   */
  public InferenceException(ErrorCode code, String message) {
    this(code, message, null);
  }

  /**
   * The kind of failure.
   *
   * @return the error code
   */
  public ErrorCode code() {
    return code;
  }
}
