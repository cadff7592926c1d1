package dev.jinfer.batching;

import dev.jinfer.ModelSignature;
import dev.jinfer.Predictor;
import dev.jinfer.Shape;
import dev.jinfer.TensorSpec;
import dev.jinfer.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import org.jspecify.annotations.Nullable;

/**
 * The settings of a batcher as {@link BatchingPredictor.Builder} collects them: each wither checks its
 * value, that the option is not set yet and that it does not conflict with another, and returns a new
 * config; the {@code resolved...} accessors apply the defaults. The public builder is a thin shell over
 * it. Immutable and thread-safe.
 *
 * @param delegate the predictor that runs the batches, checked batchable
 * @param maxBatchSize rows per engine call, or {@link #UNSET}
 * @param maxQueueDelay the batch window, or null for the default
 * @param maxQueueSize requests waiting, or {@link #UNSET}
 * @param workers batcher threads, or {@link #UNSET}
 * @param defaultTimeout the timeout of requests without a deadline, or null for none
 * @param latencyTarget the adaptive mode's target, or null for fixed limits
 * @param drainTimeout how long close() runs queued requests, or null for the default
 * @param isolateFailures whether failed batches are retried in halves, or null for the default (true)
 * @param meterRegistry where the meters go, or null for none
 * @param ticker the clock, or null for the system ticker
 * @param threadFactory makes the batcher threads, or null for named daemon threads
 * @param manual whether no thread is started ({@link BatchingPredictor#dispatchDue()} runs batches)
 */
