package dev.jinfer.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.RunOptions;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops ONNX Runtime runs at their deadlines by setting their {@link RunOptions} terminate flag from one
 * process-wide timer thread, {@code jinfer-deadline-timer}: a daemon started on the first deadline and
 * ending after {@link #IDLE_SECONDS} seconds with nothing scheduled (started again when needed), so it
 * needs no owner to close it. Thread-safe.
 */
final class RunTerminator {
  private static final Logger LOG = LoggerFactory.getLogger(RunTerminator.class);
  /** How long the timer thread lives with nothing scheduled. */
  static final long IDLE_SECONDS = 10;

  private static final ScheduledThreadPoolExecutor TIMER = newTimer();

  private RunTerminator() {}

  private static ScheduledThreadPoolExecutor newTimer() {
    // no thread is started here: a ThreadPoolExecutor starts its first worker on the first schedule
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "jinfer-deadline-timer");
      t.setDaemon(true);
      return t;
    });
    timer.setKeepAliveTime(IDLE_SECONDS, TimeUnit.SECONDS);
    timer.allowCoreThreadTimeOut(true);
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  /**
   * Arms the terminate flag of one run.
   *
   * @param options the run's options, which the caller closes only after closing the returned handle
   * @param delayNanos when to stop the run, from now
   * @return the armed timer; close it as soon as the run has returned
   */
  static Armed arm(RunOptions options, long delayNanos) {
    Armed armed = new Armed(options);
    armed.task = TIMER.schedule(armed::fire, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    return armed;
  }

  /** One armed run; {@link #close()} disarms it and waits out a terminate in progress. */
  static final class Armed implements AutoCloseable {
    private final RunOptions options;
    private volatile ScheduledFuture<?> task;
    private boolean done; // guarded by this
    private boolean fired; // guarded by this

    private Armed(RunOptions options) {
      this.options = options;
    }

    private synchronized void fire() {
      if (done) {
        return; // the run returned (and its options may be closed): nothing to stop
      }
      try {
        options.setTerminate(true);
        fired = true;
      } catch (OrtException | RuntimeException e) {
        LOG.warn("could not stop an ONNX Runtime run at its deadline", e);
      }
    }

    /** @return whether the terminate flag was set, i.e. the run was told to stop */
    synchronized boolean fired() {
      return fired;
    }

    /** Disarms; after this returns, the timer never touches the run's options again. */
    @Override
    public synchronized void close() {
      done = true;
      ScheduledFuture<?> t = task;
      if (t != null) {
        t.cancel(false);
      }
    }
  }
}
