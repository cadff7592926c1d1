package dev.jinfer.pytorch;

import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Creates and frees the libtorch {@link IValue}s of the call path, which no DJL manager tracks, and
 * counts those still open so that tests can prove every one is freed on every path.
 *
 * <p>Thread-safe.
 */
final class NativeValues {
  private static final AtomicLong OPEN = new AtomicLong();

  private NativeValues() {}

  /**
   * Wraps a tensor in a new native IValue (sharing its storage) that the caller must {@link #close}.
   *
   * @param tensor the tensor
   * @return the IValue
   */
  static IValue wrap(PtNDArray tensor) {
    return track(IValue.from(tensor));
  }

  /**
   * Counts a native IValue that libtorch returned, which the caller must {@link #close}.
   *
   * @param value the IValue
   * @return {@code value}
   */
  static IValue track(IValue value) {
    OPEN.incrementAndGet();
    return value;
  }

  /**
   * Frees a native IValue created by {@link #wrap} or counted by {@link #track}.
   *
   * @param value the IValue
   */
  static void close(IValue value) {
    try {
      value.close();
    } finally {
      OPEN.decrementAndGet();
    }
  }

  /** @return the IValues created or counted and not yet closed, across the process */
  static long open() {
    return OPEN.get();
  }
}
