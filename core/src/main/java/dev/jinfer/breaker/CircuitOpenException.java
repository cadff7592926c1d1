package dev.jinfer.breaker;

import dev.jinfer.ErrorCode;
import dev.jinfer.InferenceException;
import dev.jinfer.ModelId;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A {@link CircuitBreaker} refused the call without running it: the breaker is open, forced open, or
 * half-open with every trial call already in flight. The message names the model, the state, why, and
 * when the breaker will next let a trial call through. Retrying after {@link #retryAfter()} is reasonable.
 *
 * <p>Its code is {@link ErrorCode#CIRCUIT_OPEN}. Immutable, so thread-safe.
 */
public class CircuitOpenException extends InferenceException {
  private static final long serialVersionUID = 1L;

  /** The name of the model the breaker guards. */
  private final String modelName;
  /** The version of the model the breaker guards. */
  private final String modelVersion;
  /** The breaker's state when it refused the call. */
  private final CircuitBreaker.State state;
  /** Nanoseconds until the next trial call, or -1 if that does not depend on time. */
  private final long retryAfterNanos;

  /**
   * Creates the exception.
   *
   * @param model the model the breaker guards
   * @param state the breaker's state when it refused the call
   * @param retryAfter how long until the breaker lets a trial call through, if known
   * @param message the model, the state, why, and when the next trial is allowed
   * @throws NullPointerException if the model, state or message is null
   */
  public CircuitOpenException(ModelId model, CircuitBreaker.State state, @Nullable Duration retryAfter, String message) {
    super(ErrorCode.CIRCUIT_OPEN, message, null);
    this.modelName = model.name();
    this.modelVersion = model.version();
    this.state = Objects.requireNonNull(state, "state");
    this.retryAfterNanos = retryAfter == null ? -1 : Math.max(0, retryAfter.toNanos());
  }

  /**
   * The model the breaker guards.
   *
   * @return its id
   */
  public ModelId model() {
    return new ModelId(modelName, modelVersion);
  }

  /**
   * The breaker's state when it refused the call.
   *
   * @return {@code OPEN}, {@code FORCED_OPEN} or {@code HALF_OPEN}
   */
  public CircuitBreaker.State state() {
    return state;
  }

  /**
   * How long until the breaker lets a trial call through, measured when it refused this one.
   *
   * @return the wait, or empty if it does not depend on time (forced open, or half-open waiting for its
   *     trial calls to finish)
   */
  public Optional<Duration> retryAfter() {
    return retryAfterNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(retryAfterNanos));
  }
}
