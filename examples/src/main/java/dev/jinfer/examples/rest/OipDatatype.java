package dev.jinfer.examples.rest;

import dev.jinfer.DType;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The tensor datatypes of the Open Inference Protocol (KServe v2) and the jinfer {@link DType} each one
 * travels as. The protocol names unsigned 16/32/64-bit integers and bfloat16, which jinfer has no tensor
 * type for: those parse (so that the error says what is wrong) but no model input or output has them.
 * Stateless.
 */
enum OipDatatype {
  BOOL(DType.BOOL),
  UINT8(DType.UINT8),
  UINT16(null),
  UINT32(null),
  UINT64(null),
  INT8(DType.INT8),
  INT16(DType.INT16),
  INT32(DType.INT32),
  INT64(DType.INT64),
  FP16(DType.FLOAT16),
  FP32(DType.FLOAT32),
  FP64(DType.FLOAT64),
  BF16(null),
  BYTES(DType.STRING);

  private final @Nullable DType dtype;

  private static final OipDatatype[] ALL = values();

  OipDatatype(@Nullable DType dtype) {
    this.dtype = dtype;
  }

  /** @return the protocol name of a jinfer dtype (every jinfer dtype has one) */
  static OipDatatype of(DType dtype) {
    for (OipDatatype d : ALL) { // values() would copy the array on every request
      if (d.dtype == dtype) {
        return d;
      }
    }
    throw new IllegalStateException("no protocol datatype for " + dtype);
  }

  /**
   * The jinfer dtype of a tensor the request names with {@code datatype}, which must be the model's own.
   *
   * @param what the tensor, for messages ({@code input 'x'})
   * @param datatype the protocol name the request gave
   * @param expected the model's dtype for that tensor
   * @return {@code expected}
   * @throws ApiException 400 naming the tensor, the expected and the given datatype
   */
  /**
   * @return whether {@code datatype} is the protocol's name of {@code expected} (no message made: the common case
   *     of {@link #require})
   */
  static boolean matches(String datatype, DType expected) {
    return of(expected).name().equals(datatype);
  }

  static DType require(String what, String datatype, DType expected) {
    OipDatatype given;
    try {
      given = valueOf(datatype);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(what + ": unknown datatype '" + datatype + "'; expected one of " + Arrays.toString(values()));
    }
    OipDatatype want = of(expected);
    if (given != want) {
      throw ApiException.badRequest(what + ": expected datatype " + want + " (the model's) but got " + given
          + (given.dtype == null ? ", which jinfer has no tensor type for" : ""));
    }
    return expected;
  }
}
