package dev.jinfer.cache;

import dev.jinfer.DType;
import org.jspecify.annotations.Nullable;

/**
 * Stable one-byte codes for dtypes, used in key material and in the Redis value format, so that both stay
 * valid if {@link DType} gains or reorders constants. Thread-safe (stateless).
 */
final class DTypeCodes {
  private static final @Nullable DType[] BY_CODE = {null, DType.FLOAT32, DType.FLOAT64, DType.FLOAT16, DType.INT8, DType.UINT8,
      DType.INT16, DType.INT32, DType.INT64, DType.BOOL, DType.STRING};

  private DTypeCodes() {}

  static int code(DType dtype) {
    switch (dtype) {
      case FLOAT32: return 1;
      case FLOAT64: return 2;
      case FLOAT16: return 3;
      case INT8: return 4;
      case UINT8: return 5;
      case INT16: return 6;
      case INT32: return 7;
      case INT64: return 8;
      case BOOL: return 9;
      case STRING: return 10;
      default: throw new AssertionError("no code for " + dtype);
    }
  }

  /** The dtype of a code, or null if the code is unknown. */
  static @Nullable DType dtype(int code) {
    return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }
}
