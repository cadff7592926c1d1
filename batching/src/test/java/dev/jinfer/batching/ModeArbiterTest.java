package dev.jinfer.batching;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The batched/direct verdict, driven with explicit times and call counts: no threads, no clock. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ModeArbiterTest {
  private static final long MS = 1_000_000L;

  /** Drives an arbiter: each step moves time to the next step and completes calls at the mode's rate. */
  private static final class Driver {
    final ModeArbiter arbiter = new ModeArbiter(0);
    long now;
    long completed;
    /** Calls per second in each mode; may change between trials. */
    double batchedRate;
    double directRate;
    final List<Boolean> modes = new ArrayList<>();

    Driver(double batchedRate, double directRate) {
      this.batchedRate = batchedRate;
      this.directRate = directRate;
    }

    /** Runs until time {@code until}, stepping each millisecond; records the mode at each step. */
    void runUntil(long until) {
      boolean direct = arbiter.step(now, completed);
      while (now < until) {
        now += MS;
        completed += Math.round((direct ? directRate : batchedRate) / 1000);
        direct = arbiter.step(now, completed);
        modes.add(direct);
      }
    }
  }

  private static long trialLength() {
    return 2L * ModeArbiter.PAIRS * (ModeArbiter.SETTLE_NANOS + ModeArbiter.MEASURE_NANOS);
  }

  @Test
  void startsBatched_andStaysBatchedUntilTheFirstTrial() {
    ModeArbiter a = new ModeArbiter(1_000);
    assertThat(a.step(1_000, 0)).isFalse();
    assertThat(a.step(1_000 + ModeArbiter.FIRST_TRIAL_NANOS - 1, 1_000_000)).isFalse();
    assertThat(a.inTrial()).isFalse();
    assertThat(a.trials()).isZero();
  }

  @Test
  void goesDirect_whenDirectCompletesClearlyMoreCallsInEveryPair() {
    Driver d = new Driver(80_000, 130_000); // fraud at 64 platform callers: queue 0.62-0.75x direct
    d.runUntil(ModeArbiter.FIRST_TRIAL_NANOS + trialLength() + 5 * MS);
    assertThat(d.arbiter.trials()).isEqualTo(1);
    assertThat(d.arbiter.verdict()).isTrue();
    assertThat(d.arbiter.switches()).isEqualTo(1);
    assertThat(d.modes.get(d.modes.size() - 1)).as("callers follow the verdict").isTrue();
    assertThat(d.arbiter.intervalNanos()).isEqualTo(ModeArbiter.MIN_INTERVAL_NANOS);
  }

  @Test
  void staysBatched_whenBatchingWins_andProbesLessOftenWhileTheVerdictHolds() {
    Driver d = new Driver(50_000, 22_000); // the wide MLP: batching 2.2x direct
    d.runUntil(ModeArbiter.FIRST_TRIAL_NANOS + trialLength() + 5 * MS);
    assertThat(d.arbiter.verdict()).isFalse();
    assertThat(d.arbiter.intervalNanos()).isEqualTo(2 * ModeArbiter.MIN_INTERVAL_NANOS);
    d.runUntil(d.now + 2 * ModeArbiter.MIN_INTERVAL_NANOS + trialLength() + 5 * MS);
    assertThat(d.arbiter.trials()).isEqualTo(2);
    assertThat(d.arbiter.intervalNanos()).isEqualTo(4 * ModeArbiter.MIN_INTERVAL_NANOS);
    assertThat(d.arbiter.switches()).isZero();
    // the interval stops doubling at the maximum
    d.runUntil(d.now + 4 * ModeArbiter.MAX_INTERVAL_NANOS);
    assertThat(d.arbiter.intervalNanos()).isEqualTo(ModeArbiter.MAX_INTERVAL_NANOS);
    assertThat(d.arbiter.verdict()).isFalse();
  }

  @Test
  void trialEpochs_alternateInABBAOrder_soThatADriftFavoursNeitherMode() {
    Driver d = new Driver(100_000, 100_000);
    d.runUntil(ModeArbiter.FIRST_TRIAL_NANOS + trialLength() + 5 * MS);
    // the mode at each millisecond of the trial, sampled in the middle of each epoch
    long epoch = ModeArbiter.SETTLE_NANOS + ModeArbiter.MEASURE_NANOS;
    List<Boolean> sampled = new ArrayList<>();
    for (int e = 0; e < 2 * ModeArbiter.PAIRS; e++) {
      int index = (int) ((ModeArbiter.FIRST_TRIAL_NANOS + e * epoch + epoch / 2) / MS) - 1;
      sampled.add(d.modes.get(index));
    }
    assertThat(sampled).containsExactly(false, true, true, false, false, true);
    assertThat(d.arbiter.verdict()).as("a tie keeps the mode in force").isFalse();
  }

  @Test
  void decide_needsTheMarginInEveryPair() {
    double[] batched = {100, 100, 100};
    assertThat(ModeArbiter.decide(false, batched, new double[] {111, 111, 111})).isTrue();
    assertThat(ModeArbiter.decide(false, batched, new double[] {150, 150, 109})).as("one pair short").isFalse();
    assertThat(ModeArbiter.decide(false, batched, new double[] {105, 105, 105})).as("within the margin").isFalse();
    // in direct mode (verdict true), batching must win by the margin to come back: hysteresis around a tie
    assertThat(ModeArbiter.decide(true, batched, new double[] {95, 95, 95})).as("batching within the margin").isTrue();
    assertThat(ModeArbiter.decide(true, batched, new double[] {90, 90, 90})).as("batching wins by 11%").isFalse();
    assertThat(ModeArbiter.decide(true, new double[] {130, 130, 130}, new double[] {100, 100, 100})).isFalse();
    assertThat(ModeArbiter.decide(true, new double[] {130, 105, 130}, new double[] {100, 100, 100})).isTrue();
  }

  @Test
  void comesBackToBatching_whenTheLoadChanges_atTheNextProbe() {
    Driver d = new Driver(80_000, 130_000);
    d.runUntil(ModeArbiter.FIRST_TRIAL_NANOS + trialLength() + 5 * MS);
    assertThat(d.arbiter.verdict()).isTrue();
    d.batchedRate = 50_000; // the callers now send a heavier model's requests
    d.directRate = 20_000;
    d.runUntil(d.now + ModeArbiter.MIN_INTERVAL_NANOS + trialLength() + 5 * MS);
    assertThat(d.arbiter.trials()).isEqualTo(2);
    assertThat(d.arbiter.verdict()).isFalse();
    assertThat(d.arbiter.switches()).isEqualTo(2);
  }

  @Test
  void aNoisyTrial_whereTheModesSplitThePairs_keepsTheModeInForce() {
    ModeArbiter a = new ModeArbiter(0);
    long now = ModeArbiter.FIRST_TRIAL_NANOS;
    long completed = 0;
    // direct wins pairs 0 and 2 by far, batched wins pair 1 (the epochs hit by another job's burst)
    long[] perEpoch = {1000, 2000, 900, 1200, 1000, 2000}; // calls counted in each epoch: B D, D B, B D
    a.step(now, completed); // trial starts: epoch 0 settles
    for (long calls : perEpoch) {
      now += ModeArbiter.SETTLE_NANOS;
      a.step(now, completed); // starts counting
      now += ModeArbiter.MEASURE_NANOS;
      completed += calls;
      a.step(now, completed); // ends the epoch
    }
    assertThat(a.inTrial()).isFalse();
    assertThat(a.trials()).isEqualTo(1);
    assertThat(a.verdict()).as("pair 1: direct 900 against batched 1200").isFalse();
  }

  @Test
  void tooLittleTraffic_isInconclusive_andKeepsTheMode() {
    Driver d = new Driver(1_000, 1_000_000); // direct would win, but a batched epoch counts 40 calls: below MIN_CALLS
    d.runUntil(ModeArbiter.FIRST_TRIAL_NANOS + trialLength() + 5 * MS);
    assertThat(d.arbiter.trials()).isEqualTo(1);
    assertThat(d.arbiter.inTrial()).isFalse();
    assertThat(d.arbiter.verdict()).isFalse();
  }

  @Test
  void directAt_stepsOnlyWhenAStepIsDue() {
    ModeArbiter a = new ModeArbiter(0);
    a.completed.add(1_000);
    assertThat(a.directAt(ModeArbiter.FIRST_TRIAL_NANOS - 1)).isFalse();
    assertThat(a.inTrial()).isFalse();
    assertThat(a.directAt(ModeArbiter.FIRST_TRIAL_NANOS)).isFalse(); // epoch 0 is batched
    assertThat(a.inTrial()).isTrue();
    assertThat(a.trials()).isEqualTo(1);
  }
}
