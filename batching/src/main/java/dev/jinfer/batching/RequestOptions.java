package dev.jinfer.batching;

import dev.jinfer.Priority;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Per-request options of a {@link BatchingPredictor}: a timeout and a {@link Priority}.
 *
 * <p>The timeout is measured on the batcher's ticker from the moment the request is submitted. A
 * request whose deadline passes while it is still queued never runs: its future fails with
 * {@link dev.jinfer.DeadlineExceededException}. A request that has started running completes normally
 * even if the deadline passes meanwhile (an engine call cannot be stopped halfway). Immutable and
 * thread-safe.
 *
 * @param timeout how long the request may wait before it runs, or null for the batcher's default
 *     timeout ({@link BatchingPredictor.Builder#defaultTimeout})
 * @param priority how urgently it is served
 */
public record RequestOptions(@Nullable Duration timeout, Priority priority) {
  private static final RequestOptions DEFAULTS = new RequestOptions(null, Priority.NORMAL);

  /**
   * Checks the options.
   *
   * @param timeout how long the request may wait before it runs, or null for the batcher's default
   * @param priority how urgently it is served
   * @throws IllegalArgumentException if the timeout is zero or negative
   * @throws NullPointerException if the priority is null
   */
  public RequestOptions {
    Objects.requireNonNull(priority, "priority");
    if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
      throw new IllegalArgumentException("timeout must be > 0 but was " + timeout);
    }
  }

  /**
   * The batcher's default timeout and {@link Priority#NORMAL}.
   *
   * @return the shared default instance
   */
  public static RequestOptions defaults() {
    return DEFAULTS;
  }

  /**
   * A timeout and a priority.
   *
   * @param timeout how long the request may wait before it runs, positive
   * @param priority how urgently it is served
   * @return the options
   * @throws IllegalArgumentException if the timeout is zero or negative
   * @throws NullPointerException if an argument is null
   */
  public static RequestOptions of(Duration timeout, Priority priority) {
    return new RequestOptions(Objects.requireNonNull(timeout, "timeout"), priority);
  }

  /**
   * A timeout and {@link Priority#NORMAL}.
   *
   * @param timeout how long the request may wait before it runs, positive
   * @return the options
   * @throws IllegalArgumentException if the timeout is zero or negative
   * @throws NullPointerException if the timeout is null
   */
  public static RequestOptions ofTimeout(Duration timeout) {
    return of(timeout, Priority.NORMAL);
  }

  /**
   * A priority and the batcher's default timeout.
   *
   * @param priority how urgently the request is served
   * @return the options
   * @throws NullPointerException if the priority is null
   */
  public static RequestOptions ofPriority(Priority priority) {
    return new RequestOptions(null, priority);
  }

  /**
   * These options with another timeout.
   *
   * @param newTimeout positive
   * @return new options
   * @throws IllegalArgumentException if the timeout is zero or negative
   * @throws NullPointerException if the timeout is null
   */
  public RequestOptions withTimeout(Duration newTimeout) {
    return new RequestOptions(Objects.requireNonNull(newTimeout, "timeout"), priority);
  }

  /**
   * These options with another priority.
   *
   * @param newPriority the priority
   * @return new options
   * @throws NullPointerException if the priority is null
   */
  public RequestOptions withPriority(Priority newPriority) {
    return new RequestOptions(timeout, newPriority);
  }
}
