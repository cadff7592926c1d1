package dev.jinfer.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.ModelId;
import dev.jinfer.breaker.CircuitBreaker;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The Redis tier's default timeout and breaker, replayed on a fake clock: a busy host's read latencies must
 * not turn the tier off, a Redis that times out must. Reads are fed to the breaker as {@link RedisStore}
 * feeds them: a read slower than the timeout is a timeout error after exactly the timeout.
 */
class RedisTierDefaultsTest {
  private static final ModelId MODEL = new ModelId("fraud", "1");
  private static final Duration TIMEOUT = RedisTier.Builder.DEFAULT_TIMEOUT;

  private final AtomicLong now = new AtomicLong();
  private final CircuitBreaker breaker = RedisTier.defaultBreaker(MODEL, now::get, TIMEOUT);

  /** One read of the given latency; returns whether the breaker let it through. */
  private boolean read(long latencyNanos) {
    if (!breaker.tryAcquirePermission()) {
      return false;
    }
    long timeout = TIMEOUT.toNanos();
    if (latencyNanos >= timeout) {
      now.addAndGet(timeout);
      breaker.onError(timeout, new TimeoutException("redis read"));
    } else {
      now.addAndGet(latencyNanos);
      breaker.onSuccess(latencyNanos);
    }
    return true;
  }

  @Test
  void defaultBreaker_staysClosedOnABusyHostsLatencies() {
    Random random = new Random(14);
    for (int i = 0; i < 10_000; i++) {
      double p = random.nextDouble();
      long latency;
      if (p < 0.72) {
        latency = 200_000 + random.nextInt(800_000); // 0.2-1 ms: scheduled at once
      } else if (p < 0.97) {
        latency = 6_000_000 + random.nextInt(14_000_000); // 6-20 ms: waited for a slice or two
      } else {
        latency = 40_000_000; // past the timeout
      }
      assertThat(read(latency)).as("read %d let through", i).isTrue();
    }
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void defaultBreaker_opensWhenRedisTimesOut_afterTheMinimumNumberOfCalls() {
    int through = 0;
    while (read(Duration.ofSeconds(1).toNanos())) {
      through++;
    }
    assertThat(through).isEqualTo(RedisTier.DEFAULT_BREAKER_MINIMUM_CALLS);
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
  }

  @Test
  void defaults_areATimeoutOfAFewSchedulerSlices_andAWideWindow() {
    assertThat(TIMEOUT).isEqualTo(Duration.ofMillis(25));
    assertThat(RedisTier.DEFAULT_BREAKER_WINDOW).isEqualTo(100);
    assertThat(RedisTier.DEFAULT_BREAKER_MINIMUM_CALLS).isEqualTo(50);
  }
}
