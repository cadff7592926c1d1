package dev.jinfer.batching;

import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Adaptive mode's verdict on whether callers blocked in the sync {@code predict} should call the delegate
 * directly (batching off) or queue (batching on), decided by measuring both: an A/B of the sync calls
 * completed per second in short alternating epochs, not by a cost model (a fit of batch times taken while
 * other threads call the engine directly is too noisy to tell a cheap model from a loaded machine).
 *
 * <p>It starts batched. {@link #FIRST_TRIAL_NANOS} after it is built, and then every probe interval, it
 * runs a <em>trial</em>: {@link #PAIRS} pairs of epochs, one batched and one direct each, in the order
 * B D, D B, B D... (so that a steady drift of the load favours neither). Each epoch first lets the previous
 * mode's calls settle for {@link #SETTLE_NANOS}, then counts the sync calls completed over
 * {@link #MEASURE_NANOS}. The mode changes only if the other mode completed at least {@link #MARGIN} times
 * as many calls per second <em>in every pair</em> (hysteresis: a tie or a split verdict keeps the mode in
 * force). A trial with an epoch of fewer than {@link #MIN_CALLS} calls is inconclusive (too little traffic
 * to tell: a lone caller, an idle service) and keeps the mode. After a trial that keeps the mode the
 * interval doubles, up to {@link #MAX_INTERVAL_NANOS}; after a switch it starts again at
 * {@link #MIN_INTERVAL_NANOS}. A trial costs the losing mode's epochs: about 3 x 50 ms per interval.
 *
 * <p>The decision logic ({@link #step}) takes the ticker's reading and the count of completed calls as
 * arguments, so that tests drive it deterministically. {@link #directAt} is the hot path: two volatile
 * reads until the next step is due. Thread-safe.
 */
final class ModeArbiter {
  /** When the first trial starts, after the batcher is built. */
  static final long FIRST_TRIAL_NANOS = 500_000_000L;
  /** The shortest time between trials (after a switch). */
  static final long MIN_INTERVAL_NANOS = 1_000_000_000L;
  /** The longest time between trials (while the verdict keeps being confirmed). */
  static final long MAX_INTERVAL_NANOS = 30_000_000_000L;
  /** How long the calls of the previous mode get to complete before an epoch counts. */
  static final long SETTLE_NANOS = 10_000_000L;
  /** How long an epoch counts completed calls. */
  static final long MEASURE_NANOS = 40_000_000L;
  /** Pairs of epochs (batched, direct) in one trial. */
  static final int PAIRS = 3;
  /** How many times the calls per second of the mode in force the other must reach in every pair. */
  static final double MARGIN = 1.10;
  /** The fewest calls an epoch must count for the trial to decide. */
  static final long MIN_CALLS = 50;

  /** The sync calls completed so far, counted by the callers (both modes). */
  final LongAdder completed = new LongAdder();
  private final ReentrantLock lock = new ReentrantLock();
  /** The mode callers follow now (a trial's epoch mode while it runs). */
  private volatile boolean direct;
  /** When {@link #step} has something to do next. */
  private volatile long nextStepAt;

  // guarded by lock
  /** The verdict: the mode in force between trials. */
  private boolean verdict;
  private long interval = MIN_INTERVAL_NANOS;
  /** -1 between trials, else the epoch of the trial running (0 .. 2 * PAIRS - 1). */
  private int epoch = -1;
  /** Whether the current epoch is past its settling time and counting. */
  private boolean counting;
  private long countStart;
  private long countedSince;
  private final double[] batchedRates = new double[PAIRS];
  private final double[] directRates = new double[PAIRS];
  private int trials;
  private int switches;

  /**
   * An arbiter in the batched mode.
   *
   * @param now the ticker's reading: the first trial starts {@link #FIRST_TRIAL_NANOS} after it
   */
  ModeArbiter(long now) {
    this.nextStepAt = now + FIRST_TRIAL_NANOS;
  }

  /**
   * The hot path: whether a blocking caller should call the delegate directly now. Takes a step if one is
   * due and no other thread is taking it.
   *
   * @param now the ticker's reading
   * @return whether to bypass the queue
   */
  boolean directAt(long now) {
    if (now - nextStepAt < 0 || !lock.tryLock()) {
      return direct;
    }
    try {
      return stepLocked(now, completed.sum());
    } finally {
      lock.unlock();
    }
  }

  /**
   * Advances the trial to {@code now}, as {@link #directAt} does when a step is due (waits for the lock),
   * with the count of completed calls given (tests drive the decision with it).
   *
   * @param now the ticker's reading
   * @param completed the sync calls completed so far
   * @return the mode callers follow after the step
   */
  boolean step(long now, long completed) {
    lock.lock();
    try {
      return stepLocked(now, completed);
    } finally {
      lock.unlock();
    }
  }

  private boolean stepLocked(long now, long completed) {
    if (now - nextStepAt < 0) {
      return direct;
    }
    if (epoch < 0) {
      trials++;
      startEpoch(0, now);
    } else if (!counting) {
      counting = true;
      countStart = now;
      countedSince = completed;
      nextStepAt = now + MEASURE_NANOS;
    } else {
      long calls = completed - countedSince;
      if (calls < MIN_CALLS) {
        endTrial(verdict, now); // too little traffic to tell
        return direct;
      }
      double rate = calls * 1e9 / Math.max(1, now - countStart);
      int pair = epoch / 2;
      if (epochDirect(epoch)) {
        directRates[pair] = rate;
      } else {
        batchedRates[pair] = rate;
      }
      if (epoch + 1 < 2 * PAIRS) {
        startEpoch(epoch + 1, now);
      } else {
        endTrial(decide(verdict, batchedRates, directRates), now);
      }
    }
    return direct;
  }

  /** Pair i runs batched then direct when i is even, direct then batched when odd. */
  private static boolean epochDirect(int epoch) {
    int pair = epoch / 2;
    return (epoch % 2 == 1) == (pair % 2 == 0);
  }

  private void startEpoch(int e, long now) {
    epoch = e;
    counting = false;
    direct = epochDirect(e);
    nextStepAt = now + SETTLE_NANOS;
  }

  private void endTrial(boolean newVerdict, long now) {
    if (newVerdict != verdict) {
      switches++;
      interval = MIN_INTERVAL_NANOS;
    } else {
      interval = Math.min(MAX_INTERVAL_NANOS, interval * 2);
    }
    verdict = newVerdict;
    direct = newVerdict;
    epoch = -1;
    counting = false;
    nextStepAt = now + interval;
  }

  /**
   * The verdict after a trial: the other mode only if it completed at least {@link #MARGIN} times the calls
   * per second of the mode in force in every pair.
   *
   * @param direct the verdict in force
   * @param batched calls per second of each pair's batched epoch
   * @param directRates calls per second of each pair's direct epoch
   * @return the new verdict
   */
  static boolean decide(boolean direct, double[] batched, double[] directRates) {
    for (int i = 0; i < batched.length; i++) {
      boolean otherWins = direct ? batched[i] >= MARGIN * directRates[i] : directRates[i] >= MARGIN * batched[i];
      if (!otherWins) {
        return direct;
      }
    }
    return !direct;
  }

  /** @return the mode callers follow now, without stepping */
  boolean directNow() {
    return direct;
  }

  /** @return the verdict in force between trials: true when batching is off for blocking callers */
  boolean verdict() {
    lock.lock();
    try {
      return verdict;
    } finally {
      lock.unlock();
    }
  }

  /** @return whether a trial is running */
  boolean inTrial() {
    lock.lock();
    try {
      return epoch >= 0;
    } finally {
      lock.unlock();
    }
  }

  /** @return trials started so far */
  int trials() {
    lock.lock();
    try {
      return trials;
    } finally {
      lock.unlock();
    }
  }

  /** @return verdicts changed so far */
  int switches() {
    lock.lock();
    try {
      return switches;
    } finally {
      lock.unlock();
    }
  }

  /** @return the time from the end of a trial to the next one, as it stands */
  long intervalNanos() {
    lock.lock();
    try {
      return interval;
    } finally {
      lock.unlock();
    }
  }
}
