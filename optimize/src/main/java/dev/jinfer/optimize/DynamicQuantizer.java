package dev.jinfer.optimize;

import dev.jinfer.InvalidInputException;
import dev.jinfer.optimize.proto.Onnx.AttributeProto;
import dev.jinfer.optimize.proto.Onnx.GraphProto;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.NodeProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Dynamic int8 quantization of the constant weights of MatMul and Gemm nodes, in the form ONNX Runtime's own
 * dynamic mode emits: each quantized node becomes {@code DynamicQuantizeLinear(x)} (activations to uint8 at run
 * time) {@code -> MatMulInteger(x_q, W_q, x_zp, W_zp) -> Cast(float) -> Mul(x_scale * W_scale)} and, for a
 * Gemm with a bias, {@code -> Add(C)}. Weights are symmetric int8 (zero point 0), with one scale per tensor or
 * one per output column ({@link Granularity}).
 *
 * <p>A node is quantized when its second input is a 2-D FLOAT initializer; a Gemm also needs {@code transA = 0},
 * {@code alpha = beta = 1} and a bias, if any, that is an initializer. Other nodes are left as they are, as are
 * the nodes named in {@link Builder#exclude}.
 *
 * <p>Immutable and thread-safe.
 */
public final class DynamicQuantizer {
  /** How many scales a weight gets. */
  public enum Granularity {
    /** One scale for the whole weight. */
    PER_TENSOR,
    /** One scale per output column (per neuron); more accurate, same speed. */
    PER_CHANNEL
  }

  private final Granularity granularity;
  private final Set<String> excluded;

  private DynamicQuantizer(Builder b) {
    this.granularity = b.granularity;
    this.excluded = Set.copyOf(b.excluded);
  }

  /**
   * A builder: per-channel, nothing excluded.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Quantizes a model file and writes the result atomically; the input is never modified.
   *
   * @param input the ONNX model
   * @param output where to write the quantized model (not the input)
   * @return the node counts by operator of the quantized model
   * @throws dev.jinfer.ModelLoadException if the input is not an ONNX model
   * @throws InvalidInputException if {@code output} is the input, the model's opset is below 11, or it has no
   *     MatMul or Gemm with a constant weight left to quantize
   * @throws java.io.UncheckedIOException if writing fails
   */
  public Map<String, Integer> quantize(Path input, Path output) {
    OnnxModels.requireDistinct(input, output);
    ModelProto quantized = quantize(OnnxModels.read(input), input.toString());
    OnnxModels.write(quantized, output);
    return OnnxModels.opCounts(quantized);
  }

  /**
   * Quantizes a model in memory.
   *
   * @param model the model
   * @param name how to name the model in error messages
   * @return the quantized model
   * @throws InvalidInputException if the model's opset is below 11 or it has nothing to quantize
   */
  public ModelProto quantize(ModelProto model, String name) {
    long opset = OnnxModels.defaultOpset(model);
    if (opset < 11) {
      throw new InvalidInputException("model " + name + ": expected ONNX opset 11 or later (DynamicQuantizeLinear, "
          + "MatMulInteger) but got opset " + opset);
    }
    GraphProto graph = model.getGraph();
    Map<String, TensorProto> initializers = new HashMap<>();
    graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
    Set<String> graphInputs = new HashSet<>();
    graph.getInputList().forEach(v -> graphInputs.add(v.getName()));

    GraphProto.Builder out = graph.toBuilder().clearNode();
    List<TensorProto> added = new ArrayList<>();
    int quantized = 0;
    for (NodeProto node : graph.getNodeList()) {
      List<NodeProto> replacement = excluded.contains(node.getName()) ? null
          : rewrite(node, initializers, graphInputs, added, quantized);
      if (replacement == null) {
        out.addNode(node);
      } else {
        out.addAllNode(replacement);
        quantized++;
      }
    }
    if (quantized == 0) {
      throw new InvalidInputException("model " + name + ": expected at least one MatMul or Gemm with a constant 2-D "
          + "FLOAT weight to quantize but found none" + (excluded.isEmpty() ? "" : " (excluded: " + excluded + ")"));
    }
    Set<String> used = new HashSet<>();
    out.getNodeList().forEach(n -> used.addAll(n.getInputList()));
    out.clearInitializer();
    graph.getInitializerList().stream().filter(t -> used.contains(t.getName())).forEach(out::addInitializer);
    out.addAllInitializer(added);
    return model.toBuilder().setGraph(out).build();
  }

  private @Nullable List<NodeProto> rewrite(NodeProto node, Map<String, TensorProto> initializers, Set<String> graphInputs,
      List<TensorProto> added, int index) {
    boolean gemm = node.getOpType().equals("Gemm");
    if (!node.getDomain().isEmpty() || !(gemm || node.getOpType().equals("MatMul")) || node.getInputCount() < 2) {
      return null;
    }
    TensorProto w = initializers.get(node.getInput(1));
    if (w == null || graphInputs.contains(w.getName()) || w.getDimsCount() != 2
        || w.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      return null;
    }
    boolean transB = false;
    String bias = null;
    if (gemm) {
      if (intAttr(node, "transA", 0) != 0 || floatAttr(node, "alpha", 1f) != 1f || floatAttr(node, "beta", 1f) != 1f) {
        return null;
      }
      transB = intAttr(node, "transB", 0) != 0;
      if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
        bias = node.getInput(2);
        if (!initializers.containsKey(bias)) {
          return null;
        }
      }
    }
    int rows = (int) w.getDims(0);
    int cols = (int) w.getDims(1);
    int k = transB ? cols : rows;
    int n = transB ? rows : cols;
    float[] values = OnnxTensors.toFloats(w);
    float[] kn = new float[k * n];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        kn[transB ? j * n + i : i * n + j] = values[i * cols + j];
      }
    }
    int channels = granularity == Granularity.PER_CHANNEL ? n : 1;
    float[] scales = new float[channels];
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < n; c++) {
        int ch = channels == 1 ? 0 : c;
        scales[ch] = Math.max(scales[ch], Math.abs(kn[r * n + c]));
      }
    }
    for (int ch = 0; ch < channels; ch++) {
      scales[ch] = scales[ch] == 0f ? 1f : scales[ch] / 127f;
    }
    byte[] q = new byte[k * n];
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < n; c++) {
        long v = Math.round(kn[r * n + c] / scales[channels == 1 ? 0 : c]);
        q[r * n + c] = (byte) Math.max(-127, Math.min(127, v));
      }
    }
    String p = (node.getName().isEmpty() ? "node" + index : node.getName()) + "_dq";
    long[] scaleDims = channels == 1 ? new long[0] : new long[] {n};
    added.add(OnnxTensors.int8s(p + "_W_q", q, k, n));
    added.add(OnnxTensors.floats(p + "_W_scale", scales, scaleDims));
    added.add(OnnxTensors.int8s(p + "_W_zp", new byte[channels], scaleDims));
    String x = node.getInput(0);
    String y = node.getOutput(0);
    List<NodeProto> nodes = new ArrayList<>();
    nodes.add(NodeProto.newBuilder().setOpType("DynamicQuantizeLinear").setName(p + "_quantize_x").addInput(x)
        .addOutput(p + "_x_q").addOutput(p + "_x_scale").addOutput(p + "_x_zp").build());
    nodes.add(NodeProto.newBuilder().setOpType("MatMulInteger").setName(p + "_matmul").addInput(p + "_x_q")
        .addInput(p + "_W_q").addInput(p + "_x_zp").addInput(p + "_W_zp").addOutput(p + "_y_int").build());
    nodes.add(NodeProto.newBuilder().setOpType("Cast").setName(p + "_cast").addInput(p + "_y_int")
        .addOutput(p + "_y_float").addAttribute(AttributeProto.newBuilder().setName("to")
            .setType(AttributeProto.AttributeType.INT).setI(TensorProto.DataType.FLOAT_VALUE)).build());
    nodes.add(NodeProto.newBuilder().setOpType("Mul").setName(p + "_scale").addInput(p + "_x_scale")
        .addInput(p + "_W_scale").addOutput(p + "_scale").build());
    String scaledOut = bias == null ? y : p + "_y_scaled";
    nodes.add(NodeProto.newBuilder().setOpType("Mul").setName(p + "_rescale").addInput(p + "_y_float")
        .addInput(p + "_scale").addOutput(scaledOut).build());
    if (bias != null) {
      nodes.add(NodeProto.newBuilder().setOpType("Add").setName(p + "_bias").addInput(scaledOut).addInput(bias)
          .addOutput(y).build());
    }
    return nodes;
  }

  private static long intAttr(NodeProto node, String name, long fallback) {
    return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
        .map(AttributeProto::getI).orElse(fallback);
  }

  private static float floatAttr(NodeProto node, String name, float fallback) {
    return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
        .map(AttributeProto::getF).orElse(fallback);
  }

  /** Builds a {@link DynamicQuantizer}. Not thread-safe. */
  public static final class Builder {
    private Granularity granularity = Granularity.PER_CHANNEL;
    private final Set<String> excluded = new HashSet<>();

    private Builder() {}

    /**
     * Per-tensor or per-channel weight scales.
     *
     * @param granularity the granularity
     * @return this builder
     */
    public Builder granularity(Granularity granularity) {
      this.granularity = Objects.requireNonNull(granularity, "granularity");
      return this;
    }

    /**
     * Nodes to leave in float, by node name.
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
     * Builds the quantizer.
     *
     * @return the quantizer
     */
    public DynamicQuantizer build() {
      return new DynamicQuantizer(this);
    }
  }
}
