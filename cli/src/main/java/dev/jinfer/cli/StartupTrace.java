package dev.jinfer.cli;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Startup time marks for finding where a short command's time goes (issue 20): with the environment variable
 * {@code JINFER_STARTUP_TRACE} set, {@link #mark} records {@link System#nanoTime()} at each phase, and
 * {@link #print} writes them to standard error as milliseconds since the launcher (or the JVM) started, with the
 * time since the previous mark. Unset, {@link #mark} is one field read. The clocks are read to the millisecond.
 *
 * <p>Single-threaded use (the CLI's main thread); not thread-safe.
 */
final class StartupTrace {
  static final String ENV = "JINFER_STARTUP_TRACE";
  /** Set by {@code bin/jinfer} when tracing: the launcher's start, microseconds since the epoch. */
  static final String LAUNCH_ENV = "JINFER_LAUNCH_MICROS";

  private static final boolean ON = System.getenv(ENV) != null;
  private static final List<String> NAMES = ON ? new ArrayList<>() : List.of();
  private static final List<Long> NANOS = ON ? new ArrayList<>() : List.of();
  /** {@link System#currentTimeMillis()} and {@link System#nanoTime()} read together, to place the marks on the clock. */
  private static final long ANCHOR_MILLIS = ON ? System.currentTimeMillis() : 0;
  private static final long ANCHOR_NANOS = ON ? System.nanoTime() : 0;

  private StartupTrace() {}

  /** @return whether {@code JINFER_STARTUP_TRACE} is set */
  static boolean enabled() {
    return ON;
  }

  /**
   * Records a phase's end.
   *
   * @param phase what has just finished
   */
  static void mark(String phase) {
    if (ON) {
      NAMES.add(phase);
      NANOS.add(System.nanoTime());
    }
  }

  /**
   * Writes the marks, one line each: {@code startup: <ms since the origin> (+<ms since previous>) <phase>}. The
   * origin is the launcher's start when {@code bin/jinfer} passed it ({@code JINFER_LAUNCH_MICROS}, its bash
   * {@code EPOCHREALTIME}), and then the JVM's recorded start is printed as a phase too; otherwise the JVM's
   * recorded start ({@link java.lang.management.RuntimeMXBean#getStartTime()}), which HotSpot takes late in
   * its own creation, so the trace then misses some tens of milliseconds of JVM boot.
   *
   * @param to where
   */
  static void print(PrintStream to) {
    if (!ON) {
      return;
    }
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    double origin = jvmStart;
    String launch = System.getenv(LAUNCH_ENV);
    if (launch != null && launch.matches("[0-9]{10,20}")) {
      origin = Long.parseLong(launch) / 1e3;
      to.printf(Locale.ROOT, "startup: %8.1f ms                 launcher start%n", 0.0);
      to.printf(Locale.ROOT, "startup: %8.1f ms                 JVM start (as the runtime MXBean records it)%n",
          jvmStart - origin);
    } else {
      to.printf(Locale.ROOT, "startup: %8.1f ms                 JVM start (as the runtime MXBean records it)%n", 0.0);
    }
    double previous = 0;
    for (int i = 0; i < NAMES.size(); i++) {
      double at = ANCHOR_MILLIS - origin + (NANOS.get(i) - ANCHOR_NANOS) / 1e6;
      to.printf(Locale.ROOT, "startup: %8.1f ms  (+%7.1f ms)  %s%n", at, at - previous, NAMES.get(i));
      previous = at;
    }
  }
}
