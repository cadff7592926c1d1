package dev.jinfer.optimize;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.jinfer.BackendException;
import dev.jinfer.DType;
import dev.jinfer.InvalidInputException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.optimize.proto.Onnx.AttributeProto;
import dev.jinfer.optimize.proto.Onnx.GraphProto;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.NodeProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import dev.jinfer.optimize.proto.Onnx.TensorShapeProto;
import dev.jinfer.optimize.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import org.jspecify.annotations.Nullable;

/**
 * Static int8 quantization in the QDQ format, with activation ranges from calibration inputs: the format ONNX
 * Runtime's own static quantizer writes, and that ONNX Runtime fuses at load into integer kernels
 * ({@code QLinearConv}, {@code QLinearMatMul}, {@code QGemm}).
 *
 * <p>Every Conv, MatMul and Gemm whose weight (second input) is a FLOAT initializer is quantized, except the
 * nodes named in {@link Builder#exclude}: its weight becomes an int8 symmetric initializer behind a
 * {@code DequantizeLinear} (one scale per tensor, or per output channel), its bias an int32 initializer with scale
 * {@code x_scale * w_scale}, and its activation input and its output pass through a
 * {@code QuantizeLinear -> DequantizeLinear} pair (uint8, asymmetric) whose scale and zero point come from the
 * range the tensor took on the calibration inputs. A Relu that is the only consumer of a quantized node's output
 * is folded into that pair (its range starts at 0, so the quantization clamps as the Relu did). Graph outputs stay
 * in float. The range of a tensor is its minimum and maximum ({@link Calibration#MIN_MAX}) or, robust to
 * outliers, the given lower and upper percentiles of its values ({@link Calibration#PERCENTILE}).
 *
 * <pre>{@code
 * StaticQuantizer.newBuilder()
 *     .calibration(NamedTensors.of("images", Npy.read(Path.of("calibration.npy"))))
 *     .method(StaticQuantizer.Calibration.PERCENTILE)
 *     .build()
 *     .quantize(Path.of("cnn.onnx"), Path.of("cnn.qdq.onnx"));
 * }</pre>
 *
 * <p>Calibration runs the float model in ONNX Runtime with the calibrated tensors as extra outputs. Immutable and
 * thread-safe.
 */
public final class StaticQuantizer {
  /** How an activation's range is taken from its calibration values. */
  public enum Calibration {
    /** The smallest and largest value seen. */
    MIN_MAX,
    /** The {@code 100 - p} and {@code p} percentiles of the values seen ({@link Builder#percentile}). */
    PERCENTILE
  }

  private static final Set<String> OPS = Set.of("Conv", "MatMul", "Gemm");
  private static final int MAX_SAMPLES = 1 << 22;

  private final NamedTensors calibration;
  private final Calibration method;
  private final double percentile;
  private final DynamicQuantizer.Granularity granularity;
  private final Set<String> excluded;

  private StaticQuantizer(Builder b) {
    this.calibration = Objects.requireNonNull(b.calibration,
        "calibration: expected calibration inputs (NAME -> rows) but none were set");
    this.method = b.method;
    this.percentile = b.percentile;
    this.granularity = b.granularity;
    this.excluded = Set.copyOf(b.excluded);
  }

  /**
   * A builder: min-max calibration, per-channel weights, nothing excluded; {@link Builder#calibration} is required.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Calibrates and quantizes a model file and writes the result atomically; the input is never modified.
   *
   * @param input the ONNX model
   * @param output where to write the quantized model (not the input)
   * @return the node counts by operator of the quantized model
   * @throws dev.jinfer.ModelLoadException if the input is not an ONNX model
   * @throws InvalidInputException if {@code output} is the input, the opset is below 13, the model has no Conv,
   *     MatMul or Gemm with a constant FLOAT weight left to quantize, or the calibration inputs do not match the
   *     model's inputs (name, FLOAT32 dtype, shape)
   * @throws BackendException if ONNX Runtime fails to run the calibration
   * @throws java.io.UncheckedIOException if writing fails
   */
  public SortedMap<String, Integer> quantize(Path input, Path output) {
    OnnxModels.requireDistinct(input, output);
    ModelProto quantized = quantize(OnnxModels.read(input), input.toString());
    OnnxModels.write(quantized, output);
    return OnnxModels.opCounts(quantized);
  }

