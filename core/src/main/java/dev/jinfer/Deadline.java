package dev.jinfer;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A point in time by which a call must complete, read on a {@link Ticker}. It is absolute, so one
 * deadline passed down a chain of decorators (breaker, batcher, model) means the same instant at every
 * level, and time spent in a queue counts against it.
 *
 * <pre>{@code
 * NamedTensors out = predictor.predict(inputs, List.of(), Deadline.after(Duration.ofMillis(50)));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class Deadline {
  private final Ticker ticker;
  private final long timeoutNanos;
  private final long atNanos;

  private Deadline(Ticker ticker, long timeoutNanos, long atNanos) {
    this.ticker = ticker;
    this.timeoutNanos = timeoutNanos;
    this.atNanos = atNanos;
  }

  /**
   * The deadline {@code timeout} from now on the system ticker.
   *
   * @param timeout how long the call may take; zero or negative gives a deadline that has already passed
   * @return the deadline
   * @throws NullPointerException if the timeout is null
   */
  public static Deadline after(Duration timeout) {
    return after(timeout, Ticker.system());
  }

  /**
   * The deadline {@code timeout} from the ticker's current reading (tests pass a fake ticker).
   *
   * @param timeout how long the call may take; zero or negative gives a deadline that has already passed;
   *     durations beyond about 292 years are capped
   * @param ticker the clock the deadline is read on
   * @return the deadline
   * @throws NullPointerException if an argument is null
   */
  public static Deadline after(Duration timeout, Ticker ticker) {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(ticker, "ticker");
    long nanos = saturatedNanos(timeout);
    long now = ticker.read();
    long at = now + nanos;
    if (((now ^ at) & (nanos ^ at)) < 0) { // overflow: cap at the far end
      at = nanos > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
    }
    return new Deadline(ticker, nanos, at);
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  /**
   * Runs a call that cannot stop at a deadline (a plain {@link Predictor} implementation, say) so that it
   * still keeps the deadline contract: a deadline that has already passed fails before the call runs, and
   * a result that arrives after it is discarded. The caller waits for the call either way. With no
   * deadline, it just runs the call.
   *
   * <pre>{@code
   * public NamedTensors predict(NamedTensors in, List<String> out, CallOptions options) {
   *   return Deadline.enforce(options.deadlineOrNull(), modelId(), () -> compute(in, out));
   * }
   * }</pre>
   *
   * @param deadline the call's deadline, or null for none
   * @param model the model, for the exception's message
   * @param call the call
   * @param <T> its result
   * @return the call's result, ready before the deadline
   * @throws DeadlineExceededException if the deadline passed before the call or before its result
   */
  public static <T> T enforce(@Nullable Deadline deadline, ModelId model, Supplier<T> call) {
    if (deadline == null) {
      return call.get();
    }
    if (deadline.isExpired()) {
      throw DeadlineExceededException.beforeStart(model, deadline);
    }
    T out = call.get();
    if (deadline.isExpired()) {
      throw DeadlineExceededException.lateResult(model, deadline);
    }
    return out;
  }

  /**
   * Time left, on the deadline's ticker.
   *
   * @return nanoseconds until the deadline; zero or negative once it has passed
   */
  public long remainingNanos() {
    return atNanos - ticker.read();
  }

  /**
   * Whether the deadline has passed.
   *
   * @return true once the ticker reads at or after the deadline
   */
  public boolean isExpired() {
    return remainingNanos() <= 0;
  }

  /**
   * The timeout the deadline was made with, for messages.
   *
   * @return the original timeout
   */
  public Duration timeout() {
    return Duration.ofNanos(timeoutNanos);
  }

  /** @return the clock this deadline is read on */
  public Ticker ticker() {
    return ticker;
  }

  /**
   * The deadline as a reading of its ticker.
   *
   * @return the ticker reading at which the deadline passes
   */
  public long atNanos() {
    return atNanos;
  }

  /**
   * A short description of the timeout for error messages, e.g. {@code 50 ms} or {@code 250 us}.
   *
   * @return the timeout, human-readable
   */
  public String describeTimeout() {
    long n = timeoutNanos;
    if (Math.abs(n) >= 10_000_000L) {
      return n / 1_000_000L + " ms";
    }
    if (Math.abs(n) >= 10_000L) {
      return String.format(java.util.Locale.ROOT, "%.2f ms", n / 1e6);
    }
    return n / 1_000L + " us";
  }

  @Override
  public String toString() {
    return "Deadline[timeout=" + describeTimeout() + ", remaining=" + Duration.ofNanos(remainingNanos()) + "]";
  }
}
