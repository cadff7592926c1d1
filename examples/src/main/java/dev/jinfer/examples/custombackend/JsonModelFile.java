package dev.jinfer.examples.custombackend;

import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.io.Npy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@code .jmodel.json} file into a {@link JsonModelSession}: the signature, the ops in order,
 * and the weights (inline, or {@code .npy} files beside the JSON). Checks everything it can before the
 * first call: each op reads only names defined before it, every output is produced, weights have the
 * shapes the layer needs. Stateless and thread-safe.
 */
final class JsonModelFile {
  /** The only value of the {@code format} key this reader understands. */
  static final String FORMAT = "jmodel/1";

  private JsonModelFile() {}

  /**
   * Reads and checks a model.
   *
   * @param path the {@code .jmodel.json} file
   * @return the loaded session
   * @throws IOException if the file or a weight file cannot be read
   * @throws IllegalArgumentException if the file is not a valid model; the message says where and why
   */
  static JsonModelSession read(Path path) throws IOException {
    Object root = MiniJson.parse(Files.readString(path, StandardCharsets.UTF_8));
    Map<String, Object> model = object(root, "the document");
    Object format = model.get("format");
    if (!FORMAT.equals(format)) {
      throw new IllegalArgumentException("key 'format': expected \"" + FORMAT + "\" but got " + format);
    }
    List<TensorSpec> inputs = specs(model, "inputs");
    List<TensorSpec> outputs = specs(model, "outputs");
    Set<String> defined = new HashSet<>();
    for (TensorSpec s : inputs) {
      defined.add(s.name());
    }
    List<Op> ops = new ArrayList<>();
    Path dir = path.toAbsolutePath().getParent();
    int i = 0;
    for (Object o : array(model.get("ops"), "key 'ops'")) {
      Op op = op(object(o, "ops[" + i + "]"), "ops[" + i + "]", dir);
      for (String in : op.inputs()) {
        if (!defined.contains(in)) {
          throw new IllegalArgumentException("ops[" + i + "]: expected inputs defined earlier but '" + in + "' is not");
        }
      }
      defined.add(op.output());
      ops.add(op);
      i++;
    }
    for (TensorSpec s : outputs) {
      if (!defined.contains(s.name())) {
        throw new IllegalArgumentException("output '" + s.name() + "': expected an op or input that produces it but none does");
      }
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", FORMAT);
    if (model.get("description") instanceof String d) {
      metadata.put("description", d);
    }
    return new JsonModelSession(ModelSignature.of(inputs, outputs), ops, metadata);
  }

  private static List<TensorSpec> specs(Map<String, Object> model, String key) {
    List<TensorSpec> specs = new ArrayList<>();
    int i = 0;
    for (Object o : array(model.get(key), "key '" + key + "'")) {
      String where = key + "[" + i++ + "]";
      Map<String, Object> spec = object(o, where);
      String name = string(spec.get("name"), where + ".name");
      String dtypeName = string(spec.get("dtype"), where + ".dtype");
      DType dtype;
      try {
        dtype = DType.valueOf(dtypeName.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ".dtype: expected one of " + List.of(DType.values()) + " but got " + dtypeName, e);
      }
      List<Object> dims = array(spec.get("shape"), where + ".shape");
      long[] shape = new long[dims.size()];
      for (int d = 0; d < shape.length; d++) {
        shape[d] = integer(dims.get(d), where + ".shape[" + d + "]");
      }
      specs.add(TensorSpec.of(name, dtype, shape));
    }
    return specs;
  }

  private static Op op(Map<String, Object> op, String where, Path dir) throws IOException {
    String kind = string(op.get("op"), where + ".op");
    List<String> inputs = new ArrayList<>();
    for (Object o : array(op.get("inputs"), where + ".inputs")) {
      inputs.add(string(o, where + ".inputs[]"));
    }
    String output = string(op.get("output"), where + ".output");
    int arity = switch (kind) {
      case "add", "rowdot" -> 2;
      default -> 1;
    };
    if (inputs.size() != arity) {
      throw new IllegalArgumentException(where + ": expected " + arity + " input(s) for op '" + kind + "' but got " + inputs.size());
    }
    List<String> in = List.copyOf(inputs);
    switch (kind) {
      case "dense": {
        Tensor w = weight(op.get("weight"), where + ".weight", dir);
        Tensor b = weight(op.get("bias"), where + ".bias", dir);
        if (w.shape().rank() != 2 || b.shape().rank() != 1 || b.shape().dim(0) != w.shape().dim(0)) {
          throw new IllegalArgumentException(where + ": expected weight [out, in] and bias [out] but got weight "
              + w.shape() + " and bias " + b.shape());
        }
        return new Op.Dense(in, output, w.toFloatArray(), b.toFloatArray(), (int) w.shape().dim(1), (int) w.shape().dim(0));
      }
      case "relu":
        return new Op.Relu(in, output);
      case "softmax":
        return new Op.Softmax(in, output);
      case "identity":
        return new Op.Identity(in, output);
      case "add":
        return new Op.Add(in, output);
      case "rowdot":
        return new Op.RowDot(in, output);
      case "argmax":
        return new Op.ArgMax(in, output);
      default:
        throw new IllegalArgumentException(where + ".op: expected one of dense, relu, softmax, identity, add, rowdot, argmax but got '"
            + kind + "'");
    }
  }

  /** A FLOAT32 weight: a file name of a {@code .npy} beside the model, or inline numbers (a list, or a list of rows). */
  private static Tensor weight(Object value, String where, Path dir) throws IOException {
    if (value instanceof String file) {
      Path npy = dir.resolve(file).normalize();
      if (!npy.startsWith(dir) || !Files.isRegularFile(npy)) {
        throw new IllegalArgumentException(where + ": expected a .npy file in " + dir + " but got '" + file + "'");
      }
      Tensor t = Npy.read(npy);
      if (t.dtype() != DType.FLOAT32) {
        throw new IllegalArgumentException(where + ": expected FLOAT32 in " + npy + " but got " + t.dtype());
      }
      return t;
    }
    List<Object> list = array(value, where);
    if (!list.isEmpty() && list.get(0) instanceof List) {
      int cols = -1;
      List<Float> flat = new ArrayList<>();
      for (Object row : list) {
        List<Object> r = array(row, where + "[]");
        if (cols >= 0 && r.size() != cols) {
          throw new IllegalArgumentException(where + ": expected rows of " + cols + " numbers but got one of " + r.size());
        }
        cols = r.size();
        for (Object v : r) {
          flat.add(number(v, where));
        }
      }
      return Tensor.ofFloats(floats(flat), list.size(), cols);
    }
    List<Float> flat = new ArrayList<>();
    for (Object v : list) {
      flat.add(number(v, where));
    }
    return Tensor.ofFloats(floats(flat), flat.size());
  }

  private static float[] floats(List<Float> values) {
    float[] f = new float[values.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = values.get(i);
    }
    return f;
  }

  @SuppressWarnings("unchecked") // MiniJson builds objects as Map<String, Object>
  private static Map<String, Object> object(Object value, String where) {
    if (value instanceof Map) {
      return (Map<String, Object>) value;
    }
    throw new IllegalArgumentException(where + ": expected a JSON object but got " + describe(value));
  }

  @SuppressWarnings("unchecked") // MiniJson builds arrays as List<Object>
  private static List<Object> array(Object value, String where) {
    if (value instanceof List) {
      return (List<Object>) value;
    }
    throw new IllegalArgumentException(where + ": expected a JSON array but got " + describe(value));
  }

  private static String string(Object value, String where) {
    if (value instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException(where + ": expected a string but got " + describe(value));
  }

  private static float number(Object value, String where) {
    if (value instanceof Double d) {
      return d.floatValue();
    }
    throw new IllegalArgumentException(where + ": expected a number but got " + describe(value));
  }

  private static long integer(Object value, String where) {
    if (value instanceof Double d && d == Math.rint(d) && d >= -1 && d <= Integer.MAX_VALUE) {
      return d.longValue();
    }
    throw new IllegalArgumentException(where + ": expected an integer >= -1 but got " + describe(value));
  }

  private static String describe(Object value) {
    if (value == null) {
      return "nothing (missing)";
    }
    return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
  }
}
