package dev.jinfer.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.cli.JinferCli;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoadLevelsAndDurationsTest {
  @Test
  void durations_parseEveryUnit_andFractions() {
    assertThat(Durations.parse("500us")).isEqualTo(Duration.ofNanos(500_000));
    assertThat(Durations.parse("200ms")).isEqualTo(Duration.ofMillis(200));
    assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.parse(" 1m ")).isEqualTo(Duration.ofMinutes(1));
    assertThat(Durations.parse("0ms")).isEqualTo(Duration.ZERO);
  }

  @ParameterizedTest
  @ValueSource(strings = {"2", "-1s", "1h", "ms", "1.s", "abc", ""})
  void durations_rejectMissingUnitsAndGarbage_namingTheText(String text) {
    assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a duration with a unit").hasMessageContaining("'" + text + "'");
  }

  @Test
  void durations_formatInTheLargestWholeUnit() {
    assertThat(Durations.format(Duration.ofMinutes(2))).isEqualTo("2m");
    assertThat(Durations.format(Duration.ofSeconds(3))).isEqualTo("3s");
    assertThat(Durations.format(Duration.ofMillis(250))).isEqualTo("250ms");
    assertThat(Durations.format(Duration.ofNanos(1_500_000))).isEqualTo("1.500ms");
  }

  @Test
  void concurrency_readsListsInOrder_andDoublingRangesWithTheirEnd() {
    assertThat(LoadLevels.concurrency("1,2,4,8")).containsExactly(1, 2, 4, 8);
    assertThat(LoadLevels.concurrency("3, 1")).containsExactly(3, 1);
    assertThat(LoadLevels.concurrency("1..64")).containsExactly(1, 2, 4, 8, 16, 32, 64);
    assertThat(LoadLevels.concurrency("3..20")).containsExactly(3, 6, 12, 20);
    assertThat(LoadLevels.concurrency("5..5")).containsExactly(5);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "1,,2", "a", "8..4", "1..", "5000", "-1"})
  void concurrency_rejectsBadLevels_asUsageErrors(String text) {
    assertThatThrownBy(() -> LoadLevels.concurrency(text)).isInstanceOf(BenchException.class)
        .hasMessageStartingWith("--concurrency: expected")
        .satisfies(e -> assertThat(((BenchException) e).exitCode()).isEqualTo(JinferCli.EXIT_USAGE));
  }

  @Test
  void rates_readPositiveFiniteNumbers() {
    assertThat(LoadLevels.rates("500")).containsExactly(500.0);
    assertThat(LoadLevels.rates("0.5, 100,2e3")).containsExactly(0.5, 100.0, 2000.0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-5", "NaN", "Infinity", "fast", "100,"})
  void rates_rejectImpossibleRates(String text) {
    assertThatThrownBy(() -> LoadLevels.rates(text)).isInstanceOf(BenchException.class).hasMessageStartingWith("--rate: ");
  }

  @Test
  void rates_rejectRatesBeyondWhatTheSenderCanSchedule() {
    assertThatThrownBy(() -> LoadLevels.rates("1e7")).isInstanceOf(BenchException.class)
        .hasMessageContaining("beyond what the sender can schedule").hasMessageContaining("at most 100000/s");
  }
}
