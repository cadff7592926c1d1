package dev.jinfer.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.metrics.HistogramStatistics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HdrLatencyHistogramTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final HdrLatencyHistogram histogram = new HdrLatencyHistogram(30, TimeUnit.SECONDS, now::get);

  @Test
  void statistics_describeTheValues_withinHdrHistogramsPrecision() {
    for (int v = 1; v <= 10_000; v++) {
      histogram.update(v);
    }
    HistogramStatistics stats = histogram.getStatistics();
    assertThat(histogram.getCount()).isEqualTo(10_000);
    assertThat(stats.getMin()).isEqualTo(1);
    assertThat(stats.getMax()).isCloseTo(10_000, within(10L));
    assertThat(stats.getMean()).isCloseTo(5_000.5, within(5.0));
    assertThat(stats.getQuantile(0.5)).isCloseTo(5_000, within(5.0));
    assertThat(stats.getQuantile(0.99)).isCloseTo(9_900, within(10.0));
    assertThat(stats.getStdDev()).isCloseTo(2_886.9, within(5.0));
    long[] sample = stats.getValues();
    assertThat(sample).hasSize(stats.size()).hasSize(1024).isSorted();
    assertThat(sample[0]).isLessThan(10);
    assertThat(sample[1023]).isGreaterThan(9_990);
  }

  @Test
  void anEmptyHistogram_reportsZeros() {
    HistogramStatistics stats = histogram.getStatistics();
    assertThat(histogram.getCount()).isZero();
    assertThat(stats.size()).isZero();
    assertThat(stats.getValues()).isEmpty();
    assertThat(stats.getQuantile(0.99)).isZero();
    assertThat(stats.getMean()).isZero();
    assertThat(stats.getMax()).isZero();
    assertThat(stats.getMin()).isZero();
  }

  @Test
  void statistics_coverTheCurrentAndThePreviousWindow_whileTheCountCoversEverything() {
    histogram.update(100);
    assertThat(histogram.getStatistics().size()).isEqualTo(1);
    now.addAndGet(TimeUnit.SECONDS.toNanos(31)); // a new window: 100 is in the previous one
    histogram.update(200);
    HistogramStatistics stats = histogram.getStatistics();
    assertThat(stats.size()).isEqualTo(2);
    assertThat(stats.getMin()).isEqualTo(100);
    now.addAndGet(TimeUnit.SECONDS.toNanos(30)); // another: 100 falls out, 200 is in the previous window
    stats = histogram.getStatistics();
    assertThat(stats.size()).isEqualTo(1);
    assertThat(stats.getMin()).isEqualTo(200);
    now.addAndGet(TimeUnit.SECONDS.toNanos(120)); // no read for several windows: nothing recent
    assertThat(histogram.getStatistics().size()).isZero();
    assertThat(histogram.getCount()).isEqualTo(2);
  }

  @Test
  void repeatedReads_withinAWindow_seeTheSameValues() {
    histogram.update(5);
    histogram.update(7);
    assertThat(histogram.getStatistics().size()).isEqualTo(2);
    assertThat(histogram.getStatistics().size()).isEqualTo(2);
    histogram.update(9);
    assertThat(histogram.getStatistics().getMax()).isEqualTo(9);
    assertThat(histogram.getStatistics().size()).isEqualTo(3);
  }

  @Test
  void negativeValues_countAsZero() {
    histogram.update(-5);
    assertThat(histogram.getStatistics().getMin()).isZero();
  }

  @Test
  void updates_fromManyThreads_whileReading_areAllCounted() throws Exception {
    int threads = 8;
    int perThread = 50_000;
    CyclicBarrier start = new CyclicBarrier(threads + 1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int me = t;
        done.add(pool.submit(() -> {
          start.await(30, TimeUnit.SECONDS);
          for (int i = 0; i < perThread; i++) {
            histogram.update(me * 1_000L + i % 1_000);
          }
          return null;
        }));
      }
      start.await(30, TimeUnit.SECONDS);
      for (int i = 0; i < 100; i++) {
        histogram.getStatistics(); // a reporter reading meanwhile
      }
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(histogram.getCount()).isEqualTo((long) threads * perThread);
    HistogramStatistics stats = histogram.getStatistics();
    assertThat(stats.getMax()).isCloseTo(7_999, within(8L));
    assertThat(stats.getMean()).isCloseTo(3_999.5, within(10.0));
  }
}
