package dev.jinfer.cli.bench;

import java.io.IOException;
import java.math.BigDecimal;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The run as CSV (RFC 4180, a header row then one row per level; latencies in milliseconds, empty cells
 * for figures that do not apply), for spreadsheets and plotting scripts. Stateless.
 */
final class CsvReport {
  /** The columns, in order. */
  static final List<String> HEADER = List.of("mode", "concurrency", "rate", "rows_per_request", "requests", "seconds",
      "throughput", "rows_per_second", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms", "errors",
      "errors_by_type", "slo_ms", "within_slo", "goodput", "cache_hit_ratio", "requests_per_batch", "sent_rate",
      "max_send_lag_ms", "stable", "windows");

  private CsvReport() {}

  /**
   * The report as CSV text.
   *
   * @param report the run
   * @return the text, lines ending in CRLF
   */
  static String toCsv(BenchReport report) {
    StringBuilder b = new StringBuilder(String.join(",", HEADER)).append("\r\n");
    for (LevelResult l : report.levels()) {
      LevelResult.OpenLoopStats open = l.openLoop();
      List<String> cells = List.of(
          l.isOpenLoop() ? "open" : "closed",
          l.isOpenLoop() ? "" : Integer.toString(l.concurrency()),
          l.isOpenLoop() ? number(l.rate()) : "",
          Integer.toString(l.rowsPerRequest()),
          Long.toString(l.requests()),
          number(l.seconds()),
          number(l.throughput()),
          number(l.rowsPerSecond()),
          number(Units.millis(l.percentileNanos(50))),
          number(Units.millis(l.percentileNanos(90))),
          number(Units.millis(l.percentileNanos(95))),
          number(Units.millis(l.percentileNanos(99))),
          number(Units.millis(l.percentileNanos(99.9))),
          number(Units.millis(l.maxNanos())),
          number(Units.millis(Math.round(l.meanNanos()))),
          Long.toString(l.errorCount()),
          quote(TableReport.errorsText(l.errors())),
          l.sloNanos() > 0 ? number(Units.millis(l.sloNanos())) : "",
          l.sloNanos() > 0 ? number(l.withinSloShare()) : "",
          l.sloNanos() > 0 ? number(l.goodput()) : "",
          Double.isNaN(l.cacheHitRatio()) ? "" : number(l.cacheHitRatio()),
          Double.isNaN(l.meanBatchRequests()) ? "" : number(l.meanBatchRequests()),
          open == null ? "" : number(open.sentRate()),
          open == null ? "" : number(Units.millis(open.maxSendLagNanos())),
          Boolean.toString(l.stable()),
          Integer.toString(l.reportedWindows()));
      b.append(String.join(",", cells)).append("\r\n");
    }
    return b.toString();
  }

  /**
   * Writes the CSV to a file.
   *
   * @param report the run
   * @param file the file, replaced if it exists
   * @throws UncheckedIOException naming the file if it cannot be written
   */
  static void write(BenchReport report, Path file) {
    try {
      Files.writeString(file, toCsv(report), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("--csv '" + file + "': expected to write the report but " + e, e);
    }
  }

  private static String number(double v) {
    if (!Double.isFinite(v)) {
      return "";
    }
    return BigDecimal.valueOf(Units.round(v, 4)).stripTrailingZeros().toPlainString();
  }

  private static String quote(String s) {
    if (s.isEmpty()) {
      return "";
    }
    return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
