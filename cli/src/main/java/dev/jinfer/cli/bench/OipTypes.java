package dev.jinfer.cli.bench;

import dev.jinfer.DType;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The Open Inference Protocol's (KServe v2) tensor datatype names and the jinfer {@link DType} each one is,
 * for bench's {@code /v2} HTTP and gRPC targets: the same pairs as the service's (examples'
 * {@code OipDatatype}). The protocol's UINT16/32/64 and BF16 have no jinfer type. Stateless.
 */
final class OipTypes {
  private static final Map<String, DType> BY_NAME = Map.ofEntries(Map.entry("BOOL", DType.BOOL), Map.entry("UINT8", DType.UINT8),
      Map.entry("INT8", DType.INT8), Map.entry("INT16", DType.INT16), Map.entry("INT32", DType.INT32),
      Map.entry("INT64", DType.INT64), Map.entry("FP16", DType.FLOAT16), Map.entry("FP32", DType.FLOAT32),
      Map.entry("FP64", DType.FLOAT64), Map.entry("BYTES", DType.STRING));

  private OipTypes() {}

  /** @return the jinfer dtype of a protocol datatype name, or null for one jinfer has no tensor type for */
  static @Nullable DType dtype(String datatype) {
    return BY_NAME.get(datatype);
  }

  /** @return the protocol name of a jinfer dtype */
  static String name(DType dtype) {
    return switch (dtype) {
      case BOOL -> "BOOL";
      case UINT8 -> "UINT8";
      case INT8 -> "INT8";
      case INT16 -> "INT16";
      case INT32 -> "INT32";
      case INT64 -> "INT64";
      case FLOAT16 -> "FP16";
      case FLOAT32 -> "FP32";
      case FLOAT64 -> "FP64";
      case STRING -> "BYTES";
    };
  }
}
