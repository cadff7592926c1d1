package dev.jinfer.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The run as JSON: {@code target}, {@code mode}, {@code settings} and one object per level under
 * {@code levels} (see the cli README for the fields). Latencies are in milliseconds, rates per second. A
 * figure that does not apply (goodput without an SLO, the cache hit ratio without a cache) is absent.
 * Stateless.
 */
final class JsonReport {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private JsonReport() {}

  /**
   * The report as a JSON tree.
   *
   * @param report the run
   * @return the tree
   */
  static ObjectNode toJson(BenchReport report) {
    ObjectNode root = JSON.createObjectNode();
    root.put("tool", "jinfer bench");
    root.put("target", report.target());
    root.put("mode", report.mode());
    root.set("settings", JSON.valueToTree(report.settings()));
    ArrayNode levels = root.putArray("levels");
    for (LevelResult l : report.levels()) {
      ObjectNode n = levels.addObject();
      if (l.isOpenLoop()) {
        n.put("rate", l.rate());
      } else {
        n.put("concurrency", l.concurrency());
      }
      n.put("requests", l.requests());
      n.put("rows", l.requests() * l.rowsPerRequest());
      n.put("seconds", Units.round(l.seconds(), 3));
      n.put("throughput", Units.round(l.throughput(), 2));
      n.put("rowsPerSecond", Units.round(l.rowsPerSecond(), 2));
      ObjectNode lat = n.putObject("latencyMs");
      lat.put("p50", Units.millis(l.percentileNanos(50)));
      lat.put("p90", Units.millis(l.percentileNanos(90)));
      lat.put("p95", Units.millis(l.percentileNanos(95)));
      lat.put("p99", Units.millis(l.percentileNanos(99)));
      lat.put("p99.9", Units.millis(l.percentileNanos(99.9)));
      lat.put("max", Units.millis(l.maxNanos()));
      lat.put("mean", Units.millis(Math.round(l.meanNanos())));
      n.put("errors", l.errorCount());
      ObjectNode byType = n.putObject("errorsByType");
      l.errors().forEach(byType::put);
      if (l.sloNanos() > 0) {
        n.put("sloMs", Units.millis(l.sloNanos()));
        n.put("withinSlo", Units.round(l.withinSloShare(), 4));
        n.put("goodput", Units.round(l.goodput(), 2));
      }
      if (!Double.isNaN(l.cacheHitRatio())) {
        n.put("cacheHitRatio", Units.round(l.cacheHitRatio(), 4));
      }
      if (!Double.isNaN(l.meanBatchRequests())) {
        n.put("requestsPerBatch", Units.round(l.meanBatchRequests(), 2));
      }
      LevelResult.OpenLoopStats open = l.openLoop();
      if (open != null) {
        ObjectNode o = n.putObject("openLoop");
        o.put("requestedRate", l.rate());
        o.put("sentRate", Units.round(open.sentRate(), 2));
        o.put("maxSendLagMs", Units.millis(open.maxSendLagNanos()));
        o.put("behindMs", Units.millis(open.behindNanos()));
        o.put("behindSchedule", open.behindSchedule());
        o.put("overloaded", open.overloaded());
      }
      n.put("stable", l.stable());
      n.put("reportedWindows", l.reportedWindows());
      ArrayNode windows = n.putArray("windows");
      for (WindowResult w : l.windows()) {
        ObjectNode wn = windows.addObject();
        wn.put("seconds", Units.round(w.seconds(), 4));
        wn.put("requests", w.requests());
        wn.put("errors", w.errors());
        wn.put("throughput", Units.round(w.throughput(), 2));
        wn.put("p50Ms", Units.millis(w.p50Nanos()));
        wn.put("p99Ms", Units.millis(w.p99Nanos()));
        wn.put("maxMs", Units.millis(w.maxNanos()));
        if (l.isOpenLoop()) {
          wn.put("sent", w.sent());
          wn.put("maxSendLagMs", Units.millis(w.maxSendLagNanos()));
          wn.put("behindMs", Units.millis(w.behindNanos()));
        }
      }
      ObjectNode counters = n.putObject("counters");
      for (Map.Entry<String, Long> e : l.counters().entrySet()) {
        counters.put(e.getKey(), e.getValue());
      }
    }
    ArrayNode warnings = root.putArray("warnings");
    report.warnings().forEach(warnings::add);
    return root;
  }

  /**
   * Writes the report to a file.
   *
   * @param report the run
   * @param file the file, replaced if it exists
   * @throws UncheckedIOException naming the file if it cannot be written
   */
  static void write(BenchReport report, Path file) {
    try {
      Files.write(file, JSON.writeValueAsBytes(toJson(report)));
    } catch (IOException e) {
      throw new UncheckedIOException("--json '" + file + "': expected to write the report but " + e, e);
    }
  }
}
