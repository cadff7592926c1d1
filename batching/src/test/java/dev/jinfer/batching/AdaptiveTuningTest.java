package dev.jinfer.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The cost fit and the limits the adaptive mode derives from it. */
class AdaptiveTuningTest {
  private static final long US = 1_000;
  private static final long MS = 1_000_000;

  @Test
  void costModel_recoversFixedAndPerRowCost_fromVariedBatchSizes() {
    CostModel m = CostModel.empty();
    for (int i = 0; i < 200; i++) {
      int n = 1 + (i * 7) % 32;
      m = m.add(n, MS + 100 * US * n);
    }
    assertThat(m.fixedNanos()).isCloseTo(MS, within(0.02 * MS));
    assertThat(m.perRowNanos()).isCloseTo(100 * US, within(2.0 * US));
    assertThat(m.predict(10)).isCloseTo(2 * MS, within(40 * US));
  }

  @Test
  void costModel_fallsBackToProportional_whenEveryBatchHasOneSize() {
    CostModel m = CostModel.empty();
    for (int i = 0; i < 50; i++) {
      m = m.add(16, 2 * MS);
    }
    assertThat(m.fixedNanos()).isCloseTo(0, within(1.0));
    assertThat(m.perRowNanos()).isCloseTo(2.0 * MS / 16, within(1.0));
  }

  @Test
  void costModel_clampsANegativeSlopeToZero() {
    CostModel m = CostModel.empty().add(1, 3 * MS).add(32, MS).add(1, 3 * MS).add(32, MS);
    assertThat(m.perRowNanos()).isZero();
    assertThat(m.largestWithin(5 * MS, 64)).isEqualTo(64);
  }

  @Test
  void largestWithin_isOne_whenEvenOneRowIsOverBudget() {
    CostModel m = CostModel.empty();
    for (int i = 1; i <= 40; i++) {
      m = m.add(i, 10 * MS + MS * i);
    }
    assertThat(m.largestWithin(2 * MS, 64)).isEqualTo(1);
    assertThat(m.largestWithin(15.5 * MS, 64)).isEqualTo(5);
  }

  @Test
  void tuner_keepsTheConfiguredLimits_inFixedMode() {
    BatchTuner t = new BatchTuner(32, 2 * MS, 0);
    BatchTuner.Tuning s = t.initial();
    for (int i = 0; i < 10; i++) {
      s = t.observe(s, 8, 50 * MS);
    }
    assertThat(s.maxRows()).isEqualTo(32);
    assertThat(s.windowNanos()).isEqualTo(2 * MS);
    assertThat(s.cost().samples()).isEqualTo(10);
  }

  @Test
  void tuner_ignoresZeroRowBatches_whichSayNothingAboutThePerRowCost() {
    // issue 14: a batch of only zero-row requests is legal; fed to the cost model it divides by zero rows
    BatchTuner t = new BatchTuner(64, 3 * MS, 6 * MS);
    BatchTuner.Tuning s = t.initial();
    for (int i = 0; i < 300; i++) {
      int n = 1 + (i * 5) % 40;
      s = t.observe(s, n, MS + 100 * US * n);
    }
    BatchTuner.Tuning warm = s;
    for (int i = 0; i < 50; i++) {
      s = t.observe(s, 0, 40 * MS);
    }
    assertThat(s.cost().samples()).isEqualTo(warm.cost().samples());
    assertThat(s.maxRows()).isEqualTo(warm.maxRows());
    BatchTuner.Tuning cold = t.observe(t.initial(), 0, 40 * MS);
    assertThat(cold.cost().samples()).isZero();
    assertThat(Double.isFinite(t.observe(cold, 4, 2 * MS).cost().perRowNanos())).isTrue();
  }

  @Test
  void tuner_fitsTwoBatchesInTheTarget_greedily() {
    // cost(n) = 1 ms + 0.1 ms * n; target 6 ms -> 2 * cost(n) <= 6 ms -> n <= 20
    BatchTuner t = new BatchTuner(64, 3 * MS, 6 * MS);
    BatchTuner.Tuning s = t.initial();
    assertThat(s.maxRows()).as("maxBatchSize while warming up").isEqualTo(64);
    assertThat(s.windowNanos()).isZero();
    for (int i = 0; i < 300; i++) {
      int n = 1 + (i * 5) % 40;
      s = t.observe(s, n, MS + 100 * US * n);
    }
    assertThat(s.maxRows()).isBetween(19, 20);
    assertThat(s.windowNanos()).as("adaptive mode never waits for company").isZero();

    BatchTuner capped = new BatchTuner(8, 3 * MS, 6 * MS);
    BatchTuner.Tuning c = capped.initial();
    for (int i = 0; i < 300; i++) {
      int n = 1 + i % 8;
      c = capped.observe(c, n, MS + 100 * US * n);
    }
    assertThat(c.maxRows()).isEqualTo(8);
    assertThat(c.windowNanos()).isZero();
  }

  @Test
  void tuner_shrinksTheLimit_whenTheEngineSlowsDown() {
    BatchTuner t = new BatchTuner(64, 2 * MS, 10 * MS);
    BatchTuner.Tuning s = t.initial();
    for (int i = 0; i < 100; i++) {
      int n = 1 + i % 64;
      s = t.observe(s, n, 100 * US + 10 * US * n);
    }
    assertThat(s.maxRows()).isEqualTo(64);
    for (int i = 0; i < 200; i++) {
      int n = 1 + i % 64;
      s = t.observe(s, n, 100 * US + 200 * US * n);
    }
    assertThat(s.maxRows()).isBetween(23, 25);
  }
}
