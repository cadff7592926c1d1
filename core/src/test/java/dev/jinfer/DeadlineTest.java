package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DeadlineTest {
  private final FakeTicker ticker = new FakeTicker();

  @Test
  void aDeadline_countsDownOnItsTicker_andExpiresExactlyAtItsTimeout() {
    Deadline d = Deadline.after(Duration.ofMillis(50), ticker);
    assertThat(d.remainingNanos()).isEqualTo(50_000_000L);
    assertThat(d.isExpired()).isFalse();
    ticker.advance(Duration.ofMillis(49));
    assertThat(d.remainingNanos()).isEqualTo(1_000_000L);
    ticker.advance(Duration.ofMillis(1));
    assertThat(d.isExpired()).isTrue();
    assertThat(d.timeout()).isEqualTo(Duration.ofMillis(50));
    assertThat(d.describeTimeout()).isEqualTo("50 ms");
    assertThat(d.ticker()).isSameAs(ticker);
  }

  @Test
  void zeroAndNegativeTimeouts_giveDeadlinesThatHaveAlreadyPassed() {
    assertThat(Deadline.after(Duration.ZERO, ticker).isExpired()).isTrue();
    assertThat(Deadline.after(Duration.ofMillis(-3), ticker).isExpired()).isTrue();
  }

  @Test
  void hugeTimeouts_areCapped_ratherThanOverflowingIntoThePast() {
    ticker.advance(Duration.ofDays(1));
    assertThat(Deadline.after(Duration.ofDays(365L * 1000), ticker).isExpired()).isFalse();
    assertThat(Deadline.after(Duration.ofNanos(Long.MAX_VALUE), ticker).remainingNanos()).isPositive();
    assertThat(Deadline.after(Duration.ofDays(-365L * 1000), ticker).isExpired()).isTrue();
  }

  @Test
  void nullArguments_areRejected_namingThem() {
    assertThatThrownBy(() -> Deadline.after(null)).isInstanceOf(NullPointerException.class).hasMessage("timeout");
    assertThatThrownBy(() -> Deadline.after(Duration.ZERO, null)).isInstanceOf(NullPointerException.class).hasMessage("ticker");
  }

  @Test
  void enforce_checksTheDeadlineBeforeAndAfter_aCallThatCannotStop() {
    AtomicInteger calls = new AtomicInteger();
    Duration[] callTakes = {Duration.ZERO};
    Predictor plain = new Predictor() {
      @Override
      public ModelId modelId() {
        return new ModelId("plain", "1");
      }

      @Override
      public ModelSignature signature() {
        return ScaleBackend.SIGNATURE;
      }

      @Override
      public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
        return Deadline.enforce(options.deadlineOrNull(), modelId(), () -> {
          calls.incrementAndGet();
          ticker.advance(callTakes[0]);
          return inputs;
        });
      }

      @Override
      public void close() {}
    };
    NamedTensors in = ScaleBackend.input(new float[] {1f, 2f});

    assertThatThrownBy(() -> plain.predict(in, List.of(), Deadline.after(Duration.ZERO, ticker)))
        .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("plain:1").hasMessageContaining("did not run");
    assertThat(calls).hasValue(0);

    assertThat(plain.predict(in, List.of(), Deadline.after(Duration.ofMillis(10), ticker))).isSameAs(in);

    callTakes[0] = Duration.ofMillis(20);
    assertThatThrownBy(() -> plain.predict(in, List.of(), Deadline.after(Duration.ofMillis(10), ticker)))
        .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("discarded");
    assertThat(calls).hasValue(2);
    assertThatThrownBy(() -> plain.predict(in, List.of(), (Deadline) null)).isInstanceOf(InvalidInputException.class);
  }
}
