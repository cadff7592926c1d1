package dev.jinfer.spi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Reused direct buffers that a backend copies heap-backed inputs into before its engine reads them. Without it each
 * call would take a fresh {@code ByteBuffer.allocateDirect} (as ONNX Runtime's {@code createTensor} and DJL's
 * {@code NDManager.create} do for a heap buffer), whose native memory is freed only when a GC collects it: in a
 * stretch without GC every call gets never-touched memory and faults it in page by page.
 *
 * <p>A fixed set of slots, each holding an idle buffer or nothing. {@link #acquire} takes any idle buffer that is
 * large enough (claimed by an atomic swap, so two callers never share one) or allocates one, rounded up to a
 * power of two so that the buffers settle at the largest input seen; {@link #release} puts it back into an empty
 * slot, or drops it when all slots are full. A buffer goes back only once the engine's tensor over it is
 * closed. Inputs above {@link #MAX_POOLED_BYTES} are not pooled (their engine time dwarfs an allocation, and
 * pooled memory stays held). Lock-free and allocation-free once warm.
 *
 * <p>Thread-safe. After {@link #close()} the pool keeps nothing (the native memory goes with the next GC) and
 * drops buffers handed back.
 */
public final class StagingBuffers {
  /** The largest buffer kept for reuse: 16 MiB. */
  public static final int MAX_POOLED_BYTES = 1 << 24;
  private static final int MIN_BYTES = 4096;

  private final AtomicReferenceArray<ByteBuffer> slots;
  private volatile boolean closed;

  /**
   * A pool of {@code slots} idle buffers at most.
   *
   * @param slots how many idle buffers to keep at most (about the calls expected in flight at once), positive
   * @throws IllegalArgumentException if {@code slots} is not positive
   */
  public StagingBuffers(int slots) {
    if (slots < 1) {
      throw new IllegalArgumentException("slots must be > 0 but was " + slots);
    }
    this.slots = new AtomicReferenceArray<>(slots);
  }

  /**
   * A pool sized for this machine: twice as many slots as processors, at least 4 and at most 64.
   *
   * @return the pool
   */
  public static StagingBuffers forProcessors() {
    return new StagingBuffers(Math.max(4, Math.min(64, 2 * Runtime.getRuntime().availableProcessors())));
  }

  /**
   * A little-endian direct buffer with position 0 and limit {@code bytes}, for this caller alone until it is
   * given back with {@link #release}.
   *
   * @param bytes the size needed
   * @return the buffer
   */
  public ByteBuffer acquire(int bytes) {
    if (bytes <= MAX_POOLED_BYTES && !closed) {
      int n = slots.length();
      int start = (int) (Thread.currentThread().getId() % n);
      for (int i = 0; i < n; i++) {
        int slot = (start + i) % n;
        ByteBuffer idle = slots.get(slot);
        if (idle != null && idle.capacity() >= bytes && slots.compareAndSet(slot, idle, null)) {
          idle.clear().limit(bytes);
          return idle;
        }
      }
    }
    int capacity = bytes;
    if (bytes <= MAX_POOLED_BYTES) {
      int power = Integer.highestOneBit(Math.max(1, bytes));
      capacity = Math.max(MIN_BYTES, power == bytes ? bytes : power << 1);
    }
    ByteBuffer fresh = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
    fresh.limit(bytes);
    return fresh;
  }

  /**
   * Gives a buffer back for reuse; only once nothing reads it any more (the engine's tensor over it is closed). A
   * smaller idle buffer is replaced by a larger one.
   *
   * @param buffer a buffer from {@link #acquire}
   */
  public void release(ByteBuffer buffer) {
    if (closed || buffer.capacity() > MAX_POOLED_BYTES) {
      return;
    }
    int n = slots.length();
    int start = (int) (Thread.currentThread().getId() % n);
    for (int i = 0; i < n; i++) {
      int slot = (start + i) % n;
      if (slots.get(slot) == null && slots.compareAndSet(slot, null, buffer)) {
        return;
      }
    }
    for (int i = 0; i < n; i++) {
      int slot = (start + i) % n;
      ByteBuffer idle = slots.get(slot);
      if (idle != null && idle.capacity() < buffer.capacity() && slots.compareAndSet(slot, idle, buffer)) {
        return;
      }
    }
  }

  /**
   * How many idle buffers the pool holds now.
   *
   * @return the count
   */
  public int idle() {
    int count = 0;
    for (int i = 0; i < slots.length(); i++) {
      if (slots.get(i) != null) {
        count++;
      }
    }
    return count;
  }

  /** Drops every idle buffer; buffers given back later are dropped too. Idempotent. */
  public void close() {
    closed = true;
    for (int i = 0; i < slots.length(); i++) {
      slots.set(i, null);
    }
  }
}
