package dev.jinfer.cli.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The readable table the tool prints: one row per level, latencies in milliseconds, right-aligned columns,
 * followed by the errors by type and the warnings. Stateless.
 */
final class TableReport {
  private TableReport() {}

  /**
   * Writes the table.
   *
   * @param report the run
   * @param out where to write
   */
  static void write(BenchReport report, PrintWriter out) {
    out.println("Target   " + report.target());
    out.println("Mode     " + report.mode() + "  " + settingsLine(report.settings()));
    boolean slo = report.sloNanos() > 0;
    boolean cache = report.levels().stream().anyMatch(l -> !Double.isNaN(l.cacheHitRatio()));
    boolean batching = report.levels().stream().anyMatch(l -> !Double.isNaN(l.meanBatchRequests()));
    List<String> header = new ArrayList<>(List.of(report.openLoop() ? "rate/s" : "conc", "req/s", "rows/s",
        "p50 ms", "p90 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms", "errors"));
    if (slo) {
      header.add("goodput/s");
      header.add("in SLO");
    }
    if (report.openLoop()) {
      header.add("sent/s");
      header.add("max lag ms");
    }
    if (cache) {
      header.add("cache hit");
    }
    if (batching) {
      header.add("req/batch");
    }
    header.add("windows");
    List<List<String>> rows = new ArrayList<>();
    for (LevelResult l : report.levels()) {
      List<String> row = new ArrayList<>();
      row.add(l.isOpenLoop() ? Units.compact(l.rate()) : Integer.toString(l.concurrency()));
      row.add(Units.compact(l.throughput()));
      row.add(Units.compact(l.rowsPerSecond()));
      for (double p : new double[] {50, 90, 95, 99, 99.9}) {
        row.add(Units.millisText(l.percentileNanos(p)));
      }
      row.add(Units.millisText(l.maxNanos()));
      row.add(Long.toString(l.errorCount()));
      if (slo) {
        row.add(Units.compact(l.goodput()));
        row.add(String.format(Locale.ROOT, "%.1f%%", 100 * l.withinSloShare()));
      }
      LevelResult.OpenLoopStats open = l.openLoop();
      if (open != null) {
        row.add(Units.compact(open.sentRate()));
        row.add(Units.millisText(open.maxSendLagNanos()));
      }
      if (cache) {
        row.add(Double.isNaN(l.cacheHitRatio()) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * l.cacheHitRatio()));
      }
      if (batching) {
        row.add(Double.isNaN(l.meanBatchRequests()) ? "-" : String.format(Locale.ROOT, "%.1f", l.meanBatchRequests()));
      }
      row.add(l.reportedWindows() + "/" + l.windows().size() + (l.stable() ? " stable" : " UNSTABLE"));
      rows.add(row);
    }
    int[] width = new int[header.size()];
    for (int c = 0; c < width.length; c++) {
      width[c] = header.get(c).length();
      for (List<String> r : rows) {
        width[c] = Math.max(width[c], r.get(c).length());
      }
    }
    out.println(line(header, width));
    for (List<String> r : rows) {
      out.println(line(r, width));
    }
    for (LevelResult l : report.levels()) {
      if (!l.errors().isEmpty()) {
        out.println("Errors   " + l.label() + ": " + errorsText(l.errors()));
      }
    }
    if (slo) {
      out.println("SLO      " + Units.millisText(report.sloNanos()) + " ms: goodput = requests answered within it per second;"
          + " 'in SLO' = their share of all requests, failed ones included");
    }
    for (String w : report.warnings()) {
      out.println("WARNING  " + w);
    }
    out.flush();
  }

  static String errorsText(Map<String, Long> errors) {
    StringBuilder b = new StringBuilder();
    errors.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(" x").append(v));
    return b.toString();
  }

  private static String settingsLine(Map<String, Object> settings) {
    StringBuilder b = new StringBuilder();
    settings.forEach((k, v) -> {
      if (!(v instanceof Map)) {
        b.append(b.length() == 0 ? "" : "  ").append(k).append(' ').append(v);
      }
    });
    settings.forEach((k, v) -> {
      if (v instanceof Map<?, ?> m) {
        b.append("  ").append(k).append(' ').append(m.toString().replace(", ", ",").replace("{", "(").replace("}", ")"));
      }
    });
    return b.toString();
  }

  private static String line(List<String> cells, int[] width) {
    StringBuilder b = new StringBuilder();
    for (int c = 0; c < cells.size(); c++) {
      String s = cells.get(c);
      b.append(c == 0 ? "" : "  ").append(" ".repeat(width[c] - s.length())).append(s);
    }
    return b.toString();
  }
}
