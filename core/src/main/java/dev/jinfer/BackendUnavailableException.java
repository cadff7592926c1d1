package dev.jinfer;

import org.jspecify.annotations.Nullable;

/**
 * No backend can serve a model: none on the classpath accepts it, the one forced by name is absent, or a native artifact (such as the GPU build of an engine) is missing. The message lists the backends present or names the artifact to add.
 *
 * <p>Its code is {@link ErrorCode#BACKEND_UNAVAILABLE}.
 */
public class BackendUnavailableException extends InferenceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was expected and what came
   */
  public BackendUnavailableException(String message) {
    super(ErrorCode.BACKEND_UNAVAILABLE, message, null);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what was expected and what came
   * @param cause the underlying failure
   */
  public BackendUnavailableException(String message, @Nullable Throwable cause) {
    super(ErrorCode.BACKEND_UNAVAILABLE, message, cause);
  }
}
