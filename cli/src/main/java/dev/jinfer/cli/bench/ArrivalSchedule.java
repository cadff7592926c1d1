package dev.jinfer.cli.bench;

import java.util.SplittableRandom;

/**
 * When an open loop sends each request, as offsets from the start of the level: every {@code 1/rate}
 * seconds ({@link Arrival#FIXED}), or with exponentially distributed gaps of mean {@code 1/rate}
 * ({@link Arrival#POISSON}, seeded, so a run is repeatable). Offsets are computed from the request's index
 * (fixed) or accumulated in double precision (Poisson), so rounding never drifts the rate. Not thread-safe:
 * the open loop calls it under its own lock.
 */
final class ArrivalSchedule {
  /** The arrival process of an open loop. */
  enum Arrival {
    /** Evenly spaced requests. */
    FIXED,
    /** A Poisson process: independent, exponentially distributed gaps. */
    POISSON
  }

  private final Arrival arrival;
  private final double nanosPerRequest;
  private final SplittableRandom random;
  private long index;
  private double poissonOffset;

  /**
   * @param arrival the process
   * @param ratePerSecond requests per second, positive and finite
   * @param seed the Poisson process's seed
   */
  ArrivalSchedule(Arrival arrival, double ratePerSecond, long seed) {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("rate must be positive and finite but was " + ratePerSecond);
    }
    this.arrival = arrival;
    this.nanosPerRequest = 1e9 / ratePerSecond;
    this.random = new SplittableRandom(seed);
  }

  /**
   * The intended send time of the next request.
   *
   * @return nanoseconds from the start of the level; non-decreasing
   */
  long nextOffsetNanos() {
    long i = index++;
    if (arrival == Arrival.FIXED) {
      return Math.round(i * nanosPerRequest);
    }
    long offset = Math.round(poissonOffset);
    // inverse transform; 1 - u is in (0, 1], so the logarithm is finite
    poissonOffset += -Math.log(1.0 - random.nextDouble()) * nanosPerRequest;
    return offset;
  }
}