  /**
   * Calibrates and quantizes a model in memory.
   *
   * @param model the model
   * @param name how to name the model in error messages
   * @return the quantized model
   * @throws InvalidInputException as {@link #quantize(Path, Path)}
   * @throws BackendException if ONNX Runtime fails to run the calibration
   */
  public ModelProto quantize(ModelProto model, String name) {
    long opset = OnnxModels.defaultOpset(model);
    if (opset < 13) {
      throw new InvalidInputException("model " + name + ": expected ONNX opset 13 or later (per-axis "
          + "DequantizeLinear) but got opset " + opset);
    }
    GraphProto graph = model.getGraph();
    Map<String, TensorProto> inits = new HashMap<>();
    graph.getInitializerList().forEach(t -> inits.put(t.getName(), t));
    Set<String> graphOutputs = new HashSet<>();
    graph.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
    Map<String, List<NodeProto>> consumers = new HashMap<>();
    for (NodeProto n : graph.getNodeList()) {
      for (String in : n.getInputList()) {
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }

    // what to quantize: the nodes, and per activation tensor the tensor whose range it gets
    List<NodeProto> targets = new ArrayList<>();
    Set<NodeProto> foldedRelus = new HashSet<>();
    Map<String, String> outputRange = new LinkedHashMap<>(); // producer output -> tensor calibrated for it
    Set<String> calibrated = new LinkedHashSet<>();
    for (NodeProto n : graph.getNodeList()) {
      if (!quantizable(n, inits) || excluded.contains(n.getName())) {
        continue;
      }
      targets.add(n);
      calibrated.add(n.getInput(0));
      String y = n.getOutput(0);
      if (graphOutputs.contains(y)) {
        continue;
      }
      List<NodeProto> users = consumers.getOrDefault(y, List.of());
      if (users.size() == 1 && users.get(0).getOpType().equals("Relu") && users.get(0).getDomain().isEmpty()
          && !graphOutputs.contains(users.get(0).getOutput(0))) {
        foldedRelus.add(users.get(0));
        outputRange.put(y, users.get(0).getOutput(0));
        calibrated.add(users.get(0).getOutput(0));
      } else {
        outputRange.put(y, y);
        calibrated.add(y);
      }
    }
    if (targets.isEmpty()) {
      throw new InvalidInputException("model " + name + ": expected at least one Conv, MatMul or Gemm with a "
          + "constant FLOAT weight to quantize but found none" + (excluded.isEmpty() ? "" : " (excluded: " + excluded
          + ")"));
    }
    // an input of a quantized node may itself be a quantized output (or a folded Relu's): it is quantized once
    Set<String> quantizedByProducer = new HashSet<>(outputRange.values());
    Map<String, float[]> ranges = calibrate(model, name, calibrated);

    GraphProto.Builder out = graph.toBuilder().clearNode();
    List<TensorProto> added = new ArrayList<>();
    Map<String, String> renamedInputs = new HashMap<>(); // graph-input activation -> its DQ output
    Set<String> graphInputs = new HashSet<>();
    graph.getInputList().forEach(v -> graphInputs.add(v.getName()));
    for (String x : calibrated) {
      if (graphInputs.contains(x) && !inits.containsKey(x)) {
        String dq = x + "_dq";
        qdq(out, added, x, x, dq, ranges.get(x));
        renamedInputs.put(x, dq);
      }
    }
    for (NodeProto n : graph.getNodeList()) {
      if (foldedRelus.contains(n)) {
        continue; // the Q/DQ pair after its producer writes its output
      }
      NodeProto.Builder nb = n.toBuilder();
      for (int i = 0; i < nb.getInputCount(); i++) {
        String r = renamedInputs.get(nb.getInput(i));
        if (r != null) {
          nb.setInput(i, r);
        }
      }
      String y = n.getOutputCount() > 0 ? n.getOutput(0) : "";
      String rangeOf = outputRange.get(y);
      if (targets.contains(n)) {
        quantizeWeights(nb, n, inits, added, out, ranges.get(n.getInput(0)));
      }
      // a tensor calibrated as the input of a quantized node, produced by a node that is not quantized
      boolean inputPair = rangeOf == null && !y.isEmpty() && calibrated.contains(y) && !quantizedByProducer.contains(y)
          && !graphInputs.contains(y);
      if (rangeOf != null || inputPair) {
        String target = rangeOf != null ? rangeOf : y;
        nb.setOutput(0, y + "_float");
        out.addNode(nb);
        qdq(out, added, target, y + "_float", target, ranges.get(target));
      } else {
        out.addNode(nb);
      }
    }
    Set<String> used = new HashSet<>();
    out.getNodeList().forEach(node -> used.addAll(node.getInputList()));
    out.clearInitializer();
    graph.getInitializerList().stream().filter(t -> used.contains(t.getName())).forEach(out::addInitializer);
    out.addAllInitializer(added);
    return model.toBuilder().setGraph(out).build();
  }

  private static boolean quantizable(NodeProto n, Map<String, TensorProto> inits) {
    if (!n.getDomain().isEmpty() || !OPS.contains(n.getOpType()) || n.getInputCount() < 2) {
      return false;
    }
    TensorProto w = inits.get(n.getInput(1));
    if (w == null || w.getDataType() != TensorProto.DataType.FLOAT_VALUE || inits.containsKey(n.getInput(0))) {
      return false;
    }
    return switch (n.getOpType()) {
      case "Conv" -> w.getDimsCount() >= 3;
      case "MatMul" -> w.getDimsCount() == 2;
      default -> w.getDimsCount() == 2 && intAttr(n, "transA", 0) == 0 && floatAttr(n, "alpha", 1f) == 1f
          && floatAttr(n, "beta", 1f) == 1f;
    };
  }

  /** Replaces the weight (and bias) inputs of {@code nb} by DequantizeLinear outputs of int8 (int32) initializers. */
  private void quantizeWeights(NodeProto.Builder nb, NodeProto n, Map<String, TensorProto> inits,
      List<TensorProto> added, GraphProto.Builder out, float[] xRange) {
    TensorProto w = inits.get(n.getInput(1));
    float[] values = OnnxTensors.toFloats(w);
    long[] dims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
    // the output-channel axis: Conv [M, C, kh, kw] and Gemm transB [N, K] -> 0; MatMul and Gemm [K, N] -> 1
    int axis = n.getOpType().equals("Conv") || (n.getOpType().equals("Gemm") && intAttr(n, "transB", 0) != 0) ? 0 : 1;
    int channels = (int) dims[axis];
    int inner = 1;
    for (int d = axis + 1; d < dims.length; d++) {
      inner *= (int) dims[d];
    }
    boolean perChannel = granularity == DynamicQuantizer.Granularity.PER_CHANNEL;
    float[] scales = new float[perChannel ? channels : 1];
    for (int i = 0; i < values.length; i++) {
      int c = perChannel ? (i / inner) % channels : 0;
      scales[c] = Math.max(scales[c], Math.abs(values[i]));
    }
    for (int c = 0; c < scales.length; c++) {
      scales[c] = scales[c] == 0f ? 1f : scales[c] / 127f;
    }
    byte[] q = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      int c = perChannel ? (i / inner) % channels : 0;
      q[i] = (byte) Math.max(-127, Math.min(127, Math.round(values[i] / scales[c])));
    }
    String p = (n.getName().isEmpty() ? n.getOutput(0) : n.getName()) + "_qdq";
    long[] scaleDims = perChannel ? new long[] {channels} : new long[0];
    added.add(OnnxTensors.int8s(p + "_W_q", q, dims));
    added.add(OnnxTensors.floats(p + "_W_scale", scales, scaleDims));
    added.add(OnnxTensors.int8s(p + "_W_zp", new byte[scales.length], scaleDims));
    NodeProto.Builder dq = NodeProto.newBuilder().setOpType("DequantizeLinear").setName(p + "_W_dequantize")
        .addInput(p + "_W_q").addInput(p + "_W_scale").addInput(p + "_W_zp").addOutput(p + "_W");
    if (perChannel) {
      dq.addAttribute(intAttribute("axis", axis));
    }
    out.addNode(dq);
    nb.setInput(1, p + "_W");

    boolean hasBias = !n.getOpType().equals("MatMul") && n.getInputCount() > 2 && !n.getInput(2).isEmpty();
    TensorProto b = hasBias ? inits.get(n.getInput(2)) : null;
    int outChannels = n.getOpType().equals("Conv") ? (int) dims[0] : channels;
    if (b == null || b.getDataType() != TensorProto.DataType.FLOAT_VALUE || b.getDimsCount() != 1
        || b.getDims(0) != outChannels) {
      return; // no bias, or one this quantizer leaves in float
    }
    float xScale = uint8Params(xRange)[0];
    float[] bias = OnnxTensors.toFloats(b);
    float[] bScales = new float[perChannel ? outChannels : 1];
    int[] bq = new int[outChannels];
    for (int c = 0; c < outChannels; c++) {
      float s = xScale * scales[perChannel ? c : 0];
      bScales[perChannel ? c : 0] = s;
      bq[c] = (int) Math.max(Integer.MIN_VALUE + 1L, Math.min(Integer.MAX_VALUE, Math.round((double) bias[c] / s)));
    }
    added.add(int32s(p + "_B_q", bq, outChannels));
    added.add(OnnxTensors.floats(p + "_B_scale", bScales, perChannel ? new long[] {outChannels} : new long[0]));
    added.add(int32s(p + "_B_zp", new int[bScales.length], perChannel ? new long[] {outChannels} : new long[0]));
    NodeProto.Builder bdq = NodeProto.newBuilder().setOpType("DequantizeLinear").setName(p + "_B_dequantize")
        .addInput(p + "_B_q").addInput(p + "_B_scale").addInput(p + "_B_zp").addOutput(p + "_B");
    if (perChannel) {
      bdq.addAttribute(intAttribute("axis", 0));
    }
    out.addNode(bdq);
    nb.setInput(2, p + "_B");
  }

