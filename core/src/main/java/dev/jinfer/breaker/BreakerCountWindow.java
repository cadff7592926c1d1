package dev.jinfer.breaker;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A window of the last {@code size} calls, without a lock: a ring of outcomes and one packed counter.
 *
 * <p>A call takes the next slot of the ring ({@code getAndIncrement} on a cursor), swaps its outcome in
 * ({@code getAndSet}, which hands back the outcome it evicts) and adds the difference to the counts
 * ({@code addAndGet} on one long holding calls, failures and slow calls in 21 bits each). The counts are
 * therefore always the sum of what the slots hold, and one read gives a consistent triple to judge. When
 * the slot already holds the same outcome (a success replacing a success, the steady state of a healthy
 * model) the call only reads: one contended atomic per call, the cursor.
 *
 * <p>Two calls a whole lap apart can race for a slot (the first is preempted between taking the slot and
 * swapping). Then the slot keeps the older outcome of the two and the window is "the last {@code size}
 * calls give or take one", which no threshold can tell apart; the counts still match the slots. In such a
 * race one call may subtract an outcome before its owner has added it, so a count can dip below zero for
 * an instant: each field is stored with a bias of 2<sup>16</sup> so that the dip never borrows from the
 * next field, and readers clamp at zero. Likewise, while the window first fills, the minimum number of
 * calls is met by a call's position in the sequence even if a preempted call has not added its outcome yet.
 *
 * <p>Thread-safe.
 */
final class BreakerCountWindow implements BreakerWindow {
  /** The largest window; 21-bit fields leave room for it, the bias and the races. */
  public static final int MAX_SIZE = 1_000_000;

  private static final int BITS = 21;
  private static final long MASK = (1L << BITS) - 1;
  private static final long BIAS = 1L << 16;
  private static final long EMPTY = BIAS | BIAS << BITS | BIAS << 2 * BITS;

  private final int size;
  private final BreakerThresholds thresholds;
  private final AtomicIntegerArray slots;
  private final AtomicLong cursor = new AtomicLong();
  private final AtomicLong counts = new AtomicLong(EMPTY);

  /**
   * An empty window.
   *
   * @param size calls it holds, 1 to {@link #MAX_SIZE}
   * @param thresholds what trips the breaker; its minimum number of calls at most {@code size}
   * @throws IllegalArgumentException if the size is out of range or below the minimum number of calls
   */
  public BreakerCountWindow(int size, BreakerThresholds thresholds) {
    if (size < 1 || size > MAX_SIZE) {
      throw new IllegalArgumentException("size must be in [1, " + MAX_SIZE + "] but was " + size);
    }
    if (thresholds.minimumCalls() > size) {
      throw new IllegalArgumentException("minimumCalls must be <= size (" + size + ") but was " + thresholds.minimumCalls());
    }
    this.size = size;
    this.thresholds = thresholds;
    this.slots = new AtomicIntegerArray(size);
  }

  @Override
  public int record(int outcome, long nowNanos) {
    long index = cursor.getAndIncrement();
    int slot = (int) (index % size);
    int minimum = thresholds.minimumCalls();
    int held = slots.get(slot);
    if (held == outcome) {
      // The slot already holds this outcome: nothing to write, the counts do not change. A success
      // replacing a success (the steady state of a healthy model) needs no verdict either, except on the
      // call that reaches the minimum; a failure or slow call is judged so that its thread trips the breaker.
      if (outcome == CALL && index + 1 != minimum) {
        return BreakerThresholds.BELOW;
      }
      return judge(index, counts.get(), minimum);
    }
    int evicted = slots.getAndSet(slot, outcome);
    long after = evicted == outcome ? counts.get() : counts.addAndGet(fields(outcome) - fields(evicted));
    return judge(index, after, minimum);
  }

  private int judge(long index, long packed, int minimum) {
    int calls = field(packed, 0);
    // The minimum is met by the call's position or by the count: while the window fills, a thread preempted
    // before its add would otherwise hold the count below the minimum for every other thread.
    if (index + 1 < minimum && calls < minimum) {
      return BreakerThresholds.BELOW;
    }
    return thresholds.judgeRates(calls, field(packed, 1), field(packed, 2));
  }

  @Override
  public Counts counts(long nowNanos) {
    long c = counts.get();
    return new Counts(field(c, 0), field(c, 1), field(c, 2));
  }

  // CALL (bit 0) -> field 0, FAILED (bit 1) -> field 1, SLOW (bit 2) -> field 2; an empty slot (0) -> 0
  private static long fields(int outcome) {
    return (outcome & CALL) | (long) (outcome & FAILED) << (BITS - 1) | (long) (outcome & SLOW) << (2 * BITS - 2);
  }

  private static int field(long packed, int index) {
    return (int) Math.max(0, ((packed >>> index * BITS) & MASK) - BIAS);
  }
}
