package dev.jinfer;

/**
 * Element type of a {@link Tensor}.
 *
 * <p>Fixed-width types are stored little-endian in the tensor's buffer, {@link #byteSize()} bytes per
 * element. {@link #STRING} has no fixed width: its elements are held as Java strings and engines encode
 * them as UTF-8. Thread-safe (an enum).
 */
public enum DType {
  /** IEEE 754 single precision. */
  FLOAT32(4),
  /** IEEE 754 double precision. */
  FLOAT64(8),
  /** IEEE 754 half precision, stored as its 16 raw bits; read it as {@code float} with {@link Tensor#toFloatArray()}. */
  FLOAT16(2),
  /** Signed 8-bit integer. */
  INT8(1),
  /** Unsigned 8-bit integer (Java {@code byte} bits; read with {@code Byte.toUnsignedInt}). */
  UINT8(1),
  /** Signed 16-bit integer. */
  INT16(2),
  /** Signed 32-bit integer. */
  INT32(4),
  /** Signed 64-bit integer. */
  INT64(8),
  /** Boolean, one byte per element: 0 is false, 1 is true. */
  BOOL(1),
  /** Variable-length text; not backed by a byte buffer. */
  STRING(-1);

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  /**
   * Bytes per element.
   *
   * @return the element width in bytes, or -1 for {@link #STRING}
   */
  public int byteSize() {
    return byteSize;
  }

  /**
   * Whether elements are fixed-width and live in a byte buffer.
   *
   * @return false only for {@link #STRING}
   */
  public boolean isFixedWidth() {
    return byteSize > 0;
  }

  /**
   * Whether this is a floating-point type (the ones that can hold NaN and infinities).
   *
   * @return true for FLOAT16, FLOAT32 and FLOAT64
   */
  public boolean isFloatingPoint() {
    return this == FLOAT16 || this == FLOAT32 || this == FLOAT64;
  }
}
