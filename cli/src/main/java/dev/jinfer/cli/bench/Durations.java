package dev.jinfer.cli.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations written with a unit: {@code 500us}, {@code 200ms}, {@code 2s}, {@code 1.5s}, {@code 1m}. Stateless. */
final class Durations {
  private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(us|ms|s|m)");

  private Durations() {}

  /**
   * Parses a duration with a unit.
   *
   * @param text e.g. {@code 200ms}
   * @return the duration, rounded to the nanosecond
   * @throws IllegalArgumentException if the text is not a non-negative number followed by us, ms, s or m
   */
  static Duration parse(String text) {
    Matcher m = FORMAT.matcher(text.strip().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a duration with a unit (us, ms, s or m), e.g. 200ms or 2s, but got '"
          + text + "'");
    }
    double value = Double.parseDouble(m.group(1));
    double unitNanos = switch (m.group(2)) {
      case "us" -> 1e3;
      case "ms" -> 1e6;
      case "s" -> 1e9;
      default -> 60e9;
    };
    double nanos = value * unitNanos;
    if (nanos > Long.MAX_VALUE / 2.0) {
      throw new IllegalArgumentException("expected a duration below 100 years but got '" + text + "'");
    }
    return Duration.ofNanos(Math.round(nanos));
  }

  /** Formats a duration the way {@link #parse} reads it, in the largest unit that keeps it whole. */
  static String format(Duration d) {
    long nanos = d.toNanos();
    if (nanos % 60_000_000_000L == 0 && nanos > 0) {
      return nanos / 60_000_000_000L + "m";
    }
    if (nanos % 1_000_000_000L == 0 && nanos > 0) {
      return nanos / 1_000_000_000L + "s";
    }
    if (nanos % 1_000_000L == 0) {
      return nanos / 1_000_000L + "ms";
    }
    return String.format(Locale.ROOT, "%.3fms", nanos / 1e6);
  }

  /** Picocli's hook for {@link #parse}. Stateless. */
  static final class Converter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
