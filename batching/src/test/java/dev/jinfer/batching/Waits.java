package dev.jinfer.batching;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition another thread makes true: polls it, never stands in for the condition itself. */
final class Waits {
  private Waits() {}

  static void until(BooleanSupplier condition) {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 30 s");
      }
      LockSupport.parkNanos(200_000);
    }
  }
}
