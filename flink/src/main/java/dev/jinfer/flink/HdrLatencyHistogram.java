package dev.jinfer.flink;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.flink.metrics.HistogramStatistics;

/**
 * A Flink {@link org.apache.flink.metrics.Histogram} over HdrHistogram (3 significant digits, any positive
 * range), for latencies recorded from many threads at once: {@link #update} is wait-free (an HdrHistogram
 * {@link Recorder}) and allocation-free.
 *
 * <p>{@link #getCount()} counts every value since creation; {@link #getStatistics()} describes the recent ones:
 * the values of the current window and the one before it, windows being {@code window} long (so the statistics
 * cover between one and two windows, however often a reporter reads them). {@link HistogramStatistics#getValues()}
 * is a sample: the values at {@code size()} evenly spread quantiles (at most 1,024), not one per event.
 *
 * <p>Thread-safe.
 */
final class HdrLatencyHistogram implements org.apache.flink.metrics.Histogram {
  private static final int DIGITS = 3;
  private static final int MAX_SAMPLE = 1024;

  private final Recorder recorder = new Recorder(DIGITS);
  private final LongAdder count = new LongAdder();
  private final LongSupplier nanoTime;
  private final long windowNanos;
  // guarded by this
  private Histogram previous = new Histogram(DIGITS);
  private Histogram current = new Histogram(DIGITS);
  private Histogram interval;
  private long currentStart;

  /**
   * @param window how long one window is
   * @param windowUnit its unit
   * @param nanoTime the clock ({@code System::nanoTime}; tests pass a fake one)
   */
  HdrLatencyHistogram(long window, TimeUnit windowUnit, LongSupplier nanoTime) {
    if (window <= 0) {
      throw new IllegalArgumentException("window must be > 0 but was " + window);
    }
    this.windowNanos = windowUnit.toNanos(window);
    this.nanoTime = nanoTime;
    this.currentStart = nanoTime.getAsLong();
    this.interval = recorder.getIntervalHistogram();
  }

  /** @return a histogram whose statistics cover the last 30 to 60 seconds */
  static HdrLatencyHistogram lastMinute() {
    return new HdrLatencyHistogram(30, TimeUnit.SECONDS, System::nanoTime);
  }

  /**
   * Records a value; negative values count as 0.
   *
   * @param value the value (e.g. microseconds)
   */
  @Override
  public void update(long value) {
    recorder.recordValue(Math.max(0, value));
    count.increment();
  }

  /** @return how many values were recorded since creation */
  @Override
  public long getCount() {
    return count.sum();
  }

  /** @return the statistics of the values of the current and the previous window (a snapshot) */
  @Override
  public synchronized HistogramStatistics getStatistics() {
    interval = recorder.getIntervalHistogram(interval);
    long now = nanoTime.getAsLong();
    if (now - currentStart >= windowNanos) {
      Histogram done = current;
      current = previous;
      current.reset();
      previous = done;
      // whole windows skipped without a read leave the previous one empty
      if (now - currentStart >= 2 * windowNanos) {
        previous.reset();
      }
      currentStart = now - (now - currentStart) % windowNanos;
    }
    current.add(interval);
    Histogram both = previous.copy();
    both.add(current);
    return new Statistics(both);
  }

  /** An immutable view of one merged histogram. */
  private static final class Statistics extends HistogramStatistics {
    private final Histogram histogram;

    Statistics(Histogram histogram) {
      this.histogram = histogram;
    }

    @Override
    public double getQuantile(double quantile) {
      return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(quantile * 100);
    }

    @Override
    public long[] getValues() {
      int n = size();
      long[] values = new long[n];
      for (int i = 0; i < n; i++) {
        values[i] = histogram.getValueAtPercentile((i + 0.5) * 100.0 / n);
      }
      return values;
    }

    @Override
    public int size() {
      return (int) Math.min(MAX_SAMPLE, histogram.getTotalCount());
    }

    @Override
    public double getMean() {
      return histogram.getTotalCount() == 0 ? 0 : histogram.getMean();
    }

    @Override
    public double getStdDev() {
      return histogram.getTotalCount() == 0 ? 0 : histogram.getStdDeviation();
    }

    @Override
    public long getMax() {
      return histogram.getTotalCount() == 0 ? 0 : histogram.getMaxValue();
    }

    @Override
    public long getMin() {
      return histogram.getTotalCount() == 0 ? 0 : histogram.getMinValue();
    }
  }
}
