package dev.jinfer.cli;

import dev.jinfer.DType;
import dev.jinfer.Tensor;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A short human-readable description of a tensor's values: min, max and mean for numbers (NaN counted
 * apart), the true count for BOOL, and the first few elements. Stateless.
 */
final class TensorSummary {
  private TensorSummary() {}

  /**
   * Describes the values.
   *
   * @param t the tensor
   * @param preview how many leading elements to show
   * @return one or two lines, without indentation
   */
  static List<String> describe(Tensor t, int preview) {
    List<String> lines = new ArrayList<>();
    int n = t.elementCount();
    if (n == 0) {
      lines.add("(no elements)");
      return lines;
    }
    String stats = stats(t);
    if (!stats.isEmpty()) {
      lines.add(stats);
    }
    int shown = Math.min(n, preview);
    StringBuilder sb = new StringBuilder(shown == n ? "values: [" : "first " + shown + " of " + n + ": [");
    for (int i = 0; i < shown; i++) {
      sb.append(i == 0 ? "" : ", ").append(element(t, i));
    }
    lines.add(sb.append(shown == n ? "]" : ", ...]").toString());
    return lines;
  }

  private static String stats(Tensor t) {
    int n = t.elementCount();
    DType d = t.dtype();
    if (d == DType.STRING) {
      return "";
    }
    if (d == DType.BOOL) {
      int trues = 0;
      for (boolean b : t.toBooleanArray()) {
        trues += b ? 1 : 0;
      }
      return "true " + trues + " of " + n;
    }
    if (d.isFloatingPoint()) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double sum = 0;
      int nans = 0;
      for (int i = 0; i < n; i++) {
        double v = d == DType.FLOAT64 ? t.getDouble(i) : t.getFloat(i);
        if (Double.isNaN(v)) {
          nans++;
          continue;
        }
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
      }
      if (nans == n) {
        return "all " + n + " values are NaN";
      }
      String s = "min " + floatString(d, min) + "  max " + floatString(d, max) + "  mean " + decimal(sum / (n - nans));
      return nans == 0 ? s : s + "  (" + nans + " NaN not counted)";
    }
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    double sum = 0;
    ByteBuffer b = t.buffer();
    for (int i = 0; i < n; i++) {
      long v = integer(t.dtype(), b, i);
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    return "min " + min + "  max " + max + "  mean " + decimal(sum / n);
  }

  private static String floatString(DType d, double v) {
    return d == DType.FLOAT64 ? Double.toString(v) : Float.toString((float) v);
  }

  /** Six significant digits, plain notation in a readable range, no trailing zeros. */
  static String decimal(double v) {
    if (!Double.isFinite(v)) {
      return Double.toString(v);
    }
    if (v == 0) {
      return "0";
    }
    double abs = Math.abs(v);
    if (abs >= 1e-4 && abs < 1e9) {
      return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }
    return String.format(Locale.ROOT, "%.5e", v);
  }

  private static long integer(DType dtype, ByteBuffer b, int i) {
    switch (dtype) {
      case INT8:
        return b.get(i);
      case UINT8:
        return Byte.toUnsignedInt(b.get(i));
      case INT16:
        return b.getShort(i * 2);
      case INT32:
        return b.getInt(i * 4);
      case INT64:
        return b.getLong(i * 8);
      default:
        throw new IllegalStateException("not an integer dtype: " + dtype);
    }
  }

  private static String element(Tensor t, int i) {
    switch (t.dtype()) {
      case FLOAT32:
      case FLOAT16:
        return Float.toString(t.getFloat(i));
      case FLOAT64:
        return Double.toString(t.getDouble(i));
      case BOOL:
        return Boolean.toString(t.buffer().get(i) != 0);
      case STRING:
        return quote(t.getString(i));
      default:
        return Long.toString(integer(t.dtype(), t.buffer(), i));
    }
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    int shown = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (shown++ >= 40 && !Character.isLowSurrogate(c)) {
        sb.append("...");
        break;
      }
      switch (c) {
        case '\n':
          sb.append("\\n");
          break;
        case '\t':
          sb.append("\\t");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        default:
          if (c < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    return sb.append('"').toString();
  }
}
