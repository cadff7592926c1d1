package dev.jinfer.cli.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides when a level's measurement is stable, as {@code perf_analyzer} does: the last {@code windows}
 * measurement windows each lie within {@code tolerance} (e.g. 0.10 = 10%) of their mean, on throughput and
 * on p99 latency both. Fed synthetic numbers in tests; not thread-safe (the measuring thread owns it).
 */
final class StabilityDetector {
  private final int windows;
  private final double tolerance;
  private final List<double[]> seen = new ArrayList<>();

  /**
   * @param windows how many trailing windows must agree, at least 1
   * @param tolerance the largest relative deviation from their mean, at least 0
   */
  StabilityDetector(int windows, double tolerance) {
    if (windows < 1) {
      throw new IllegalArgumentException("windows must be >= 1 but was " + windows);
    }
    if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
      throw new IllegalArgumentException("tolerance must be >= 0 and finite but was " + tolerance);
    }
    this.windows = windows;
    this.tolerance = tolerance;
  }

  /**
   * Records one window.
   *
   * @param throughput its throughput (requests per second)
   * @param p99 its p99 latency, in any unit
   */
  void add(double throughput, double p99) {
    seen.add(new double[] {throughput, p99});
  }

  /**
   * Whether the last {@code windows} windows agree on both figures. Windows without a single successful
   * request (throughput 0) never make a level stable: there is nothing to agree on.
   */
  boolean isStable() {
    if (seen.size() < windows) {
      return false;
    }
    List<double[]> tail = seen.subList(seen.size() - windows, seen.size());
    if (tail.stream().allMatch(w -> w[0] == 0)) {
      return false;
    }
    return within(tail, 0) && within(tail, 1);
  }

  /** How many windows were recorded. */
  int count() {
    return seen.size();
  }

  private boolean within(List<double[]> tail, int metric) {
    double mean = tail.stream().mapToDouble(w -> w[metric]).average().orElse(0);
    for (double[] w : tail) {
      if (Math.abs(w[metric] - mean) > tolerance * Math.abs(mean)) {
        return false;
      }
    }
    return true;
  }
}
