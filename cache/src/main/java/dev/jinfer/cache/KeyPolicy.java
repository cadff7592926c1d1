package dev.jinfer.cache;

import java.util.Objects;

/**
 * How one input enters the cache key. The default, {@link #exact()}, keys on the input's exact bits (after
 * canonicalizing NaN and -0.0, which every policy does). The rounding policies are an <b>approximation the
 * user opts into</b>: inputs that round to the same values share one entry, so a request may be answered
 * with the prediction computed for a nearby input. Use them only for float features where the model is
 * known to be insensitive below the chosen resolution.
 *
 * <p>Rounding applies to FLOAT32 and FLOAT64 inputs; {@link CachedPredictor.Builder#keyPolicy} rejects it on
 * other types. A value {@code v} is replaced by {@code round(v / q) * q} (for {@link #roundToDecimals} with
 * {@code q = 10^-decimals}, computed as {@code round(v * 10^decimals) / 10^decimals}); values too large for
 * the rounding to change them, infinities and NaN are kept as they are.
 *
 * <p>Immutable and thread-safe.
 */
public final class KeyPolicy {
  private static final KeyPolicy EXACT = new KeyPolicy(Kind.EXACT, 1.0, 0);

  enum Kind { EXACT, DECIMALS, QUANTUM }

  private final Kind kind;
  /** For DECIMALS the multiplier 10^decimals; for QUANTUM the quantum. */
  private final double factor;
  private final int decimals;

  private KeyPolicy(Kind kind, double factor, int decimals) {
    this.kind = kind;
    this.factor = factor;
    this.decimals = decimals;
  }

  /**
   * Keys on the exact values (NaN and -0.0 canonicalized). The default for every input.
   *
   * @return the policy
   */
  public static KeyPolicy exact() {
    return EXACT;
  }

  /**
   * Keys on the values rounded half-up to a number of decimal places: with 2, {@code 0.1234f} and
   * {@code 0.1249f} share an entry. An approximation: see the class comment.
   *
   * @param decimals 0 to 15
   * @return the policy
   * @throws IllegalArgumentException if decimals is out of range
   */
  public static KeyPolicy roundToDecimals(int decimals) {
    if (decimals < 0 || decimals > 15) {
      throw new IllegalArgumentException("roundToDecimals must be in [0, 15] but was " + decimals);
    }
    return new KeyPolicy(Kind.DECIMALS, Math.pow(10, decimals), decimals);
  }

  /**
   * Keys on the values rounded to the nearest multiple of a quantum: with 0.5, {@code 1.2} and
   * {@code 0.8} share an entry (both 1.0). An approximation: see the class comment.
   *
   * @param quantum a finite value > 0
   * @return the policy
   * @throws IllegalArgumentException if the quantum is not finite or not positive
   */
  public static KeyPolicy roundToQuantum(double quantum) {
    if (!(quantum > 0) || Double.isInfinite(quantum)) {
      throw new IllegalArgumentException("roundToQuantum must be finite and > 0 but was " + quantum);
    }
    return new KeyPolicy(Kind.QUANTUM, quantum, 0);
  }

  Kind kind() {
    return kind;
  }

  boolean isExact() {
    return kind == Kind.EXACT;
  }

  /** The value this policy keys on (not yet canonicalized for NaN and -0.0). */
  double round(double v) {
    switch (kind) {
      case DECIMALS: {
        double scaled = v * factor;
        // beyond 2^52 every double is an integer: rounding would change nothing but overflow risk
        return Math.abs(scaled) < 0x1p52 ? Math.floor(scaled + 0.5) / factor : v;
      }
      case QUANTUM: {
        double scaled = v / factor;
        return Math.abs(scaled) < 0x1p52 ? Math.floor(scaled + 0.5) * factor : v;
      }
      default:
        return v;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyPolicy && ((KeyPolicy) o).kind == kind && ((KeyPolicy) o).factor == factor;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, factor);
  }

  /** Formats as {@code exact}, {@code roundToDecimals(3)} or {@code roundToQuantum(0.5)}. */
  @Override
  public String toString() {
    switch (kind) {
      case DECIMALS:
        return "roundToDecimals(" + decimals + ")";
      case QUANTUM:
        return "roundToQuantum(" + factor + ")";
      default:
        return "exact";
    }
  }
}