  /** Adds {@code from -> QuantizeLinear -> DequantizeLinear -> to} with uint8 parameters for {@code range}. */
  private static void qdq(GraphProto.Builder out, List<TensorProto> added, String tensor, String from, String to,
      float[] range) {
    float[] params = uint8Params(range);
    String p = tensor + "_act";
    added.add(OnnxTensors.floats(p + "_scale", new float[] {params[0]}));
    added.add(uint8s(p + "_zp", new byte[] {(byte) (int) params[1]}));
    out.addNode(NodeProto.newBuilder().setOpType("QuantizeLinear").setName(p + "_quantize").addInput(from)
        .addInput(p + "_scale").addInput(p + "_zp").addOutput(p + "_q"));
    out.addNode(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(p + "_dequantize").addInput(p + "_q")
        .addInput(p + "_scale").addInput(p + "_zp").addOutput(to));
  }

  /** The uint8 scale and zero point of a range (widened to hold 0, as ONNX Runtime does). */
  static float[] uint8Params(float[] range) {
    float lo = Math.min(range[0], 0f);
    float hi = Math.max(range[1], 0f);
    float scale = (hi - lo) / 255f;
    if (scale == 0f || !Float.isFinite(scale)) {
      return new float[] {1f, 0f};
    }
    float zp = Math.max(0, Math.min(255, Math.round(-lo / scale)));
    return new float[] {scale, zp};
  }

