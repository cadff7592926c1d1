package dev.jinfer;

/**
 * A source of monotonic nanoseconds, injected wherever jinfer measures or waits on time so that tests
 * can run on a fake clock. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Ticker {
  /**
   * The current reading.
   *
   * @return nanoseconds from an arbitrary origin, never decreasing
   */
  long read();

  /**
   * The system ticker ({@link System#nanoTime()}).
   *
   * @return the system ticker
   */
  static Ticker system() {
    return System::nanoTime;
  }
}
