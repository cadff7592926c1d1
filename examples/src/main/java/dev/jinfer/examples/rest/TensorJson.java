package dev.jinfer.examples.rest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JSON forms of tensors in the REST contract: request bodies to {@link NamedTensors} (named tensors, or
 * the {@code {"features": [...]}} shortcut for a model with one input) and outputs to JSON. Every problem is
 * an {@link ApiException} 400 whose message names the input, what was expected and what came. Stateless.
 */
final class TensorJson {
  /** A parsed predict request. */
  record Request(NamedTensors inputs, List<String> outputs) {}

  private TensorJson() {}

  static Request parse(JsonNode root, ModelSignature signature) {
    if (!root.isObject()) {
      throw ApiException.badRequest("request body: expected a JSON object but got " + kind(root));
    }
    JsonNode inputs = root.get("inputs");
    JsonNode features = root.get("features");
    for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
      String field = it.next();
      if (!field.equals("inputs") && !field.equals("outputs") && !field.equals("features")) {
        throw ApiException.badRequest("request body: unknown field '" + field + "'; expected 'inputs' (named tensors) or 'features'"
            + " (one input), and optionally 'outputs'");
      }
    }
    if (inputs != null && features != null) {
      throw ApiException.badRequest("request body: give either 'inputs' or 'features', not both");
    }
    NamedTensors tensors;
    if (inputs != null) {
      tensors = namedInputs(inputs, signature);
    } else if (features != null) {
      tensors = shortcut(features, signature);
    } else {
      throw ApiException.badRequest("request body: expected 'inputs' (named tensors) or 'features' (one input) but got neither");
    }
    return new Request(tensors, outputNames(root.get("outputs"), signature));
  }

  private static List<String> outputNames(JsonNode outputs, ModelSignature signature) {
    if (outputs == null || outputs.isNull()) {
      return List.of();
    }
    if (!outputs.isArray()) {
      throw ApiException.badRequest("outputs: expected an array of output names but got " + kind(outputs));
    }
    List<String> names = new ArrayList<>();
    for (JsonNode n : outputs) {
      if (!n.isTextual()) {
        throw ApiException.badRequest("outputs: expected output names (strings) but got " + kind(n));
      }
      if (signature.output(n.asText()).isEmpty()) {
        throw ApiException.badRequest("outputs: '" + n.asText() + "' is not an output of the model; outputs: " + signature.outputNames());
      }
      names.add(n.asText());
    }
    return names;
  }

  private static NamedTensors namedInputs(JsonNode inputs, ModelSignature signature) {
    if (!inputs.isObject()) {
      throw ApiException.badRequest("inputs: expected an object of named tensors but got " + kind(inputs));
    }
    NamedTensors.Builder b = NamedTensors.newBuilder();
    for (Map.Entry<String, JsonNode> e : inputs.properties()) {
      String name = e.getKey();
      Optional<TensorSpec> spec = signature.input(name);
      if (spec.isEmpty()) {
        throw ApiException.badRequest("input '" + name + "': not an input of the model; inputs: " + inputNames(signature));
      }
      b.put(name, namedTensor(name, e.getValue(), spec.get()));
    }
    return b.build();
  }

  private static Tensor namedTensor(String name, JsonNode node, TensorSpec spec) {
    String what = "input '" + name + "'";
    if (!node.isObject()) {
      throw ApiException.badRequest(what + ": expected {\"dtype\", \"shape\", \"data\"} but got " + kind(node));
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
      String field = it.next();
      if (!field.equals("dtype") && !field.equals("shape") && !field.equals("data")) {
        throw ApiException.badRequest(what + ": unknown field '" + field + "'; expected dtype, shape and data");
      }
    }
    DType dtype = spec.dtype();
    JsonNode d = node.get("dtype");
    if (d != null && !d.isNull()) {
      if (!d.isTextual()) {
        throw ApiException.badRequest(what + ": dtype must be a name such as FLOAT32 but was " + kind(d));
      }
      try {
        dtype = DType.valueOf(d.asText());
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest(what + ": unknown dtype '" + d.asText() + "'; expected one of " + Arrays.toString(DType.values()));
      }
    }
    JsonNode s = node.get("shape");
    if (s == null || !s.isArray()) {
      throw ApiException.badRequest(what + ": expected a shape array such as [1, 32] but got " + (s == null ? "none" : kind(s)));
    }
    long[] shape = new long[s.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode dim = s.get(i);
      if (!dim.canConvertToLong() || !dim.isIntegralNumber() || dim.asLong() < 0) {
        throw ApiException.badRequest(what + ": shape[" + i + "] must be a whole number >= 0 but was " + dim);
      }
      shape[i] = dim.asLong();
      try {
        count = Math.multiplyExact(count, shape[i]);
      } catch (ArithmeticException e) {
        throw ApiException.badRequest(what + ": shape " + s + " holds more values than a long counts");
      }
    }
    JsonNode data = node.get("data");
    if (data == null || !data.isArray()) {
      throw ApiException.badRequest(what + ": expected a data array but got " + (data == null ? "none" : kind(data)));
    }
    List<JsonNode> values = new ArrayList<>();
    flatten(data, values);
    if (values.size() != count) {
      throw ApiException.badRequest(what + ": shape " + Arrays.toString(shape) + " holds " + count + " values but data has "
          + values.size());
    }
    return tensor(what, dtype, values, shape);
  }

  private static NamedTensors shortcut(JsonNode features, ModelSignature signature) {
    if (signature.inputs().size() != 1) {
      throw ApiException.badRequest("features: the shortcut needs a model with exactly one input but this one has "
          + inputNames(signature) + "; send named 'inputs'");
    }
    TensorSpec spec = signature.inputs().get(0);
    String what = "input '" + spec.name() + "' (features)";
    if (!features.isArray() || features.isEmpty()) {
      throw ApiException.badRequest(what + ": expected a non-empty array of numbers or of rows but got " + kind(features));
    }
    List<JsonNode> values = new ArrayList<>();
    long[] shape;
    if (features.get(0).isArray()) {
      int width = features.get(0).size();
      for (int r = 0; r < features.size(); r++) {
        JsonNode row = features.get(r);
        if (!row.isArray() || row.size() != width) {
          throw ApiException.badRequest(what + ": row " + r + " must be an array of " + width + " values (as row 0) but was "
              + (row.isArray() ? row.size() + " values" : kind(row)));
        }
        row.forEach(values::add);
      }
      shape = new long[] {features.size(), width};
    } else {
      features.forEach(values::add);
      shape = new long[] {1, features.size()};
    }
    return NamedTensors.of(spec.name(), tensor(what, spec.dtype(), values, shape));
  }

  static void flatten(JsonNode node, List<JsonNode> out) {
    if (node.isArray()) {
      for (JsonNode child : node) {
        flatten(child, out);
      }
    } else {
      out.add(node);
    }
  }

  /** The tensor of flat JSON values; a 400 names the tensor ({@code what}), the value's index and what was expected. */
  static Tensor tensor(String what, DType dtype, List<JsonNode> values, long[] shape) {
    int n = values.size();
    switch (dtype) {
      case FLOAT32:
      case FLOAT16: {
        float[] a = new float[n];
        double max = dtype == DType.FLOAT32 ? Float.MAX_VALUE : FLOAT16_MAX;
        for (int i = 0; i < n; i++) {
          double d = number(what, dtype, values, i).doubleValue();
          // beyond the type's range (1e39 as FLOAT32, 1e400 anywhere) the value would round to Infinity
          if (dtype == DType.FLOAT32 ? !Float.isFinite((float) d) : !(Math.abs(d) < FLOAT16_OVERFLOW)) {
            throw badValue(what, dtype, i, "a finite number within " + dtype + "'s range [-" + (float) max + ", " + (float) max + "]",
                values.get(i));
          }
          a[i] = (float) d;
        }
        return dtype == DType.FLOAT32 ? Tensor.ofFloats(a, shape) : Tensor.ofFloat16(a, shape);
      }
      case FLOAT64: {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
          a[i] = number(what, dtype, values, i).doubleValue();
          if (!Double.isFinite(a[i])) { // 1e400: JSON has no infinity, and NaN/Infinity literals are refused too
            throw badValue(what, dtype, i, "a finite number within FLOAT64's range", values.get(i));
          }
        }
        return Tensor.ofDoubles(a, shape);
      }
      case INT8:
      case UINT8: {
        byte[] a = new byte[n];
        long min = dtype == DType.INT8 ? Byte.MIN_VALUE : 0;
        long max = dtype == DType.INT8 ? Byte.MAX_VALUE : 255;
        for (int i = 0; i < n; i++) {
          a[i] = (byte) integral(what, dtype, values, i, min, max);
        }
        return dtype == DType.INT8 ? Tensor.ofBytes(a, shape) : Tensor.ofUnsignedBytes(a, shape);
      }
      case INT16: {
        short[] a = new short[n];
        for (int i = 0; i < n; i++) {
          a[i] = (short) integral(what, dtype, values, i, Short.MIN_VALUE, Short.MAX_VALUE);
        }
        return Tensor.ofShorts(a, shape);
      }
      case INT32: {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
          a[i] = (int) integral(what, dtype, values, i, Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        return Tensor.ofInts(a, shape);
      }
      case INT64: {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
          a[i] = integral(what, dtype, values, i, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        return Tensor.ofLongs(a, shape);
      }
      case BOOL: {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) {
          JsonNode v = values.get(i);
          if (!v.isBoolean()) {
            throw badValue(what, dtype, i, "true or false", v);
          }
          a[i] = v.booleanValue();
        }
        return Tensor.ofBooleans(a, shape);
      }
      case STRING: {
        String[] a = new String[n];
        for (int i = 0; i < n; i++) {
          JsonNode v = values.get(i);
          if (!v.isTextual()) {
            throw badValue(what, dtype, i, "a string", v);
          }
          a[i] = v.textValue();
        }
        return Tensor.ofStrings(a, shape);
      }
      default:
        throw ApiException.badRequest(what + ": dtype " + dtype + " is not supported over JSON");
    }
  }

  /** The largest finite FLOAT16 (IEEE binary16) value. */
  static final double FLOAT16_MAX = 65504;
  /** The least magnitude that rounds to Infinity in FLOAT16 (round to nearest even): 65504 + half a step of 32. */
  static final double FLOAT16_OVERFLOW = 65520;

  private static Number number(String what, DType dtype, List<JsonNode> values, int i) {
    JsonNode v = values.get(i);
    if (!v.isNumber()) {
      throw badValue(what, dtype, i, "a number", v);
    }
    return v.numberValue();
  }

  private static long integral(String what, DType dtype, List<JsonNode> values, int i, long min, long max) {
    JsonNode v = values.get(i);
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
      throw badValue(what, dtype, i, "a whole number in [" + min + ", " + max + "]", v);
    }
    return v.longValue();
  }

  private static ApiException badValue(String what, DType dtype, int i, String expected, JsonNode got) {
    return ApiException.badRequest(what + ": data[" + i + "] of a " + dtype + " tensor must be " + expected + " but was "
        + ApiException.brief(got.toString(), 100));
  }

  private static List<String> inputNames(ModelSignature signature) {
    return signature.inputs().stream().map(TensorSpec::name).toList();
  }

  static String kind(JsonNode n) {
    return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + (n.isContainerNode() ? "" : " " + ApiException.brief(n.toString(), 100));
  }

  /** Writes {@code "name": {"dtype", "shape", "data"}} for every tensor. */
  static void writeTensors(JsonGenerator g, NamedTensors tensors) throws IOException {
    for (Map.Entry<String, Tensor> e : tensors) {
      g.writeObjectFieldStart(e.getKey());
      writeTensor(g, e.getValue());
      g.writeEndObject();
    }
  }

  private static void writeTensor(JsonGenerator g, Tensor t) throws IOException {
    g.writeStringField("dtype", t.dtype().name());
    g.writeArrayFieldStart("shape");
    Shape shape = t.shape();
    for (int i = 0; i < shape.rank(); i++) {
      g.writeNumber(shape.dim(i));
    }
    g.writeEndArray();
    g.writeArrayFieldStart("data");
    writeValues(g, t);
    g.writeEndArray();
  }

  /** Writes the values of a tensor, flat and row-major, into the array the generator is in. */
  static void writeValues(JsonGenerator g, Tensor t) throws IOException {
    switch (t.dtype()) {
      case FLOAT32:
      case FLOAT16: // element by element: no copy of the values per answer
        for (int i = 0, n = t.elementCount(); i < n; i++) {
          g.writeNumber(t.getFloat(i));
        }
        break;
      case FLOAT64:
        for (int i = 0, n = t.elementCount(); i < n; i++) {
          g.writeNumber(t.getDouble(i));
        }
        break;
      case INT8:
        for (byte v : t.toByteArray()) {
          g.writeNumber(v);
        }
        break;
      case UINT8:
        for (byte v : t.toByteArray()) {
          g.writeNumber(v & 0xFF);
        }
        break;
      case INT16:
        for (short v : t.toShortArray()) {
          g.writeNumber(v);
        }
        break;
      case INT32:
        for (int i = 0, n = t.elementCount(); i < n; i++) {
          g.writeNumber(t.getInt(i));
        }
        break;
      case INT64:
        for (int i = 0, n = t.elementCount(); i < n; i++) {
          g.writeNumber(t.getLong(i));
        }
        break;
      case BOOL:
        for (boolean v : t.toBooleanArray()) {
          g.writeBoolean(v);
        }
        break;
      case STRING:
        for (String v : t.toStringArray()) {
          g.writeString(v);
        }
        break;
      default:
        throw new IllegalStateException("output dtype " + t.dtype() + " has no JSON form");
    }
  }
}
