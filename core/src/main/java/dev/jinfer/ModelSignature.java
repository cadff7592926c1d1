package dev.jinfer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A model's input and output specs, as read from the engine at load time. Every request is checked
 * against it ({@link #validate}) before any native call, so a malformed request never reaches the
 * engine.
 *
 * <p>Immutable and thread-safe.
 */
public final class ModelSignature {
  private final Map<String, TensorSpec> inputs;
  private final Map<String, TensorSpec> outputs;
  /** {@link #inputs} and {@link #outputs} as lists, made once: every request reads them, and a copy per call cost an array. */
  private final List<TensorSpec> inputList;
  private final List<TensorSpec> outputList;
  /** The output names, made once: every request that asks for all outputs reads them. */
  private final List<String> outputNameList;

  private ModelSignature(Map<String, TensorSpec> inputs, Map<String, TensorSpec> outputs) {
    this.inputs = inputs;
    this.outputs = outputs;
    this.inputList = List.copyOf(inputs.values());
    this.outputList = List.copyOf(outputs.values());
    this.outputNameList = List.copyOf(outputs.keySet());
  }

  /**
   * Creates a signature.
   *
   * @param inputs the input specs in the engine's order, names unique
   * @param outputs the output specs in the engine's order, names unique
   * @return the signature
   * @throws IllegalArgumentException if a name repeats or there is no output
   */
  public static ModelSignature of(List<TensorSpec> inputs, List<TensorSpec> outputs) {
    if (outputs.isEmpty()) {
      throw new IllegalArgumentException("a model signature needs at least one output");
    }
    return new ModelSignature(index(inputs, "input"), index(outputs, "output"));
  }

  private static Map<String, TensorSpec> index(List<TensorSpec> specs, String kind) {
    LinkedHashMap<String, TensorSpec> m = new LinkedHashMap<>();
    for (TensorSpec s : specs) {
      if (m.put(s.name(), s) != null) {
        throw new IllegalArgumentException(kind + " name '" + s.name() + "' appears twice");
      }
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * The input specs in order.
   *
   * @return an unmodifiable list
   */
  public List<TensorSpec> inputs() {
    return inputList;
  }

  /**
   * The output specs in order.
   *
   * @return an unmodifiable list
   */
  public List<TensorSpec> outputs() {
    return outputList;
  }

  /**
   * One input spec.
   *
   * @param name the input name
   * @return the spec, or empty
   */
  public Optional<TensorSpec> input(String name) {
    return Optional.ofNullable(inputs.get(name));
  }

  /**
   * One output spec.
   *
   * @param name the output name
   * @return the spec, or empty
   */
  public Optional<TensorSpec> output(String name) {
    return Optional.ofNullable(outputs.get(name));
  }

  /**
   * The output names in order.
   *
   * @return an unmodifiable list
   */
  public List<String> outputNames() {
    return outputNameList;
  }

  /**
   * Checks a request against the signature: every input present and known, dtype, rank and fixed
   * dimensions as specified (a dynamic dimension takes any size, 0 included: a zero-row batch
   * {@code [0, 32]} is a legal request whose outputs have 0 rows), and every requested output known.
   * NaN and infinities are accepted unless {@code rejectNonFinite} is set.
   *
   * @param request the inputs
   * @param outputNames the outputs asked for (empty means all)
   * @param rejectNonFinite whether a NaN or infinite float element is an error
   * @throws InvalidInputException naming the first offending input, what was expected and what came
   */
  public void validate(NamedTensors request, List<String> outputNames, boolean rejectNonFinite) {
    if (request == null) {
      throw new InvalidInputException("inputs: expected named tensors " + describe(inputs) + " but got null");
    }
    if (outputNames == null) {
      throw new InvalidInputException("outputs: expected a list of output names (empty for all) but got null");
    }
    for (Map.Entry<String, Tensor> e : request) {
      TensorSpec spec = inputs.get(e.getKey());
      if (spec == null) {
        throw new InvalidInputException("input '" + e.getKey() + "': unknown; expected one of " + describe(inputs));
      }
      check(spec, e.getValue(), rejectNonFinite);
    }
    if (request.size() != inputs.size()) {
      for (TensorSpec spec : inputs.values()) {
        if (!request.contains(spec.name())) {
          throw new InvalidInputException("input '" + spec.name() + "': missing; expected " + spec.dtype() + " "
              + spec.shape() + " but got no tensor");
        }
      }
    }
    for (int i = 0; i < outputNames.size(); i++) {
      String out = outputNames.get(i);
      if (out == null || !outputs.containsKey(out)) {
        throw new InvalidInputException("output '" + out + "': unknown; expected one of " + describe(outputs));
      }
      if (outputNames.indexOf(out) != i) {
        throw new InvalidInputException("output '" + out + "': expected each output at most once but it is asked for twice");
      }
    }
  }

  private static void check(TensorSpec spec, Tensor t, boolean rejectNonFinite) {
    if (t.dtype() != spec.dtype() || !spec.shape().accepts(t.shape())) {
      throw new InvalidInputException("input '" + spec.name() + "': expected " + spec.dtype() + " " + spec.shape()
          + " but got " + t.dtype() + " " + t.shape());
    }
    if (rejectNonFinite && t.dtype().isFloatingPoint()) {
      int bad = firstNonFinite(t);
      if (bad >= 0) {
        throw new InvalidInputException("input '" + spec.name() + "': expected finite values but element " + bad
            + " is " + (t.dtype() == DType.FLOAT64 ? t.getDouble(bad) : t.getFloat(bad)));
      }
    }
  }

  private static int firstNonFinite(Tensor t) {
    int n = t.elementCount();
    for (int i = 0; i < n; i++) {
      boolean finite = t.dtype() == DType.FLOAT64 ? Double.isFinite(t.getDouble(i)) : Float.isFinite(t.getFloat(i));
      if (!finite) {
        return i;
      }
    }
    return -1;
  }

  private static String describe(Map<String, TensorSpec> specs) {
    return specs.values().stream().map(TensorSpec::toString).collect(Collectors.joining(", ", "[", "]"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSignature && inputList.equals(((ModelSignature) o).inputList)
        && outputList.equals(((ModelSignature) o).outputList);
  }

  @Override
  public int hashCode() {
    return 31 * inputs.hashCode() + outputs.hashCode();
  }

  /** Formats as {@code (features: FLOAT32 [-1, 32]) -> (probabilities: FLOAT32 [-1, 2])}. */
  @Override
  public String toString() {
    return describe(inputs) + " -> " + describe(outputs);
  }
}
