package dev.jinfer.examples.rest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Priority;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The JSON forms of the Open Inference Protocol (KServe v2) over HTTP: the inference request
 * ({@code {"id", "parameters", "inputs": [{"name", "shape", "datatype", "parameters", "data"}], "outputs":
 * [{"name", "parameters"}]}}) to {@link NamedTensors}, and the inference response and tensor metadata to
 * JSON. Every problem is an {@link ApiException} 400 whose message names the tensor, what was expected and
 * what came. Stateless.
 */
final class OipJson {
  /** The request parameter that sets the call's {@link Priority} ({@code "HIGH"} or {@code "NORMAL"}). */
  static final String PRIORITY_PARAMETER = "priority";

  /** A parsed inference request. */
  record Request(@Nullable String id, NamedTensors inputs, List<String> outputs, Priority priority) {}

  private OipJson() {}

  static Request parse(JsonNode root, ModelSignature signature) {
    if (!root.isObject()) {
      throw ApiException.badRequest("inference request: expected a JSON object but got " + TensorJson.kind(root));
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
      String field = it.next();
      if (!field.equals("id") && !field.equals("parameters") && !field.equals("inputs") && !field.equals("outputs")) {
        throw ApiException.badRequest("inference request: unknown field '" + field + "'; expected id, parameters, inputs and outputs");
      }
    }
    String id = null;
    JsonNode idNode = root.get("id");
    if (idNode != null && !idNode.isNull()) {
      if (!idNode.isTextual()) {
        throw ApiException.badRequest("id: expected a string but got " + TensorJson.kind(idNode));
      }
      id = idNode.textValue();
    }
    Priority priority = priority(parameters("parameters", root.get("parameters")));
    JsonNode inputs = root.get("inputs");
    if (inputs == null || !inputs.isArray()) {
      throw ApiException.badRequest("inputs: expected an array of tensors but got " + (inputs == null ? "none" : TensorJson.kind(inputs)));
    }
    NamedTensors.Builder b = NamedTensors.newBuilder();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < inputs.size(); i++) {
      JsonNode t = inputs.get(i);
      if (!t.isObject()) {
        throw ApiException.badRequest("inputs[" + i + "]: expected a tensor object but got " + TensorJson.kind(t));
      }
      JsonNode name = t.get("name");
      if (name == null || !name.isTextual()) {
        throw ApiException.badRequest("inputs[" + i + "]: expected a 'name' string but got " + (name == null ? "none" : TensorJson.kind(name)));
      }
      String n = name.textValue();
      Optional<TensorSpec> spec = signature.input(n);
      if (spec.isEmpty()) {
        throw ApiException.badRequest("input '" + n + "': not an input of the model; inputs: " + names(signature.inputs()));
      }
      if (!seen.add(n)) {
        throw ApiException.badRequest("input '" + n + "': given twice");
      }
      b.put(n, tensor("input '" + n + "'", t, spec.get()));
    }
    return new Request(id, b.build(), outputs(root.get("outputs"), signature), priority);
  }

  private static Tensor tensor(String what, JsonNode node, TensorSpec spec) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
      String field = it.next();
      if (!field.equals("name") && !field.equals("shape") && !field.equals("datatype") && !field.equals("parameters")
          && !field.equals("data")) {
        throw ApiException.badRequest(what + ": unknown field '" + field + "'; expected name, shape, datatype, parameters and data");
      }
    }
    Map<String, JsonNode> params = parameters(what + ": parameters", node.get("parameters"));
    if (params.containsKey("binary_data_size")) {
      throw ApiException.badRequest(what + ": binary tensor data (parameter 'binary_data_size') is not supported; send 'data' as"
          + " JSON, or use the gRPC endpoint's raw_input_contents");
    }
    JsonNode datatype = node.get("datatype");
    if (datatype == null || !datatype.isTextual()) {
      throw ApiException.badRequest(what + ": expected a 'datatype' string such as " + OipDatatype.of(spec.dtype()) + " but got "
          + (datatype == null ? "none" : TensorJson.kind(datatype)));
    }
    DType dtype = OipDatatype.require(what, datatype.textValue(), spec.dtype());
    long[] shape = shape(what, node.get("shape"));
    long count = 1;
    for (long d : shape) {
      try {
        count = Math.multiplyExact(count, d);
      } catch (ArithmeticException e) {
        throw ApiException.badRequest(what + ": shape " + Arrays.toString(shape) + " holds more values than a long counts");
      }
    }
    JsonNode data = node.get("data");
    if (data == null || !data.isArray()) {
      throw ApiException.badRequest(what + ": expected a 'data' array but got " + (data == null ? "none" : TensorJson.kind(data)));
    }
    List<JsonNode> values = new ArrayList<>();
    TensorJson.flatten(data, values);
    if (values.size() != count) {
      throw ApiException.badRequest(what + ": shape " + Arrays.toString(shape) + " holds " + count + " values but data has "
          + values.size());
    }
    return TensorJson.tensor(what, dtype, values, shape);
  }

  static long[] shape(String what, @Nullable JsonNode s) {
    if (s == null || !s.isArray()) {
      throw ApiException.badRequest(what + ": expected a 'shape' array such as [1, 32] but got " + (s == null ? "none" : TensorJson.kind(s)));
    }
    long[] shape = new long[s.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode dim = s.get(i);
      if (!dim.isIntegralNumber() || !dim.canConvertToLong() || dim.asLong() < 0) {
        throw ApiException.badRequest(what + ": shape[" + i + "] must be a whole number >= 0 but was " + dim);
      }
      shape[i] = dim.asLong();
    }
    return shape;
  }

  private static List<String> outputs(@Nullable JsonNode outputs, ModelSignature signature) {
    if (outputs == null || outputs.isNull()) {
      return List.of();
    }
    if (!outputs.isArray()) {
      throw ApiException.badRequest("outputs: expected an array of {\"name\"} objects but got " + TensorJson.kind(outputs));
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < outputs.size(); i++) {
      JsonNode o = outputs.get(i);
      JsonNode name = o.isObject() ? o.get("name") : null;
      if (name == null || !name.isTextual()) {
        throw ApiException.badRequest("outputs[" + i + "]: expected {\"name\": \"...\"} but got " + TensorJson.kind(o));
      }
      for (Iterator<String> it = o.fieldNames(); it.hasNext();) {
        String field = it.next();
        if (!field.equals("name") && !field.equals("parameters")) {
          throw ApiException.badRequest("output '" + name.textValue() + "': unknown field '" + field + "'; expected name and parameters");
        }
      }
      // binary_data (Triton's binary extension) is ignored: the data comes back as JSON, which its clients read too
      parameters("output '" + name.textValue() + "': parameters", o.get("parameters"));
      if (signature.output(name.textValue()).isEmpty()) {
        throw ApiException.badRequest("output '" + name.textValue() + "': not an output of the model; outputs: " + signature.outputNames());
      }
      if (names.contains(name.textValue())) {
        throw ApiException.badRequest("output '" + name.textValue() + "': requested twice");
      }
      names.add(name.textValue());
    }
    return names;
  }

  /** A protocol {@code parameters} object: every value a string, number or boolean. */
  private static Map<String, JsonNode> parameters(String what, @Nullable JsonNode node) {
    if (node == null || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw ApiException.badRequest(what + ": expected an object but got " + TensorJson.kind(node));
    }
    Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      JsonNode v = e.getValue();
      if (!v.isTextual() && !v.isNumber() && !v.isBoolean()) {
        throw ApiException.badRequest(what + ": '" + e.getKey() + "' must be a string, number or boolean but was " + TensorJson.kind(v));
      }
      out.put(e.getKey(), v);
    }
    return out;
  }

  private static Priority priority(Map<String, JsonNode> params) {
    JsonNode p = params.get(PRIORITY_PARAMETER);
    return p == null ? Priority.NORMAL : priority(p.asText());
  }

  /** @return the priority a {@value #PRIORITY_PARAMETER} parameter names */
  static Priority priority(String value) {
    try {
      return Priority.valueOf(value);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("parameters: '" + PRIORITY_PARAMETER + "' must be one of " + Arrays.toString(Priority.values())
          + " but was '" + value + "'");
    }
  }

  /** Writes the fields of an inference response into the object the generator is in. */
  static void writeResponse(JsonGenerator g, String model, String version, @Nullable String id, NamedTensors outputs)
      throws IOException {
    g.writeStringField("model_name", model);
    g.writeStringField("model_version", version);
    if (id != null) {
      g.writeStringField("id", id);
    }
    g.writeArrayFieldStart("outputs");
    for (Map.Entry<String, Tensor> e : outputs) {
      Tensor t = e.getValue();
      g.writeStartObject();
      g.writeStringField("name", e.getKey());
      g.writeStringField("datatype", OipDatatype.of(t.dtype()).name());
      writeShape(g, t.shape());
      g.writeArrayFieldStart("data");
      TensorJson.writeValues(g, t);
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /** Writes {@code "inputs"} or {@code "outputs"}: the protocol's tensor metadata ({@code -1} for a variable dimension). */
  static void writeMetadata(JsonGenerator g, String field, List<TensorSpec> specs) throws IOException {
    g.writeArrayFieldStart(field);
    for (TensorSpec s : specs) {
      g.writeStartObject();
      g.writeStringField("name", s.name());
      g.writeStringField("datatype", OipDatatype.of(s.dtype()).name());
      writeShape(g, s.shape());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void writeShape(JsonGenerator g, Shape shape) throws IOException {
    g.writeArrayFieldStart("shape");
    for (int i = 0; i < shape.rank(); i++) {
      g.writeNumber(shape.dim(i));
    }
    g.writeEndArray();
  }

  private static List<String> names(List<TensorSpec> specs) {
    return specs.stream().map(TensorSpec::name).toList();
  }
}
