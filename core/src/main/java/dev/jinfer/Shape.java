package dev.jinfer;

import java.util.Arrays;

/**
 * Dimensions of a tensor, or of a tensor spec where {@link #DYNAMIC} (-1) marks a dimension that is
 * only known at request time (typically the batch dimension).
 *
 * <p>Immutable and thread-safe.
 */
public final class Shape {
  /** The value of a dimension that is not fixed by the model. */
  public static final long DYNAMIC = -1;

  private static final Shape SCALAR = new Shape(new long[0]);

  private final long[] dims;

  private Shape(long[] dims) {
    this.dims = dims;
  }

  /**
   * Creates a shape.
   *
   * @param dims the dimensions, each {@code >= 0} or {@link #DYNAMIC}
   * @return the shape
   * @throws IllegalArgumentException if a dimension is below -1
   */
  public static Shape of(long... dims) {
    if (dims.length == 0) {
      return SCALAR;
    }
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < DYNAMIC) {
        throw new IllegalArgumentException(
            "dimension " + i + " must be >= 0 or -1 (dynamic) but was " + dims[i] + " in " + Arrays.toString(dims));
      }
    }
    return new Shape(dims.clone());
  }

  /**
   * The number of dimensions.
   *
   * @return the rank, 0 for a scalar
   */
  public int rank() {
    return dims.length;
  }

  /**
   * One dimension.
   *
   * @param axis index from 0 to {@code rank() - 1}
   * @return the dimension, or {@link #DYNAMIC}
   * @throws IndexOutOfBoundsException if the axis is out of range
   */
  public long dim(int axis) {
    return dims[axis];
  }

  /**
   * A copy of the dimensions.
   *
   * @return a new array
   */
  public long[] toArray() {
    return dims.clone();
  }

  /**
   * Whether every dimension is known.
   *
   * @return false if any dimension is {@link #DYNAMIC}
   */
  public boolean isFullyKnown() {
    for (long d : dims) {
      if (d == DYNAMIC) {
        return false;
      }
    }
    return true;
  }

  /**
   * The number of elements a tensor of this shape holds.
   *
   * @return the product of the dimensions (1 for a scalar)
   * @throws IllegalStateException if a dimension is dynamic
   * @throws ArithmeticException if the product overflows a long
   */
  public long elementCount() {
    long n = 1;
    for (long d : dims) {
      if (d == DYNAMIC) {
        throw new IllegalStateException("shape " + this + " has a dynamic dimension and no element count");
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * Whether a concrete shape is compatible with this one used as a spec: same rank, and every fixed
   * dimension equal.
   *
   * @param concrete the shape of an actual tensor
   * @return true if it fits
   */
  public boolean accepts(Shape concrete) {
    if (concrete.dims.length != dims.length) {
      return false;
    }
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] != DYNAMIC && dims[i] != concrete.dims[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * This shape with its first dimension replaced.
   *
   * @param rows the new first dimension
   * @return the new shape
   * @throws IllegalStateException if this is a scalar
   * @throws IllegalArgumentException if rows is below -1
   */
  public Shape withFirstDim(long rows) {
    if (dims.length == 0) {
      throw new IllegalStateException("a scalar shape has no first dimension");
    }
    if (rows < DYNAMIC) {
      throw new IllegalArgumentException("dimension 0 must be >= 0 or -1 (dynamic) but was " + rows);
    }
    long[] copy = dims.clone();
    copy[0] = rows;
    return new Shape(copy);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** Formats as {@code [-1, 32]}. */
  @Override
  public String toString() {
    return Arrays.toString(dims);
  }
}
