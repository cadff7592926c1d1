package dev.jinfer.cli.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses the levels of a sweep: {@code --concurrency 1,2,4,8} or {@code 1..64} (doubling from the first to
 * the last, the last always included), and {@code --rate 100,200.5}. Stateless.
 */
final class LoadLevels {
  /** The most concurrent clients (threads) the tool starts. */
  static final int MAX_CONCURRENCY = 4096;
  /** The highest request rate the open loop schedules (one request every 10 us). */
  static final double MAX_RATE = 100_000;

  private LoadLevels() {}

  /**
   * Parses a concurrency list or doubling range.
   *
   * @param text {@code 1,2,4} or {@code 1..64}
   * @return the levels in the order given
   * @throws BenchException (usage) naming the bad part
   */
  static List<Integer> concurrency(String text) {
    String s = text.strip();
    List<Integer> levels = new ArrayList<>();
    int range = s.indexOf("..");
    if (range >= 0) {
      int from = clients(s.substring(0, range), text);
      int to = clients(s.substring(range + 2), text);
      if (to < from) {
        throw BenchException.usage("--concurrency: expected FROM..TO with FROM <= TO but got '" + text + "'");
      }
      for (long c = from; c < to; c *= 2) {
        levels.add((int) c);
      }
      levels.add(to);
      return levels;
    }
    for (String part : s.split(",", -1)) {
      levels.add(clients(part, text));
    }
    return levels;
  }

  private static int clients(String part, String whole) {
    int c;
    try {
      c = Integer.parseInt(part.strip());
    } catch (NumberFormatException e) {
      throw BenchException.usage("--concurrency: expected a list like 1,2,4 or a range like 1..64 but got '" + whole
          + "' ('" + part.strip() + "' is not an integer)");
    }
    if (c < 1 || c > MAX_CONCURRENCY) {
      throw BenchException.usage("--concurrency: expected levels from 1 to " + MAX_CONCURRENCY + " but got " + c);
    }
    return c;
  }

  /**
   * Parses a list of request rates.
   *
   * @param text {@code 500} or {@code 100,200,400}
   * @return the rates in requests per second, in the order given
   * @throws BenchException (usage) for a rate that is not a number, not positive and finite, or beyond
   *     {@link #MAX_RATE}
   */
  static List<Double> rates(String text) {
    List<Double> rates = new ArrayList<>();
    for (String part : text.strip().split(",", -1)) {
      double r;
      try {
        r = Double.parseDouble(part.strip());
      } catch (NumberFormatException e) {
        throw BenchException.usage("--rate: expected requests per second (e.g. 500 or 100,200) but got '" + part.strip()
            + "'");
      }
      if (!(r > 0) || Double.isInfinite(r)) {
        throw BenchException.usage("--rate: expected a positive, finite rate in requests per second but got " + part.strip());
      }
      if (r > MAX_RATE) {
        throw BenchException.usage("--rate: " + part.strip() + " requests/s is beyond what the sender can schedule"
            + " (at most " + (long) MAX_RATE + "/s, one request every 10 us)");
      }
      rates.add(r);
    }
    return rates;
  }
}
