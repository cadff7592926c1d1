package dev.jinfer.optimize;

import dev.jinfer.InvalidInputException;
import dev.jinfer.optimize.proto.Onnx.AttributeProto;
import dev.jinfer.optimize.proto.Onnx.GraphProto;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.NodeProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Pruning of the weights of MatMul and Gemm nodes (and, unstructured, Conv).
 *
 * <p>{@link Mode#STRUCTURED} removes hidden units: for each chain {@code Gemm/MatMul -> elementwise ops (Relu,
 * ...) -> Gemm/MatMul} whose weights are FLOAT initializers used by that node only, the {@code sparsity} share of
 * the hidden units with the smallest score (the L2 norm of a unit's incoming weights and bias times the L2 norm
 * of its outgoing weights) is dropped: their columns of the first weight and entries of its bias, and their rows
 * of the second weight. The model is really smaller and the matrix products really shorter; its outputs change by
 * what the dropped units contributed (no fine-tuning here: measure with {@link ModelComparison}).
 *
 * <p>{@link Mode#UNSTRUCTURED} sets the {@code sparsity} share of each weight's entries with the smallest
 * magnitude to zero. Dense CPU kernels multiply zeros as fast as any other number and the file stores them, so
 * this mode makes the model <b>neither smaller nor faster</b>; it only shows how much accuracy a sparse kernel or
 * a compressor could keep.
 *
 * <p>Immutable and thread-safe.
 */
public final class Pruner {
  /** What is removed. */
  public enum Mode {
    /** Whole hidden units of Gemm/MatMul chains: a smaller, faster model. */
    STRUCTURED,
    /** Single weights, set to zero: the same size and speed. */
    UNSTRUCTURED
  }

  private static final Set<String> ELEMENTWISE = Set.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu",
      "Softplus", "HardSigmoid", "Gelu", "Identity", "Dropout");

  private final double sparsity;
  private final Mode mode;
  private final Set<String> excluded;

  private Pruner(Builder b) {
    this.sparsity = b.sparsity;
    this.mode = b.mode;
    this.excluded = Set.copyOf(b.excluded);
  }

  /**
   * A builder: structured, sparsity 0.5, nothing excluded.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Prunes a model file and writes the result atomically; the input is never modified.
   *
   * @param input the ONNX model
   * @param output where to write the pruned model (not the input)
   * @return what was pruned
   * @throws dev.jinfer.ModelLoadException if the input is not an ONNX model
   * @throws InvalidInputException if {@code output} is the input or the model has nothing this mode can prune
   * @throws java.io.UncheckedIOException if writing fails
   */
  public Result prune(Path input, Path output) {
    OnnxModels.requireDistinct(input, output);
    ModelProto model = OnnxModels.read(input);
    Map<String, String> layers = new LinkedHashMap<>();
    ModelProto pruned = prune(model, input.toString(), layers);
    OnnxModels.write(pruned, output);
    return new Result(mode, sparsity, Collections.unmodifiableMap(layers), parameters(model), parameters(pruned));
  }

  /**
   * Prunes a model in memory.
   *
   * @param model the model
   * @param name how to name the model in error messages
   * @param layers receives, per pruned weight, what changed (e.g. {@code "1024 -> 512 units"})
   * @return the pruned model
   * @throws InvalidInputException if the model has nothing this mode can prune
   */
  public ModelProto prune(ModelProto model, String name, Map<String, String> layers) {
    GraphProto graph = model.getGraph();
    Map<String, TensorProto> inits = new LinkedHashMap<>();
    graph.getInitializerList().forEach(t -> inits.put(t.getName(), t));
    Map<String, Integer> uses = new HashMap<>();
    Map<String, List<NodeProto>> consumers = new HashMap<>();
    for (NodeProto n : graph.getNodeList()) {
      for (String in : n.getInputList()) {
        uses.merge(in, 1, Integer::sum);
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }
    Set<String> graphOutputs = new HashSet<>();
    graph.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
    if (mode == Mode.UNSTRUCTURED) {
      for (NodeProto n : graph.getNodeList()) {
        if (excluded.contains(n.getName()) || !n.getDomain().isEmpty()
            || !Set.of("MatMul", "Gemm", "Conv").contains(n.getOpType()) || n.getInputCount() < 2) {
          continue;
        }
        TensorProto w = inits.get(n.getInput(1));
        if (w == null || w.getDataType() != TensorProto.DataType.FLOAT_VALUE || layers.containsKey(w.getName())) {
          continue;
        }
        float[] v = OnnxTensors.toFloats(w);
        int zeros = zeroSmallest(v);
        inits.put(w.getName(), OnnxTensors.floats(w.getName(), v, dims(w)));
        layers.put(w.getName(), zeros + " of " + v.length + " weights set to 0");
      }
    } else {
      for (NodeProto first : graph.getNodeList()) {
        NodeProto second = chainEnd(first, consumers, graphOutputs);
        if (second == null || excluded.contains(first.getName()) || !prunable(first, inits, uses)
            || !prunable(second, inits, uses)) {
          continue;
        }
        TensorProto w1 = inits.get(first.getInput(1));
        TensorProto w2 = inits.get(second.getInput(1));
        boolean t1 = transB(first);
        boolean t2 = transB(second);
        int hidden = (int) (t1 ? w1.getDims(0) : w1.getDims(1));
        int hidden2 = (int) (t2 ? w2.getDims(1) : w2.getDims(0));
        @Nullable TensorProto b1 = first.getOpType().equals("Gemm") && first.getInputCount() > 2 && !first.getInput(2).isEmpty()
            ? inits.get(first.getInput(2)) : null;
        boolean biasOk = b1 == null && !(first.getOpType().equals("Gemm") && first.getInputCount() > 2
            && !first.getInput(2).isEmpty())
            || b1 != null && b1.getDataType() == TensorProto.DataType.FLOAT_VALUE && b1.getDimsCount() == 1
            && b1.getDims(0) == hidden && uses.getOrDefault(b1.getName(), 0) == 1;
        int keep = Math.max(1, hidden - (int) Math.round(sparsity * hidden));
        if (hidden != hidden2 || !biasOk || keep == hidden) {
          continue;
        }
        float[] v1 = OnnxTensors.toFloats(w1);
        float[] v2 = OnnxTensors.toFloats(w2);
        float @Nullable [] bias = b1 == null ? null : OnnxTensors.toFloats(b1);
        int[] kept = keptUnits(v1, t1, v2, t2, bias, hidden, keep);
        inits.put(w1.getName(), select(w1, v1, t1 ? 0 : 1, kept));
        inits.put(w2.getName(), select(w2, v2, t2 ? 1 : 0, kept));
        if (b1 != null) {
          inits.put(b1.getName(), select(b1, bias, 0, kept));
        }
        layers.put(first.getName().isEmpty() ? first.getOutput(0) : first.getName(), hidden + " -> " + keep
            + " units");
      }
    }
    if (layers.isEmpty()) {
      throw new InvalidInputException("model " + name + ": expected " + (mode == Mode.STRUCTURED
          ? "a chain Gemm/MatMul -> elementwise ops -> Gemm/MatMul with constant FLOAT weights used once, and "
              + "hidden units to spare at sparsity " + sparsity
          : "a MatMul, Gemm or Conv with a constant FLOAT weight") + " to prune but found none"
          + (excluded.isEmpty() ? "" : " (excluded: " + excluded + ")"));
    }
    GraphProto.Builder out = graph.toBuilder().clearInitializer().clearValueInfo(); // hidden shapes changed
    inits.values().forEach(out::addInitializer);
    return model.toBuilder().setGraph(out).build();
  }

  private static @Nullable NodeProto chainEnd(NodeProto first, Map<String, List<NodeProto>> consumers, Set<String> outputs) {
    if (!isProduct(first)) {
      return null;
    }
    String t = first.getOutput(0);
    for (int steps = 0; steps < 8; steps++) {
      List<NodeProto> users = consumers.getOrDefault(t, List.of());
      if (outputs.contains(t) || users.size() != 1) {
        return null;
      }
      NodeProto next = users.get(0);
      if (isProduct(next)) {
        return next.getInput(0).equals(t) ? next : null;
      }
      if (!next.getDomain().isEmpty() || !ELEMENTWISE.contains(next.getOpType()) || !next.getInput(0).equals(t)) {
        return null;
      }
      t = next.getOutput(0);
    }
    return null;
  }

  private static boolean isProduct(NodeProto n) {
    return n.getDomain().isEmpty() && (n.getOpType().equals("MatMul") || n.getOpType().equals("Gemm"))
        && n.getInputCount() >= 2 && n.getOutputCount() >= 1;
  }

  private static boolean prunable(NodeProto n, Map<String, TensorProto> inits, Map<String, Integer> uses) {
    TensorProto w = inits.get(n.getInput(1));
    return w != null && w.getDataType() == TensorProto.DataType.FLOAT_VALUE && w.getDimsCount() == 2
        && uses.getOrDefault(w.getName(), 0) == 1 && !inits.containsKey(n.getInput(0))
        && (!n.getOpType().equals("Gemm") || intAttr(n, "transA") == 0);
  }

  private static boolean transB(NodeProto n) {
    return n.getOpType().equals("Gemm") && intAttr(n, "transB") != 0;
  }

  /** The units to keep, in their original order: the largest in-norm (with bias) times out-norm. */
  private static int[] keptUnits(float[] w1, boolean t1, float[] w2, boolean t2, float @Nullable [] bias, int hidden, int keep) {
    double[] in = new double[hidden];
    double[] out = new double[hidden];
    int k1 = w1.length / hidden;
    for (int i = 0; i < w1.length; i++) {
      int unit = t1 ? i / k1 : i % hidden;
      in[unit] += (double) w1[i] * w1[i];
    }
    int n2 = w2.length / hidden;
    for (int i = 0; i < w2.length; i++) {
      int unit = t2 ? i % hidden : i / n2;
      out[unit] += (double) w2[i] * w2[i];
    }
    Integer[] order = new Integer[hidden];
    double[] score = new double[hidden];
    for (int u = 0; u < hidden; u++) {
      order[u] = u;
      double b = bias == null ? 0 : bias[u];
      score[u] = Math.sqrt(in[u] + b * b) * Math.sqrt(out[u]);
    }
    Arrays.sort(order, (x, y) -> Double.compare(score[y], score[x]));
    int[] kept = new int[keep];
    for (int i = 0; i < keep; i++) {
      kept[i] = order[i];
    }
    Arrays.sort(kept);
    return kept;
  }

  /** The tensor with only the given indices along {@code axis} (of a 1-D or 2-D tensor). */
  private static TensorProto select(TensorProto t, float[] v, int axis, int[] kept) {
    long[] dims = dims(t);
    if (dims.length == 1) {
      float[] r = new float[kept.length];
      for (int i = 0; i < kept.length; i++) {
        r[i] = v[kept[i]];
      }
      return OnnxTensors.floats(t.getName(), r, kept.length);
    }
    int rows = (int) dims[0];
    int cols = (int) dims[1];
    if (axis == 0) {
      float[] r = new float[kept.length * cols];
      for (int i = 0; i < kept.length; i++) {
        System.arraycopy(v, kept[i] * cols, r, i * cols, cols);
      }
      return OnnxTensors.floats(t.getName(), r, kept.length, cols);
    }
    float[] r = new float[rows * kept.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < kept.length; j++) {
        r[i * kept.length + j] = v[i * cols + kept[j]];
      }
    }
    return OnnxTensors.floats(t.getName(), r, rows, kept.length);
  }

  private int zeroSmallest(float[] v) {
    int zeros = (int) Math.round(sparsity * v.length);
    if (zeros == 0) {
      return 0;
    }
    float[] mags = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      mags[i] = Math.abs(v[i]);
    }
    Arrays.sort(mags);
    float threshold = mags[zeros - 1];
    int done = 0;
    for (int i = 0; i < v.length && done < zeros; i++) {
      if (Math.abs(v[i]) < threshold) {
        v[i] = 0f;
        done++;
      }
    }
    for (int i = 0; i < v.length && done < zeros; i++) {
      if (Math.abs(v[i]) == threshold && v[i] != 0f) {
        v[i] = 0f;
        done++;
      }
    }
    return done;
  }

  private static long[] dims(TensorProto t) {
    return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  private static long intAttr(NodeProto node, String name) {
    return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
        .map(AttributeProto::getI).orElse(0L);
  }

  private static long parameters(ModelProto model) {
    long n = 0;
    for (TensorProto t : model.getGraph().getInitializerList()) {
      long e = 1;
      for (long d : t.getDimsList()) {
        e *= d;
      }
      n += e;
    }
    return n;
  }

  /**
   * What a pruning did.
   *
   * @param mode structured or unstructured
   * @param sparsity the share pruned
   * @param layers per pruned layer (node name) or weight (initializer name), what changed
   * @param parametersBefore initializer elements before
   * @param parametersAfter initializer elements after (the same for unstructured pruning: zeros are stored)
   */
  public record Result(Mode mode, double sparsity, Map<String, String> layers, long parametersBefore,
      long parametersAfter) {}

  /** Builds a {@link Pruner}. Not thread-safe. */
  public static final class Builder {
    private double sparsity = 0.5;
    private Mode mode = Mode.STRUCTURED;
    private final Set<String> excluded = new HashSet<>();

    private Builder() {}

    /**
     * The share of hidden units (structured) or of weights (unstructured) to remove.
     *
     * @param sparsity in (0, 1)
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder sparsity(double sparsity) {
      if (!(sparsity > 0 && sparsity < 1)) {
        throw new IllegalArgumentException("sparsity: expected a share in (0, 1) but got " + sparsity);
      }
      this.sparsity = sparsity;
      return this;
    }

    /**
     * Structured or unstructured.
     *
     * @param mode the mode
     * @return this builder
     */
    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * Nodes to leave alone, by node name (structured: the first node of a chain; unstructured: the node).
     *
     * @param nodeNames the names
     * @return this builder
     */
    public Builder exclude(String... nodeNames) {
      for (String n : nodeNames) {
        excluded.add(Objects.requireNonNull(n, "node name"));
      }
      return this;
    }

    /**
     * Builds the pruner.
     *
     * @return the pruner
     */
    public Pruner build() {
      return new Pruner(this);
    }
  }
}
