package dev.jinfer.examples.rest;

import dev.jinfer.CancelledException;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.InferenceException;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelNotFoundException;
import dev.jinfer.OverloadedException;
import dev.jinfer.breaker.CircuitOpenException;
import java.time.Duration;
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

  /**
   * The HTTP form of any failure of a request: itself for an ApiException, else the contract's status and
   * code for jinfer's exceptions (400 bad input, 404 unknown model, 429 full queue, 503 open circuit or closed model, 504
   * deadline, 499 a call cancelled while it ran (nginx's "client closed request", as for a client gone), 500 the rest).
   *
   * @param t what the request failed with
   * @param breakerWait the breaker's open time, for Retry-After when the exception does not say
   * @return the error to answer
   */
  static ApiException of(Throwable t, Duration breakerWait) {
    if (t instanceof ApiException) {
      return (ApiException) t;
    }
    if (t instanceof InvalidInputException) {
      return new ApiException(400, "INVALID_INPUT", t.getMessage());
    }
    if (t instanceof CircuitOpenException) {
      long millis = ((CircuitOpenException) t).retryAfter().orElse(breakerWait).toMillis();
      return new ApiException(503, "CIRCUIT_OPEN", t.getMessage(), Math.max(1, (millis + 999) / 1000), t);
    }
    if (t instanceof OverloadedException) {
      return new ApiException(429, "OVERLOADED", t.getMessage(), 1, t);
    }
    if (t instanceof DeadlineExceededException) {
      return new ApiException(504, "DEADLINE_EXCEEDED", t.getMessage());
    }
    if (t instanceof CancelledException) { // its thread was interrupted: the caller gave up, not an engine failure
      return new ApiException(RestHandler.CLIENT_GONE, "CANCELLED", t.getMessage(), -1, t);
    }
    if (t instanceof ModelClosedException) { // the version was retired (hot swap, shutdown) under a retried call
      return new ApiException(503, "MODEL_CLOSED", t.getMessage(), 1, t);
    }
    if (t instanceof ModelNotFoundException) {
      return new ApiException(404, "MODEL_NOT_FOUND", t.getMessage());
    }
    if (t instanceof InferenceException) {
      return new ApiException(500, ((InferenceException) t).code().name(), t.getMessage(), -1, t);
    }
    return new ApiException(500, "INTERNAL_ERROR", t.getClass().getSimpleName() + ": " + t.getMessage(), -1, t);
  }

  /** The longest error message sent: longer ones (a huge value echoed back) are cut, saying how much was left out. */
  static final int MAX_MESSAGE = 1024;

  /**
   * @param text a message or value, possibly huge
   * @param max the most characters to keep
   * @return the text, or its first {@code max} characters and how many were left out
   */
  static String brief(@Nullable String text, int max) {
    if (text == null) {
      return "null";
    }
    if (text.length() <= max) {
      return text;
    }
    return text.substring(0, max) + "... (" + (text.length() - max) + " more characters)";
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
