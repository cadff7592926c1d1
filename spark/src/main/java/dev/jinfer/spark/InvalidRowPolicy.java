package dev.jinfer.spark;

import java.util.Locale;

/**
 * What scoring does with a row it cannot turn into model input: a null feature, a null array or vector, or
 * an array or vector of the wrong length. Named like Spark ML's {@code handleInvalid} values. Thread-safe
 * (an enum).
 */
public enum InvalidRowPolicy {
  /** Fail the job; the error names the partition, the row's position in it, the column and what came. */
  ERROR,
  /** Keep the row with null outputs, and count it. */
  KEEP,
  /** Drop the row from the output, and count it. */
  SKIP;

  /** @return the Spark ML param value: {@code error}, {@code keep} or {@code skip} */
  public String paramValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The policy for a Spark ML param value.
   *
   * @param value {@code error}, {@code keep} or {@code skip} (any case)
   * @return the policy
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static InvalidRowPolicy ofParam(String value) {
    for (InvalidRowPolicy p : values()) {
      if (p.paramValue().equalsIgnoreCase(value)) {
        return p;
      }
    }
    throw new IllegalArgumentException("handleInvalid must be one of error, keep, skip but was '" + value + "'");
  }
}