record BatcherConfig(Predictor delegate, int maxBatchSize, @Nullable Duration maxQueueDelay, int maxQueueSize,
    int workers, @Nullable Duration defaultTimeout, @Nullable Duration latencyTarget, @Nullable Duration drainTimeout,
    @Nullable Boolean isolateFailures, @Nullable MeterRegistry meterRegistry, @Nullable Ticker ticker,
    @Nullable ThreadFactory threadFactory, boolean manual) {
  static final int UNSET = -1;
  static final int DEFAULT_MAX_BATCH_SIZE = 32;
  static final Duration DEFAULT_MAX_QUEUE_DELAY = Duration.ofMillis(2);
  static final int DEFAULT_MAX_QUEUE_SIZE = 10_000;
  static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Nothing set yet.
   *
   * @param delegate the predictor that runs the batches
   * @return the config
   * @throws NullPointerException if the delegate is null
   * @throws IllegalArgumentException if the delegate's model cannot be batched
   */
  static BatcherConfig of(Predictor delegate) {
    if (delegate == null) {
      throw new NullPointerException("delegate must not be null");
    }
    checkBatchable(delegate);
    return new BatcherConfig(delegate, UNSET, null, UNSET, UNSET, null, null, null, null, null, null, null, false);
  }

  BatcherConfig withMaxBatchSize(int rows) {
    requireUnset(maxBatchSize == UNSET, "maxBatchSize", maxBatchSize);
    if (rows < 1) {
      throw new IllegalArgumentException("maxBatchSize must be > 0 but was " + rows);
    }
    return new BatcherConfig(delegate, rows, maxQueueDelay, maxQueueSize, workers, defaultTimeout, latencyTarget,
        drainTimeout, isolateFailures, meterRegistry, ticker, threadFactory, manual);
  }

  BatcherConfig withMaxQueueDelay(@Nullable Duration delay) {
    requireUnset(maxQueueDelay == null, "maxQueueDelay", maxQueueDelay);
    if (latencyTarget != null) {
      throw new IllegalStateException("maxQueueDelay conflicts with latencyTarget: the adaptive mode never waits for company");
    }
    if (delay == null || delay.isNegative()) {
      throw new IllegalArgumentException("maxQueueDelay must be >= 0 but was " + delay);
    }
    return new BatcherConfig(delegate, maxBatchSize, delay, maxQueueSize, workers, defaultTimeout, latencyTarget,
        drainTimeout, isolateFailures, meterRegistry, ticker, threadFactory, manual);
  }

  BatcherConfig withMaxQueueSize(int requests) {
    requireUnset(maxQueueSize == UNSET, "maxQueueSize", maxQueueSize);
    if (requests < 1) {
      throw new IllegalArgumentException("maxQueueSize must be > 0 but was " + requests);
    }
    return new BatcherConfig(delegate, maxBatchSize, maxQueueDelay, requests, workers, defaultTimeout, latencyTarget,
        drainTimeout, isolateFailures, meterRegistry, ticker, threadFactory, manual);
  }

  BatcherConfig withWorkers(int threads) {
    requireUnset(workers == UNSET, "workers", workers);
    if (manual) {
      throw new IllegalStateException("workers conflicts with manualDispatch: a manual batcher has no threads");
    }
    if (threads < 1) {
      throw new IllegalArgumentException("workers must be > 0 but was " + threads);
    }
    return new BatcherConfig(delegate, maxBatchSize, maxQueueDelay, maxQueueSize, threads, defaultTimeout, latencyTarget,
        drainTimeout, isolateFailures, meterRegistry, ticker, threadFactory, manual);
  }

  BatcherConfig withDefaultTimeout(@Nullable Duration timeout) {
    requireUnset(defaultTimeout == null, "defaultTimeout", defaultTimeout);
    return new BatcherConfig(delegate, maxBatchSize, maxQueueDelay, maxQueueSize, workers,
        positive("defaultTimeout", timeout), latencyTarget, drainTimeout, isolateFailures, meterRegistry, ticker,
        threadFactory, manual);
  }

  BatcherConfig withLatencyTarget(@Nullable Duration target) {
    requireUnset(latencyTarget == null, "latencyTarget", latencyTarget);
    if (maxQueueDelay != null) {
      throw new IllegalStateException("latencyTarget conflicts with maxQueueDelay: the adaptive mode never waits for company");
    }
    return new BatcherConfig(delegate, maxBatchSize, maxQueueDelay, maxQueueSize, workers, defaultTimeout,
        positive("latencyTarget", target), drainTimeout, isolateFailures, meterRegistry, ticker, threadFactory, manual);
  }

  BatcherConfig withDrainTimeout(@Nullable Duration timeout) {
    requireUnset(drainTimeout == null, "drainTimeout", drainTimeout);
    if (timeout == null || timeout.isNegative()) {
      throw new IllegalArgumentException("drainTimeout must be >= 0 but was " + timeout);
    }
    return new BatcherConfig(delegate, maxBatchSize, maxQueueDelay, maxQueueSize, workers, defaultTimeout, latencyTarget,
        timeout, isolateFailures, meterRegistry, ticker, threadFactory, manual);
  }

  BatcherConfig withIsolateFailures(boolean isolate) {
    requireUnset(isolateFailures == null, "isolateFailures", isolateFailures);
    return new BatcherConfig(delegate, maxBatchSize, maxQueueDelay, maxQueueSize, workers, defaultTimeout, latencyTarget,
        drainTimeout, isolate, meterRegistry, ticker, threadFactory, manual);
  }

  BatcherConfig withMeterRegistry(@Nullable MeterRegistry registry) {
    requireUnset(meterRegistry == null, "meterRegistry", meterRegistry);
    if (registry == null) {
      throw new NullPointerException("meterRegistry must not be null");
    }
    return new BatcherConfig(delegate, maxBatchSize, maxQueueDelay, maxQueueSize, workers, defaultTimeout, latencyTarget,
        drainTimeout, isolateFailures, registry, ticker, threadFactory, manual);
  }

  BatcherConfig withTicker(@Nullable Ticker newTicker) {
    requireUnset(ticker == null, "ticker", ticker);
    if (newTicker == null) {
      throw new NullPointerException("ticker must not be null");
    }
    return new BatcherConfig(delegate, maxBatchSize, maxQueueDelay, maxQueueSize, workers, defaultTimeout, latencyTarget,
        drainTimeout, isolateFailures, meterRegistry, newTicker, threadFactory, manual);
  }

  BatcherConfig withThreadFactory(@Nullable ThreadFactory factory) {
    requireUnset(threadFactory == null, "threadFactory", threadFactory);
    if (manual) {
      throw new IllegalStateException("threadFactory conflicts with manualDispatch: a manual batcher has no threads");
    }
    if (factory == null) {
      throw new NullPointerException("threadFactory must not be null");
    }
    return new BatcherConfig(delegate, maxBatchSize, maxQueueDelay, maxQueueSize, workers, defaultTimeout, latencyTarget,
        drainTimeout, isolateFailures, meterRegistry, ticker, factory, manual);
  }

  BatcherConfig withManualDispatch() {
    requireUnset(!manual, "manualDispatch", true);
    if (workers != UNSET || threadFactory != null) {
      throw new IllegalStateException("manualDispatch conflicts with " + (workers != UNSET ? "workers" : "threadFactory")
          + ": a manual batcher has no threads");
    }
    return new BatcherConfig(delegate, maxBatchSize, maxQueueDelay, maxQueueSize, workers, defaultTimeout, latencyTarget,
        drainTimeout, isolateFailures, meterRegistry, ticker, threadFactory, true);
  }

  // ------------------------------------------------------------ with the defaults applied

  int resolvedMaxBatchSize() {
    return maxBatchSize == UNSET ? DEFAULT_MAX_BATCH_SIZE : maxBatchSize;
  }

  long resolvedMaxQueueDelayNanos() {
    return nanos(maxQueueDelay == null ? DEFAULT_MAX_QUEUE_DELAY : maxQueueDelay);
  }

  int resolvedMaxQueueSize() {
    return maxQueueSize == UNSET ? DEFAULT_MAX_QUEUE_SIZE : maxQueueSize;
  }

  /** The batcher threads; 1 by default, and in manual mode (where they are the dispatching callers). */
  int resolvedWorkers() {
    return workers == UNSET ? 1 : workers;
  }

  /** The default timeout in nanoseconds, 0 for none. */
  long defaultTimeoutNanos() {
    return defaultTimeout == null ? 0 : nanos(defaultTimeout);
  }

  /** The latency target in nanoseconds, 0 for fixed limits. */
  long latencyTargetNanos() {
    return latencyTarget == null ? 0 : nanos(latencyTarget);
  }

  long resolvedDrainTimeoutNanos() {
    return nanos(drainTimeout == null ? DEFAULT_DRAIN_TIMEOUT : drainTimeout);
  }

  boolean resolvedIsolateFailures() {
    return isolateFailures == null || isolateFailures;
  }

  Ticker resolvedTicker() {
    return ticker == null ? Ticker.system() : ticker;
  }

  /** The thread factory, or named daemon threads {@code jinfer-batcher-<model>-<n>}. */
  ThreadFactory resolvedThreadFactory() {
    if (threadFactory != null) {
      return threadFactory;
    }
    String prefix = "jinfer-batcher-" + delegate.modelId() + "-";
    int[] next = {0};
    return r -> {
      Thread t = new Thread(r, prefix + next[0]++);
      t.setDaemon(true);
      return t;
    };
  }

  static long nanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static void checkBatchable(Predictor delegate) {
    ModelSignature sig = delegate.signature();
    if (sig.inputs().isEmpty()) {
      throw new IllegalArgumentException("delegate: model " + delegate.modelId()
          + " cannot be batched: it has no input to count rows on");
    }
    List<TensorSpec> specs = new ArrayList<>(sig.inputs());
    specs.addAll(sig.outputs());
    for (TensorSpec spec : specs) {
      if (spec.shape().rank() == 0 || spec.shape().dim(0) != Shape.DYNAMIC) {
        String kind = sig.inputs().contains(spec) ? "input" : "output";
        throw new IllegalArgumentException("delegate: model " + delegate.modelId() + " cannot be batched: " + kind + " '"
            + spec.name() + "' is " + spec.dtype() + " " + spec.shape()
            + ", expected a dynamic first (batch) dimension such as [-1, ...]");
      }
    }
  }

  private static void requireUnset(boolean unset, String option, @Nullable Object current) {
    if (!unset) {
      throw new IllegalStateException(option + " was already set to " + current);
    }
  }

  private static Duration positive(String option, @Nullable Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(option + " must be > 0 but was " + d);
    }
    return d;
  }
}
