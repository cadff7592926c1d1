package dev.jinfer.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.cli.bench.ArrivalSchedule.Arrival;
import org.junit.jupiter.api.Test;

class ArrivalScheduleTest {
  @Test
  void fixed_sendsEveryOneOverRate_withoutDrift() {
    ArrivalSchedule s = new ArrivalSchedule(Arrival.FIXED, 3, 1);
    long[] offsets = new long[4];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = s.nextOffsetNanos();
    }
    assertThat(offsets).containsExactly(0, 333_333_333, 666_666_667, 1_000_000_000);
    for (int i = 4; i < 3_000_000; i++) {
      s.nextOffsetNanos();
    }
    // request 3,000,000 is due at exactly 1,000,000 s: no accumulated rounding
    assertThat(s.nextOffsetNanos()).isEqualTo(1_000_000L * 1_000_000_000L);
  }

  @Test
  void poisson_hasTheRequestedMeanGap_andExponentialSpread() {
    int n = 200_000;
    ArrivalSchedule s = new ArrivalSchedule(Arrival.POISSON, 1000, 7);
    long previous = s.nextOffsetNanos();
    assertThat(previous).isZero();
    double sum = 0;
    double sumSq = 0;
    for (int i = 0; i < n; i++) {
      long next = s.nextOffsetNanos();
      assertThat(next).isGreaterThanOrEqualTo(previous);
      double gap = (next - previous) / 1e6;
      sum += gap;
      sumSq += gap * gap;
      previous = next;
    }
    double mean = sum / n;
    double sd = Math.sqrt(sumSq / n - mean * mean);
    assertThat(mean).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.01));
    // an exponential distribution's standard deviation equals its mean (coefficient of variation 1)
    assertThat(sd / mean).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.02));
  }

  @Test
  void poisson_isRepeatableWithTheSameSeed_andDiffersWithAnother() {
    ArrivalSchedule a = new ArrivalSchedule(Arrival.POISSON, 500, 42);
    ArrivalSchedule b = new ArrivalSchedule(Arrival.POISSON, 500, 42);
    ArrivalSchedule c = new ArrivalSchedule(Arrival.POISSON, 500, 43);
    boolean differs = false;
    for (int i = 0; i < 100; i++) {
      long x = a.nextOffsetNanos();
      assertThat(b.nextOffsetNanos()).isEqualTo(x);
      differs |= c.nextOffsetNanos() != x;
    }
    assertThat(differs).isTrue();
  }

  @Test
  void rejectsRatesThatCannotBeScheduled() {
    for (double r : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> new ArrivalSchedule(Arrival.FIXED, r, 1)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("rate must be positive and finite but was " + r);
    }
  }
}
