package dev.jinfer.examples.rest;

import org.jspecify.annotations.Nullable;

/**
 * A request that ends in an HTTP error: the status, the error code of the JSON body ({@code
 * {"error": {"code": ..., "message": ...}}}), and for 429/503 the {@code Retry-After} seconds. Thrown by
 * the parsing and routing code and turned into a response by {@link RestHandler}. Immutable.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final long retryAfterSeconds;

  ApiException(int status, String code, String message) {
    this(status, code, message, -1, null);
  }

  ApiException(int status, String code, String message, long retryAfterSeconds, @Nullable Throwable cause) {
    super(message, cause);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  static ApiException badRequest(String message) {
    return new ApiException(400, "INVALID_INPUT", message);
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  /** @return seconds for {@code Retry-After}, or -1 for no header */
  long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
