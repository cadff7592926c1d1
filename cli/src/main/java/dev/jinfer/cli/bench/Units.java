package dev.jinfer.cli.bench;

import java.util.Locale;

/** How the reports write numbers: milliseconds from nanoseconds, rates without needless decimals. Stateless. */
final class Units {
  private Units() {}

  /** Nanoseconds as milliseconds, rounded to 0.1 microsecond. */
  static double millis(long nanos) {
    return Math.round(nanos / 1e2) / 1e4;
  }

  /** Nanoseconds as milliseconds: three decimals, four below 10 us (a cache hit takes well under 1 us). */
  static String millisText(double nanos) {
    return String.format(Locale.ROOT, nanos > 0 && nanos < 10_000 ? "%.4f" : "%.3f", nanos / 1e6);
  }

  /** A rate or count: no decimals from 100 up, one below, and no trailing {@code .0}. */
  static String compact(double value) {
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    return String.format(Locale.ROOT, Math.abs(value) >= 100 ? "%.0f" : "%.1f", value);
  }

  /** A figure rounded to the given decimals (for JSON). */
  static double round(double value, int decimals) {
    if (!Double.isFinite(value)) {
      return value;
    }
    double scale = Math.pow(10, decimals);
    return Math.round(value * scale) / scale;
  }
}
