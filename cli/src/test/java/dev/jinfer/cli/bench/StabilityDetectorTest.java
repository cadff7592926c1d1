package dev.jinfer.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StabilityDetectorTest {
  @Test
  void stable_onlyOnceEnoughWindowsAgree() {
    StabilityDetector d = new StabilityDetector(3, 0.10);
    d.add(1000, 2.0);
    assertThat(d.isStable()).isFalse();
    d.add(1050, 2.1);
    assertThat(d.isStable()).isFalse();
    d.add(980, 1.95);
    assertThat(d.isStable()).isTrue();
    assertThat(d.count()).isEqualTo(3);
  }

  @Test
  void unstable_whenThroughputStraysBeyondTheTolerance() {
    StabilityDetector d = new StabilityDetector(3, 0.10);
    d.add(1000, 2.0);
    d.add(1000, 2.0);
    d.add(1400, 2.0); // mean 1133: 1400 is 23.5% above
    assertThat(d.isStable()).isFalse();
  }

  @Test
  void unstable_whenP99StraysEvenIfThroughputAgrees() {
    StabilityDetector d = new StabilityDetector(3, 0.10);
    d.add(1000, 2.0);
    d.add(1000, 2.0);
    d.add(1000, 3.0);
    assertThat(d.isStable()).isFalse();
  }

  @Test
  void onlyTheTrailingWindowsCount_soAWarmingStartIsForgotten() {
    StabilityDetector d = new StabilityDetector(3, 0.10);
    d.add(100, 50.0);
    d.add(900, 2.4);
    d.add(1000, 2.0);
    d.add(1010, 2.05);
    assertThat(d.isStable()).isFalse();
    d.add(995, 2.02);
    assertThat(d.isStable()).isTrue();
  }

  @Test
  void boundary_exactlyAtTheToleranceIsStable() {
    StabilityDetector d = new StabilityDetector(2, 0.10);
    d.add(90, 1.0);
    d.add(110, 1.0); // mean 100, both exactly 10% off
    assertThat(d.isStable()).isTrue();
  }

  @Test
  void zeroTolerance_needsIdenticalWindows() {
    StabilityDetector d = new StabilityDetector(2, 0);
    d.add(100, 1.0);
    d.add(100.5, 1.0);
    assertThat(d.isStable()).isFalse();
    d.add(100.5, 1.0);
    assertThat(d.isStable()).isTrue();
  }

  @Test
  void rejectsNonsenseSettings() {
    assertThatThrownBy(() -> new StabilityDetector(0, 0.1)).hasMessageContaining("windows must be >= 1 but was 0");
    assertThatThrownBy(() -> new StabilityDetector(3, -0.1)).hasMessageContaining("tolerance must be >= 0");
    assertThatThrownBy(() -> new StabilityDetector(3, Double.NaN)).hasMessageContaining("tolerance must be >= 0");
  }

  @Test
  void windowsWithoutASuccessfulRequest_areNeverStable() {
    StabilityDetector d = new StabilityDetector(3, 0.10);
    d.add(0, 0);
    d.add(0, 0);
    d.add(0, 0);
    assertThat(d.isStable()).isFalse();
    d.add(10, 1.0);
    d.add(10, 1.0);
    d.add(10, 1.0);
    assertThat(d.isStable()).isTrue();
  }
}
