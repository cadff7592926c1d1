package dev.jinfer;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches latencies against a service-level target: it keeps the last {@code window} samples, and every
 * {@code checkEvery} samples computes their p95; when the p95 exceeds the SLA it logs a warning (at most
 * once per {@code minWarnInterval}) and tells an optional listener. A count-based window, not a
 * time-based one: it reacts as fast as traffic arrives and costs nothing when idle.
 *
 * <p>Thread-safe; {@link #record} takes a short lock (it is off the hot path unless an SLA is set).
 */
public final class LatencySlaWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(LatencySlaWatcher.class);

  /**
   * One observed breach.
   *
   * @param subject what is watched, e.g. {@code fraud:1}
   * @param p95Nanos the p95 over the window
   * @param slaNanos the target
   * @param samples how many samples the window held
   */
  public record Breach(String subject, long p95Nanos, long slaNanos, int samples) {}

  private final String subject;
  private final long slaNanos;
  private final long[] ring;
  private final int checkEvery;
  private final long minWarnIntervalNanos;
  private final Ticker ticker;
  private final Consumer<Breach> listener;

  private long recorded;
  private long lastWarn;
  private boolean warnedOnce;
  private long lastP95 = -1;

  private LatencySlaWatcher(Builder b) {
    this.subject = b.subject;
    this.slaNanos = b.sla.toNanos();
    this.ring = new long[b.window];
    this.checkEvery = b.checkEvery;
    this.minWarnIntervalNanos = b.minWarnInterval.toNanos();
    this.ticker = b.ticker;
    this.listener = b.listener;
  }

  /**
   * A builder.
   *
   * @param subject what is watched, used in the warning (e.g. the model id)
   * @param sla the p95 target, positive
   * @return a new builder
   */
  public static Builder newBuilder(String subject, Duration sla) {
    return new Builder(subject, sla);
  }

  /**
   * Adds one latency sample.
   *
   * @param nanos the latency
   */
  public void record(long nanos) {
    Breach breach = null;
    synchronized (this) {
      ring[(int) (recorded % ring.length)] = nanos;
      recorded++;
      if (recorded % checkEvery == 0) {
        int n = (int) Math.min(recorded, ring.length);
        long[] copy = Arrays.copyOf(ring, n);
        Arrays.sort(copy);
        lastP95 = copy[Math.max(0, (int) Math.ceil(n * 0.95) - 1)];
        long now = ticker.read();
        if (lastP95 > slaNanos && (!warnedOnce || now - lastWarn >= minWarnIntervalNanos)) {
          warnedOnce = true;
          lastWarn = now;
          breach = new Breach(subject, lastP95, slaNanos, n);
        }
      }
    }
    if (breach != null) {
      LOG.warn("{}: p95 latency {} us over the last {} calls exceeds the SLA of {} us", subject,
          breach.p95Nanos() / 1_000, breach.samples(), slaNanos / 1_000);
      listener.accept(breach);
    }
  }

  /** @return the p95 at the last check in nanoseconds, or -1 before the first check */
  public synchronized long lastP95Nanos() {
    return lastP95;
  }

  /** Builds a {@link LatencySlaWatcher}. Not thread-safe. */
  public static final class Builder {
    private final String subject;
    private final Duration sla;
    private int window = 1024;
    private int checkEvery = 128;
    private Duration minWarnInterval = Duration.ofMinutes(1);
    private Ticker ticker = Ticker.system();
    private Consumer<Breach> listener = b -> { };

    private Builder(String subject, Duration sla) {
      this.subject = Objects.requireNonNull(subject, "subject");
      if (sla == null || sla.isZero() || sla.isNegative()) {
        throw new IllegalArgumentException("sla must be > 0 but was " + sla);
      }
      this.sla = sla;
    }

    /**
     * Samples the p95 is computed over; default 1024.
     *
     * @param samples at least 20
     * @return this builder
     */
    public Builder window(int samples) {
      if (samples < 20) {
        throw new IllegalArgumentException("window must be >= 20 but was " + samples);
      }
      this.window = samples;
      return this;
    }

    /**
     * How often (in samples) the p95 is computed; default 128.
     *
     * @param samples at least 1
     * @return this builder
     */
    public Builder checkEvery(int samples) {
      if (samples < 1) {
        throw new IllegalArgumentException("checkEvery must be > 0 but was " + samples);
      }
      this.checkEvery = samples;
      return this;
    }

    /**
     * The least time between two warnings; default one minute.
     *
     * @param interval zero or more
     * @return this builder
     */
    public Builder minWarnInterval(Duration interval) {
      if (interval == null || interval.isNegative()) {
        throw new IllegalArgumentException("minWarnInterval must be >= 0 but was " + interval);
      }
      this.minWarnInterval = interval;
      return this;
    }

    /**
     * The clock for rate-limiting warnings.
     *
     * @param ticker the ticker
     * @return this builder
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Also told of each warning (e.g. to raise an alert).
     *
     * @param listener called outside the lock, on the recording thread
     * @return this builder
     */
    public Builder listener(Consumer<Breach> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** @return the watcher */
    public LatencySlaWatcher build() {
      return new LatencySlaWatcher(this);
    }
  }
}
