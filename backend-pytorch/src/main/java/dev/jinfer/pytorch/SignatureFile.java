package dev.jinfer.pytorch;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jinfer.DType;
import dev.jinfer.ModelLoadException;
import dev.jinfer.ModelSignature;
import dev.jinfer.Shape;
import dev.jinfer.TensorSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the signature of a TorchScript model, which the file itself does not carry in a form jinfer can
 * read: a small JSON document, either the sidecar file {@code <model file>.signature.json} beside the
 * model or the value of the {@value PytorchBackend#SIGNATURE} property (a path, or the JSON itself).
 *
 * <pre>{@code
 * {
 *   "description": "optional free text",
 *   "inputs":  [{"name": "features", "dtype": "FLOAT32", "shape": [-1, 32]}],
 *   "outputs": [{"name": "probabilities", "dtype": "FLOAT32", "shape": [-1, 2]}],
 *   "metadata": {"optional": "string values"}
 * }
 * }</pre>
 * Inputs are passed to {@code forward} positionally in the listed order; outputs name the model's
 * single tensor, or the elements of its tuple or list, in order. {@code dtype} is a jinfer {@link DType}
 * name (case-insensitive) other than STRING and INT16; {@code -1} marks a dynamic dimension. Unknown fields are
 * errors, so that a typo does not go unnoticed.
 *
 * <p>Stateless and thread-safe.
 */
final class SignatureFile {
  /** The suffix appended to the model file's name to find its sidecar. */
  static final String SUFFIX = ".signature.json";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> TOP_FIELDS = Set.of("description", "inputs", "outputs", "metadata");
  private static final Set<String> SPEC_FIELDS = Set.of("name", "dtype", "shape");

  /**
   * A parsed signature and where it came from.
   *
   * @param signature the inputs and outputs
   * @param metadata the optional {@code description} (as {@code pytorch.description}) and {@code metadata}
   * @param origin the file, or "property pytorch.signature", for messages
   */
  record Parsed(ModelSignature signature, Map<String, String> metadata, String origin) {}

  private SignatureFile() {}

  /**
   * The sidecar path of a model file.
   *
   * @param model the model file
   * @return {@code <model>.signature.json} in the same directory
   */
  static Path sidecarOf(Path model) {
    return model.resolveSibling(model.getFileName() + SUFFIX);
  }

  /**
   * Finds and parses the signature of a model: the property if set, else the sidecar.
   *
   * @param model the model file
   * @param property the value of {@value PytorchBackend#SIGNATURE}, or null
   * @return the signature
   * @throws ModelLoadException naming the file (or property) and the field if it is missing or malformed
   */
  static Parsed load(Path model, @org.jspecify.annotations.Nullable String property) {
    if (property != null) {
      String value = property.trim();
      if (value.startsWith("{")) {
        return parse(value, "property " + PytorchBackend.SIGNATURE);
      }
      if (value.isEmpty()) {
        throw new ModelLoadException("property " + PytorchBackend.SIGNATURE + ": expected a signature file path or JSON but was blank");
      }
      return read(Path.of(value));
    }
    Path sidecar = sidecarOf(model);
    if (!Files.isRegularFile(sidecar)) {
      throw new ModelLoadException("model " + model + ": a TorchScript file carries no input/output names, dtypes or shapes; "
          + "expected them in the sidecar file " + sidecar + " (or in the property " + PytorchBackend.SIGNATURE
          + "), but there is no such file. Format: {\"inputs\": [{\"name\": \"x\", \"dtype\": \"FLOAT32\", \"shape\": [-1, 3]}], "
          + "\"outputs\": [...]}; see backend-pytorch/README.md");
    }
    return read(sidecar);
  }

  private static Parsed read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ModelLoadException("signature file " + file + ": cannot be read: " + e, e);
    }
    return parse(text, "signature file " + file);
  }

  /**
   * Parses a signature document.
   *
   * @param text the JSON
   * @param origin where it came from, for messages
   * @return the signature
   * @throws ModelLoadException naming the origin and the field
   */
  static Parsed parse(String text, String origin) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonParseException e) {
      throw new ModelLoadException(origin + ": not valid JSON: " + e.getOriginalMessage() + " at line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr(), e);
    } catch (JsonProcessingException e) {
      throw new ModelLoadException(origin + ": not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ModelLoadException(origin + ": expected a JSON object with \"inputs\" and \"outputs\" but got "
          + (root == null || root.isMissingNode() ? "nothing" : root.getNodeType()));
    }
    checkFields(root, TOP_FIELDS, origin, "");
    List<TensorSpec> inputs = specs(root, "inputs", origin);
    List<TensorSpec> outputs = specs(root, "outputs", origin);
    if (outputs.isEmpty()) {
      throw new ModelLoadException(origin + ": field \"outputs\": expected at least one output but the list is empty");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    JsonNode description = root.get("description");
    if (description != null) {
      if (!description.isTextual()) {
        throw new ModelLoadException(origin + ": field \"description\": expected a string but got " + description.getNodeType());
      }
      metadata.put("pytorch.description", description.asText());
    }
    JsonNode meta = root.get("metadata");
    if (meta != null) {
      if (!meta.isObject()) {
        throw new ModelLoadException(origin + ": field \"metadata\": expected an object of strings but got " + meta.getNodeType());
      }
      for (Map.Entry<String, JsonNode> e : meta.properties()) {
        if (!e.getValue().isTextual()) {
          throw new ModelLoadException(origin + ": field \"metadata." + e.getKey() + "\": expected a string but got "
              + e.getValue().getNodeType());
        }
        metadata.put(e.getKey(), e.getValue().asText());
      }
    }
    ModelSignature signature;
    try {
      signature = ModelSignature.of(inputs, outputs);
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(origin + ": " + e.getMessage(), e);
    }
    return new Parsed(signature, Collections.unmodifiableMap(metadata), origin);
  }

  private static List<TensorSpec> specs(JsonNode root, String field, String origin) {
    JsonNode list = root.get(field);
    if (list == null) {
      throw new ModelLoadException(origin + ": field \"" + field + "\" is missing; expected a list of "
          + "{\"name\", \"dtype\", \"shape\"} objects");
    }
    if (!list.isArray()) {
      throw new ModelLoadException(origin + ": field \"" + field + "\": expected a list but got " + list.getNodeType());
    }
    List<TensorSpec> specs = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      specs.add(spec(list.get(i), field + "[" + i + "]", origin));
    }
    return specs;
  }

  private static TensorSpec spec(JsonNode node, String where, String origin) {
    if (!node.isObject()) {
      throw new ModelLoadException(origin + ": field \"" + where + "\": expected an object but got " + node.getNodeType());
    }
    checkFields(node, SPEC_FIELDS, origin, where + ".");
    JsonNode name = node.get("name");
    if (name == null || !name.isTextual() || name.asText().isBlank()) {
      throw new ModelLoadException(origin + ": field \"" + where + ".name\": expected a non-empty string but got "
          + (name == null ? "nothing" : name.toString()));
    }
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw new ModelLoadException(origin + ": field \"" + where + ".dtype\": expected one of " + PytorchTensors.SUPPORTED
          + " but got " + (dtypeNode == null ? "nothing" : dtypeNode.toString()));
    }
    DType dtype = dtype(dtypeNode.asText());
    if (dtype == null || !PytorchTensors.SUPPORTED.contains(dtype)) {
      throw new ModelLoadException(origin + ": field \"" + where + ".dtype\": expected one of " + PytorchTensors.SUPPORTED
          + " but got \"" + dtypeNode.asText() + "\"" + (dtype == DType.INT16 ? " (DJL 0.36 cannot pass int16 tensors; "
          + "convert to INT32 in the model)" : dtype == DType.STRING ? " (PyTorch has no string tensors)" : ""));
    }
    JsonNode shape = node.get("shape");
    if (shape == null || !shape.isArray()) {
      throw new ModelLoadException(origin + ": field \"" + where + ".shape\": expected a list of dimensions (-1 for dynamic) but got "
          + (shape == null ? "nothing" : shape.toString()));
    }
    long[] dims = new long[shape.size()];
    for (int d = 0; d < dims.length; d++) {
      JsonNode dim = shape.get(d);
      if (!dim.canConvertToLong() || !dim.isIntegralNumber() || dim.asLong() < -1) {
        throw new ModelLoadException(origin + ": field \"" + where + ".shape[" + d + "]\": expected an integer >= 0, or -1 for "
            + "a dynamic dimension, but got " + dim);
      }
      dims[d] = dim.asLong();
    }
    return new TensorSpec(name.asText(), dtype, Shape.of(dims));
  }

  private static @org.jspecify.annotations.Nullable DType dtype(String name) {
    try {
      return DType.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static void checkFields(JsonNode node, Set<String> known, String origin, String prefix) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
      String f = it.next();
      if (!known.contains(f)) {
        throw new ModelLoadException(origin + ": field \"" + prefix + f + "\" is not a signature field; expected "
            + new java.util.TreeSet<>(known));
      }
    }
  }
}
