package dev.jinfer.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.RunOptions;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops ONNX Runtime runs at their deadlines by setting the terminate flag of their {@link RunOptions} from one
 * process-wide watchdog thread, {@code jinfer-deadline-timer}.
 *
 * <p>A run borrows a {@link Guard} (its own {@code RunOptions}) from its session's {@link Guards}, arms it with its
 * deadline and disarms it when the run returns. Arming writes two volatile fields; the watchdog is woken only when it
 * sleeps with nothing armed or until a later instant than the new deadline. So a steady stream of calls with similar
 * timeouts costs no thread hand-off per call: the watchdog wakes about once per timeout, scans the guards and sleeps
 * until the earliest armed deadline. (A timer task per run, the earlier design, woke the timer thread on every call:
 * ~17 us a call on two vCPUs.)
 *
 * <p>The watchdog starts on the first armed run and ends after {@link #IDLE_SECONDS} seconds with nothing armed
 * (started again when needed), so it needs no owner to close it. Thread-safe.
 */
final class RunTerminator {
  private static final Logger LOG = LoggerFactory.getLogger(RunTerminator.class);
  /** How long the watchdog thread lives with nothing armed. */
  static final long IDLE_SECONDS = 10;
  /** The process-wide terminator every ONNX session uses. */
  static final RunTerminator SHARED = new RunTerminator(TimeUnit.SECONDS.toNanos(IDLE_SECONDS));

  private final long idleNanos;

  /** Every guard that may be armed: those of the sessions' pools and those in use. */
  private final CopyOnWriteArrayList<Guard> guards = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private @Nullable Thread watchdog; // guarded by lock
  /** True while the watchdog scans, or sleeps with nothing armed: an arm must wake it. */
  private volatile boolean idle = true;
  /** When the watchdog wakes next ({@link System#nanoTime()}), valid while {@link #idle} is false. */
  private volatile long wakeAt;

  /** @param idleNanos how long the watchdog thread lives with nothing armed */
  RunTerminator(long idleNanos) {
    this.idleNanos = idleNanos;
  }

  /** @return the guards that may be armed (tests) */
  int guardCount() {
    return guards.size();
  }

  /** @return whether the watchdog thread is running (tests) */
  boolean watchdogRunning() {
    synchronized (lock) {
      return watchdog != null;
    }
  }

  private void armed(long deadline) {
    // Dekker with the watchdog: it sets idle before reading the guards, an arm sets armed before reading idle
    if (idle || deadline - wakeAt < 0) {
      synchronized (lock) {
        Thread t = watchdog;
        if (t == null) {
          t = new Thread(this::watch, "jinfer-deadline-timer");
          t.setDaemon(true);
          watchdog = t;
          t.start();
        } else {
          LockSupport.unpark(t);
        }
      }
    }
  }

  private void watch() {
    long idleSince = System.nanoTime();
    while (true) {
      idle = true;
      long now = System.nanoTime();
      boolean any = false;
      long next = 0;
      for (Guard g : guards) {
        if (!g.armed) {
          continue;
        }
        long d = g.deadline;
        if (d - now <= 0) {
          g.fire(now);
        } else if (!any || d - next < 0) {
          next = d;
          any = true;
        }
      }
      if (any) {
        wakeAt = next;
        idle = false;
        LockSupport.parkNanos(this, next - System.nanoTime());
        idleSince = System.nanoTime();
        continue;
      }
      long idleFor = System.nanoTime() - idleSince;
      if (idleFor >= idleNanos) {
        synchronized (lock) {
          if (guards.stream().noneMatch(g -> g.armed)) {
            watchdog = null; // idle stays true: the next arm starts a new watchdog
            return;
          }
        }
        continue;
      }
      LockSupport.parkNanos(this, idleNanos - idleFor);
    }
  }

  /**
   * The reusable {@link RunOptions} of one run at a time, armable with a deadline. A guard whose flag was set is not
   * reused: {@link Guards#release} closes it.
   */
  final class Guard {
    private final RunOptions options;
    private volatile long deadline;
    private volatile boolean armed;
    private boolean fired; // guarded by this

    private Guard(RunOptions options) {
      this.options = options;
    }

    /** @return the options to run with */
    RunOptions options() {
      return options;
    }

    /**
     * Arms the guard for one run.
     *
     * @param delayNanos when to stop the run, from now; zero or negative stops it at once
     */
    void arm(long delayNanos) {
      long d = System.nanoTime() + Math.max(0, delayNanos);
      deadline = d;
      armed = true;
      armed(d);
    }

    /**
     * Disarms the guard; after this returns the watchdog never touches its options again for this run.
     *
     * @return whether the terminate flag was set, i.e. the run was told to stop
     */
    synchronized boolean disarm() {
      armed = false;
      return fired;
    }

    private synchronized void fire(long now) {
      if (!armed || fired || deadline - now > 0) {
        return; // the run returned, or the guard was re-armed by a later run, meanwhile
      }
      try {
        options.setTerminate(true);
        fired = true;
      } catch (OrtException | RuntimeException e) {
        LOG.warn("could not stop an ONNX Runtime run at its deadline", e);
      }
    }

    /** @return whether the watchdog set the terminate flag during this guard's current or last run */
    synchronized boolean fired() {
      return fired;
    }
  }

  /**
   * One session's idle guards: {@link #acquire()} reuses one or makes one, {@link #release} returns it. Up to
   * {@code capacity} idle guards are kept; beyond that (more concurrent runs with deadlines) they are closed.
   * Thread-safe; {@link #close()} only once no run is in flight.
   */
  final class Guards implements AutoCloseable {
    private final ArrayBlockingQueue<Guard> idleGuards;

    /** @param capacity how many idle guards to keep */
    Guards(int capacity) {
      this.idleGuards = new ArrayBlockingQueue<>(capacity);
    }

    /**
     * @return a disarmed guard with its terminate flag unset
     * @throws OrtException if ONNX Runtime cannot make new run options
     */
    Guard acquire() throws OrtException {
      Guard g = idleGuards.poll();
      if (g != null) {
        return g;
      }
      g = new Guard(new RunOptions());
      guards.add(g);
      return g;
    }

    /** @param g a guard from {@link #acquire()}, disarmed */
    void release(Guard g) {
      if (g.fired() || !idleGuards.offer(g)) {
        discard(g);
      }
    }

    /** @return the idle guards kept (tests) */
    int idleCount() {
      return idleGuards.size();
    }

    private void discard(Guard g) {
      guards.remove(g);
      g.options.close();
    }

    @Override
    public void close() {
      Guard g;
      while ((g = idleGuards.poll()) != null) {
        discard(g);
      }
    }
  }
}