  // ------------------------------------------------------------------ calibration

  private Map<String, float[]> calibrate(ModelProto model, String name, Set<String> tensors) {
    GraphProto graph = model.getGraph();
    Set<String> initNames = new HashSet<>();
    graph.getInitializerList().forEach(t -> initNames.add(t.getName()));
    Map<String, ValueInfoProto> inputs = new LinkedHashMap<>();
    graph.getInputList().stream().filter(v -> !initNames.contains(v.getName())).forEach(v -> inputs.put(v.getName(), v));
    checkCalibration(inputs, name);

    GraphProto.Builder g = graph.toBuilder();
    Set<String> outputs = new HashSet<>();
    graph.getOutputList().forEach(v -> outputs.add(v.getName()));
    for (String t : tensors) {
      if (!outputs.contains(t) && !inputs.containsKey(t)) {
        g.addOutput(OnnxTensors.valueInfo(t, TensorProto.DataType.FLOAT));
        g.getOutputBuilder(g.getOutputCount() - 1).getTypeBuilder().getTensorTypeBuilder().clearShape();
      }
    }
    byte[] bytes = model.toBuilder().setGraph(g).build().toByteArray();
    Map<String, Samples> samples = new LinkedHashMap<>();
    tensors.forEach(t -> samples.put(t, new Samples()));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    long rows = calibration.tensors().get(0).rows();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      try (OrtSession session = env.createSession(bytes, options)) {
        for (long r = 0; r < rows; r += 32) {
          Map<String, OnnxTensor> feed = new HashMap<>();
          try {
            for (Map.Entry<String, Tensor> e : calibration) {
              Tensor t = e.getValue().slice(r, Math.min(rows, r + 32));
              feed.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(t.toFloatArray()), t.shape().toArray()));
            }
            for (String t : tensors) {
              if (feed.containsKey(t)) {
                samples.get(t).add(feed.get(t).getFloatBuffer());
              }
            }
            List<String> fetch = tensors.stream().filter(t -> !feed.containsKey(t)).toList();
            try (OrtSession.Result result = session.run(feed, new LinkedHashSet<>(fetch))) {
              for (String t : fetch) {
                OnnxTensor v = (OnnxTensor) result.get(t).orElseThrow();
                samples.get(t).add(v.getFloatBuffer());
              }
            }
          } finally {
            feed.values().forEach(OnnxTensor::close);
          }
        }
      }
    } catch (OrtException e) {
      throw new BackendException("model " + name + ": ONNX Runtime could not run the calibration inputs: "
          + e.getMessage(), e);
    }
    Map<String, float[]> ranges = new HashMap<>();
    samples.forEach((t, s) -> ranges.put(t, s.range(method, percentile)));
    return ranges;
  }

  private void checkCalibration(Map<String, ValueInfoProto> inputs, String name) {
    for (String n : calibration.names()) {
      if (!inputs.containsKey(n)) {
        throw new InvalidInputException("calibration '" + n + "': expected one of the inputs " + inputs.keySet()
            + " of model " + name + " but it has no input of that name");
      }
    }
    long rows = -1;
    for (Map.Entry<String, ValueInfoProto> e : inputs.entrySet()) {
      Tensor t = calibration.find(e.getKey()).orElseThrow(() -> new InvalidInputException("calibration: expected "
          + "rows for every input " + inputs.keySet() + " of model " + name + " but '" + e.getKey() + "' is missing"));
      if (t.dtype() != DType.FLOAT32) {
        throw new InvalidInputException("calibration '" + e.getKey() + "': expected FLOAT32 values but got "
            + t.dtype());
      }
      TensorShapeProto declared = e.getValue().getType().getTensorType().getShape();
      long[] got = t.shape().toArray();
      boolean fits = got.length == declared.getDimCount() && got.length > 0 && got[0] > 0;
      for (int d = 1; fits && d < got.length; d++) {
        TensorShapeProto.Dimension dim = declared.getDim(d);
        fits = !dim.hasDimValue() || dim.getDimValue() == got[d];
      }
      if (!fits) {
        throw new InvalidInputException("calibration '" + e.getKey() + "': expected shape " + shapeText(declared)
            + " with at least one row but got " + Arrays.toString(got));
      }
      if (rows >= 0 && got[0] != rows) {
        throw new InvalidInputException("calibration '" + e.getKey() + "': expected " + rows + " rows like the other "
            + "inputs but got " + got[0]);
      }
      rows = got[0];
    }
  }

  private static String shapeText(TensorShapeProto shape) {
    List<String> dims = new ArrayList<>();
    shape.getDimList().forEach(d -> dims.add(d.hasDimValue() ? Long.toString(d.getDimValue())
        : d.getDimParam().isEmpty() ? "?" : d.getDimParam()));
    return dims.toString();
  }

  /** The values a tensor took: exact min and max, and a bounded, evenly strided sample for percentiles. */
  private static final class Samples {
    private float min = Float.POSITIVE_INFINITY;
    private float max = Float.NEGATIVE_INFINITY;
    private float[] kept = new float[1024];
    private int size;
    private long seen;

    void add(FloatBuffer values) {
      while (values.hasRemaining()) {
        float v = values.get();
        min = Math.min(min, v);
        max = Math.max(max, v);
        if (seen++ % stride() == 0) {
          if (size == kept.length) {
            kept = Arrays.copyOf(kept, Math.min(MAX_SAMPLES, kept.length * 2));
          }
          if (size < kept.length) {
            kept[size++] = v;
          }
        }
      }
    }

    private long stride() {
      return size < MAX_SAMPLES ? 1 : Math.max(1, seen / MAX_SAMPLES);
    }

    float[] range(Calibration method, double percentile) {
      if (seen == 0) {
        return new float[] {0f, 0f};
      }
      if (method == Calibration.MIN_MAX) {
        return new float[] {min, max};
      }
      float[] sorted = Arrays.copyOf(kept, size);
      Arrays.sort(sorted);
      int lo = (int) Math.floor((100 - percentile) / 100 * (size - 1));
      int hi = (int) Math.ceil(percentile / 100 * (size - 1));
      return new float[] {sorted[lo], sorted[hi]};
    }
  }

  // ------------------------------------------------------------------ helpers

  private static TensorProto int32s(String name, int[] values, long... dims) {
    ByteBuffer raw = ByteBuffer.allocate(values.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    raw.asIntBuffer().put(values);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT32_VALUE)
        .setRawData(com.google.protobuf.ByteString.copyFrom(raw.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static TensorProto uint8s(String name, byte[] values, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.UINT8_VALUE)
        .setRawData(com.google.protobuf.ByteString.copyFrom(values));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static AttributeProto intAttribute(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  private static long intAttr(NodeProto node, String name, long fallback) {
    return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
        .map(AttributeProto::getI).orElse(fallback);
  }

  private static float floatAttr(NodeProto node, String name, float fallback) {
    return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
        .map(AttributeProto::getF).orElse(fallback);
  }

  /** Builds a {@link StaticQuantizer}. Not thread-safe. */
  public static final class Builder {
    private @Nullable NamedTensors calibration;
    private Calibration method = Calibration.MIN_MAX;
    private double percentile = 99.99;
    private DynamicQuantizer.Granularity granularity = DynamicQuantizer.Granularity.PER_CHANNEL;
    private final Set<String> excluded = new HashSet<>();

    private Builder() {}

    /**
     * The calibration inputs: FLOAT32 rows for every input of the model, all with the same row count; required.
     *
     * @param inputs the rows by input name
     * @return this builder
     */
    public Builder calibration(NamedTensors inputs) {
      this.calibration = Objects.requireNonNull(inputs, "calibration");
      return this;
    }

    /**
     * How ranges are taken from the calibration values.
     *
     * @param method min-max or percentile
     * @return this builder
     */
    public Builder method(Calibration method) {
      this.method = Objects.requireNonNull(method, "method");
      return this;
    }

    /**
     * The upper percentile for {@link Calibration#PERCENTILE} (the lower is {@code 100 - p}); default 99.99.
     *
     * @param p in (50, 100]
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder percentile(double p) {
      if (!(p > 50 && p <= 100)) {
        throw new IllegalArgumentException("percentile: expected a value in (50, 100] but got " + p);
      }
      this.percentile = p;
      return this;
    }

    /**
     * Per-tensor or per-channel weight scales; default per channel.
     *
     * @param granularity the granularity
     * @return this builder
     */
    public Builder granularity(DynamicQuantizer.Granularity granularity) {
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
     * @throws NullPointerException if no calibration inputs were set
     */
    public StaticQuantizer build() {
      return new StaticQuantizer(this);
    }
  }
}
