package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class LatencySlaWatcherTest {
  private static final long MS = 1_000_000L;

  private final FakeTicker ticker = new FakeTicker();
  private final List<LatencySlaWatcher.Breach> breaches = new CopyOnWriteArrayList<>();

  private LatencySlaWatcher watcher(Duration minWarnInterval) {
    return LatencySlaWatcher.newBuilder("fraud:1", Duration.ofMillis(2)).window(20).checkEvery(20)
        .minWarnInterval(minWarnInterval).ticker(ticker).listener(breaches::add).build();
  }

  private static void record(LatencySlaWatcher w, int count, long nanos) {
    for (int i = 0; i < count; i++) {
      w.record(nanos);
    }
  }

  @Test
  void noBreach_whileP95StaysBelowTheSla() {
    LatencySlaWatcher w = watcher(Duration.ofMinutes(1));
    assertThat(w.lastP95Nanos()).isEqualTo(-1);

    record(w, 19, 1 * MS);
    assertThat(w.lastP95Nanos()).as("no check before checkEvery samples").isEqualTo(-1);
    w.record(10 * MS); // one slow call in 20 is the p100, not the p95

    assertThat(w.lastP95Nanos()).isEqualTo(1 * MS);
    assertThat(breaches).isEmpty();
  }

  @Test
  void breach_isReported_withTheP95OfTheWindow() {
    LatencySlaWatcher w = watcher(Duration.ofMinutes(1));

    record(w, 18, 1 * MS);
    w.record(12 * MS);
    w.record(10 * MS); // nearest-rank p95 of 20 samples is the 19th smallest

    assertThat(breaches).containsExactly(new LatencySlaWatcher.Breach("fraud:1", 10 * MS, 2 * MS, 20));
    assertThat(w.lastP95Nanos()).isEqualTo(10 * MS);
  }

  @Test
  void breaches_areRateLimited_byMinWarnInterval() {
    LatencySlaWatcher w = watcher(Duration.ofMinutes(1));

    record(w, 20, 5 * MS);
    assertThat(breaches).hasSize(1);

    ticker.advance(Duration.ofSeconds(59));
    record(w, 20, 6 * MS);
    assertThat(breaches).as("within the interval").hasSize(1);
    assertThat(w.lastP95Nanos()).as("still measured").isEqualTo(6 * MS);

    ticker.advance(Duration.ofSeconds(1));
    record(w, 20, 7 * MS);
    assertThat(breaches).hasSize(2);
    assertThat(breaches.get(1).p95Nanos()).isEqualTo(7 * MS);
  }

  @Test
  void zeroMinWarnInterval_reportsEveryBreachingCheck() {
    LatencySlaWatcher w = watcher(Duration.ZERO);

    record(w, 60, 3 * MS);

    assertThat(breaches).hasSize(3);
  }

  @Test
  void window_forgetsOldSamples() {
    LatencySlaWatcher w = watcher(Duration.ZERO);

    record(w, 20, 9 * MS);
    record(w, 20, 1 * MS);

    assertThat(breaches).hasSize(1);
    assertThat(w.lastP95Nanos()).isEqualTo(1 * MS);
  }

  @Test
  void builder_validatesEachOption_namingIt() {
    assertThatThrownBy(() -> LatencySlaWatcher.newBuilder("m", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("sla must be > 0 but was PT0S");
    assertThatThrownBy(() -> LatencySlaWatcher.newBuilder("m", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("sla must be > 0 but was null");
    assertThatThrownBy(() -> LatencySlaWatcher.newBuilder(null, Duration.ofMillis(1)))
        .isInstanceOf(NullPointerException.class).hasMessage("subject");
    LatencySlaWatcher.Builder b = LatencySlaWatcher.newBuilder("m", Duration.ofMillis(1));
    assertThatThrownBy(() -> b.window(19))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("window must be >= 20 but was 19");
    assertThatThrownBy(() -> b.checkEvery(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("checkEvery must be > 0 but was 0");
    assertThatThrownBy(() -> b.minWarnInterval(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("minWarnInterval must be >= 0 but was PT-1S");
    assertThatThrownBy(() -> b.minWarnInterval(null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.ticker(null)).isInstanceOf(NullPointerException.class).hasMessage("ticker");
    assertThatThrownBy(() -> b.listener(null)).isInstanceOf(NullPointerException.class).hasMessage("listener");
  }
}
