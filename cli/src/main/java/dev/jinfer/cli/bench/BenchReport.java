package dev.jinfer.cli.bench;

import java.util.List;
import java.util.Map;

/**
 * Everything a run measured, for the table, JSON, CSV and chart writers. Immutable.
 *
 * @param target what was measured (model id, backend, wrappers, or URL)
 * @param mode {@code closed loop} or {@code open loop (fixed)} / {@code open loop (poisson)}
 * @param settings the run's settings, in display order (values are strings, numbers, booleans or nested maps)
 * @param levels one result per concurrency or rate, in run order
 * @param warnings problems the reader must know about (sender behind schedule, overload, stuck requests)
 */
record BenchReport(String target, String mode, Map<String, Object> settings, List<LevelResult> levels,
    List<String> warnings) {
  BenchReport {
    settings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
    levels = List.copyOf(levels);
    warnings = List.copyOf(warnings);
  }

  /** Whether the levels are open loops. */
  boolean openLoop() {
    return !levels.isEmpty() && levels.get(0).isOpenLoop();
  }

  /** The latency objective in nanoseconds, 0 when none was given. */
  long sloNanos() {
    return levels.isEmpty() ? 0 : levels.get(0).sloNanos();
  }
}
