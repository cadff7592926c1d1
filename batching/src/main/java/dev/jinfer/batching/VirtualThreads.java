package dev.jinfer.batching;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.jspecify.annotations.Nullable;

/**
 * Whether the current thread is a virtual thread, on a JDK that has them (21+), while the library is compiled
 * for 17: {@code Thread.isVirtual()} looked up once by reflection. Thread-safe.
 */
final class VirtualThreads {
  private static final @Nullable MethodHandle IS_VIRTUAL = lookup();

  private VirtualThreads() {}

  private static @Nullable MethodHandle lookup() {
    try {
      return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
    } catch (NoSuchMethodException | IllegalAccessException e) {
      return null; // a JDK without virtual threads
    }
  }

  /** @return whether the calling thread is virtual (false on a JDK without virtual threads) */
  static boolean isVirtual() {
    MethodHandle h = IS_VIRTUAL;
    if (h == null) {
      return false;
    }
    try {
      return (boolean) h.invokeExact(Thread.currentThread());
    } catch (Throwable e) {
      throw new IllegalStateException("Thread.isVirtual() failed", e);
    }
  }
}
