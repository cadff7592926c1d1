package dev.jinfer.tensorflow;

import dev.jinfer.DType;
import dev.jinfer.Device;
import dev.jinfer.ModelLoadException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.spi.BackendSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * One SavedModel loaded into a TensorFlow session, served through one of its signatures. Core validates
 * every request before {@link #run} and closes this only once no call is in flight. TensorFlow's
 * {@code Session.run} is thread-safe, so every caller shares the one session.
 */
final class TensorflowModelSession implements BackendSession {
  /** The ops that hold variables, whose values a SavedModel keeps under {@code variables/}. */
  private static final Set<String> VARIABLE_OPS = Set.of("VariableV2", "Variable", "VarHandleOp");

  private final SavedModelBundle bundle;
  private final Session session;
  private final ModelSignature signature;
  private final Map<String, String> metadata;
  private final Device device;
  private final Map<String, Output<?>> feeds;
  private final Map<String, Output<?>> fetches;
  private final Map<String, DType> outputTypes;
  /**
   * {@code inter_op_thread_pool = -1}: run the graph's ops on the calling thread. With a one-thread inter-op
   * pool there is no op-level parallelism to lose, and every call would otherwise hand its graph to that one
   * pool thread and wait (concurrent callers then queue behind it).
   */
  private static final RunOptions INLINE = RunOptions.newBuilder().setInterOpThreadPool(-1).build();

  private final AtomicBoolean closed = new AtomicBoolean();
  /** Set when the session has one inter-op thread: the graph then runs on the caller's thread (see run). */
  private final @Nullable RunOptions inline;

  private TensorflowModelSession(SavedModelBundle bundle, ModelSignature signature, Map<String, String> metadata,
      Device device, Map<String, Output<?>> feeds, Map<String, Output<?>> fetches, @Nullable RunOptions inline) {
    this.bundle = bundle;
    this.inline = inline;
    this.session = bundle.session();
    this.signature = signature;
    this.metadata = metadata;
    this.device = device;
    this.feeds = feeds;
    this.fetches = fetches;
    this.outputTypes = new HashMap<>();
    for (TensorSpec spec : signature.outputs()) {
      outputTypes.put(spec.name(), spec.dtype());
    }
  }

  /**
   * Loads the SavedModel and reads the chosen signature; on any failure closes whatever it created.
   *
   * @param dir the SavedModel directory
   * @param config the settings
   * @param tfVersion TensorFlow's version, for the metadata
   * @return the loaded model
   * @throws ModelLoadException if the tags or the signature are not in the SavedModel, its variables are
   *     missing, or the signature has an input or output jinfer cannot pass
   * @throws TensorFlowException if TensorFlow rejects the SavedModel (corrupt or unsupported)
   */
  static TensorflowModelSession open(Path dir, TensorflowConfig config, String tfVersion) {
    SavedModelBundle bundle;
    try {
      bundle = SavedModelBundle.loader(dir.toString())
          .withTags(config.tags().toArray(new String[0]))
          .withConfigProto(config.configProto())
          .load();
    } catch (TensorFlowException e) {
      throw explainLoadFailure(dir, config, e);
    }
    try {
      requireVariables(dir, bundle.metaGraphDef());
      Signature sig = findSignature(dir, config, bundle);
      Graph graph = bundle.graph();
      Map<String, Output<?>> feeds = new LinkedHashMap<>();
      Map<String, Output<?>> fetches = new LinkedHashMap<>();
      SignatureDef def = bundle.metaGraphDef().getSignatureDefOrThrow(sig.key());
      List<TensorSpec> inputs = specs(def.getInputsMap(), "input", sig.key(), graph, feeds);
      List<TensorSpec> outputs = specs(def.getOutputsMap(), "output", sig.key(), graph, fetches);
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("tensorflow.version", tfVersion);
      metadata.put("tensorflow.tags", String.join(",", config.tags()));
      metadata.put("tensorflow.signature", sig.key());
      String method = sig.methodName();
      if (method != null && !method.isEmpty()) {
        metadata.put("tensorflow.method_name", method);
      }
      metadata.put("tensorflow.signatures", String.join(",", signatureKeys(bundle)));
      metadata.put("tensorflow.default_signature", TensorflowBackend.DEFAULT_SIGNATURE);
      for (Map.Entry<String, SignatureDef> e : new TreeMap<>(bundle.metaGraphDef().getSignatureDefMap()).entrySet()) {
        metadata.put("tensorflow.signature." + e.getKey(), describe(e.getValue()));
      }
      String producer = bundle.metaGraphDef().getMetaInfoDef().getTensorflowVersion();
      if (!producer.isEmpty()) {
        metadata.put("tensorflow.producer_version", producer);
      }
      return new TensorflowModelSession(bundle, ModelSignature.of(inputs, outputs), Collections.unmodifiableMap(metadata),
          config.device(), Collections.unmodifiableMap(feeds), Collections.unmodifiableMap(fetches),
          config.interOpThreads() == 1 ? INLINE : null);
    } catch (RuntimeException | Error e) {
      try {
        bundle.close();
      } catch (RuntimeException closeFailure) {
        e.addSuppressed(closeFailure);
      }
      throw e;
    }
  }

  private static RuntimeException explainLoadFailure(Path dir, TensorflowConfig config, TensorFlowException e) {
    String message = String.valueOf(e.getMessage());
    if (message.contains("Could not find meta graph def matching supplied tags")) {
      return new ModelLoadException("SavedModel " + dir + ": no meta graph with tags " + config.tags() + "; available tag sets: "
          + tagSets(dir) + " (choose with property " + TensorflowBackend.TAGS + ", e.g. serve,gpu)", e);
    }
    return new ModelLoadException("SavedModel " + dir + ": TensorFlow could not load " + dir.resolve(TensorflowBackend.SAVED_MODEL_PB)
        + " (tags " + config.tags() + "): " + message, e);
  }

  /**
   * The tag sets of the SavedModel's meta graphs, read from {@code saved_model.pb}, for error messages.
   *
   * @param dir the SavedModel directory
   * @return e.g. {@code [[serve]]}, or a note if the file cannot be read
   */
  static String tagSets(Path dir) {
    try (InputStream in = Files.newInputStream(dir.resolve(TensorflowBackend.SAVED_MODEL_PB))) {
      SavedModel model = SavedModel.parseFrom(in);
      List<List<String>> sets = new ArrayList<>();
      for (MetaGraphDef meta : model.getMetaGraphsList()) {
        sets.add(meta.getMetaInfoDef().getTagsList());
      }
      return sets.toString();
    } catch (IOException | RuntimeException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  /**
   * TensorFlow restores nothing, and says so only in its log, when {@code variables/} is missing; every
   * call would then fail on an uninitialized variable. Fail the load instead.
   */
  private static void requireVariables(Path dir, MetaGraphDef meta) {
    List<String> variables = new ArrayList<>();
    for (NodeDef node : meta.getGraphDef().getNodeList()) {
      if (VARIABLE_OPS.contains(node.getOp())) {
        variables.add(node.getName());
      }
    }
    Path index = dir.resolve("variables").resolve("variables.index");
    if (!variables.isEmpty() && !Files.isRegularFile(index)) {
      throw new ModelLoadException("SavedModel " + dir + ": the graph has " + variables.size() + " variable(s) "
          + (variables.size() > 5 ? variables.subList(0, 5) + "..." : variables) + " but " + index
          + " is missing; copy the whole SavedModel directory, variables/ included");
    }
  }

  private static Signature findSignature(Path dir, TensorflowConfig config, SavedModelBundle bundle) {
    for (Signature s : bundle.signatures()) {
      if (s.key().equals(config.signatureKey())) {
        return s;
      }
    }
    throw new ModelLoadException("SavedModel " + dir + ": no signature '" + config.signatureKey() + "' in the meta graph tagged "
        + config.tags() + "; available: " + signatureKeys(bundle) + " (choose with property " + TensorflowBackend.SIGNATURE + ")");
  }

  private static Set<String> signatureKeys(SavedModelBundle bundle) {
    Set<String> keys = new TreeSet<>();
    for (Signature s : bundle.signatures()) {
      keys.add(s.key());
    }
    return keys;
  }

  /**
   * One signature's inputs and outputs as one line, sorted by name, read from the SignatureDef alone (nothing
   * is resolved, so a signature jinfer cannot serve is described too): {@code inputs: features FLOAT32 [-1, 32];
   * outputs: logits FLOAT32 [-1, 2]}. A dtype jinfer has no counterpart for keeps TensorFlow's name.
   */
  static String describe(SignatureDef def) {
    return "inputs: " + describe(def.getInputsMap()) + "; outputs: " + describe(def.getOutputsMap());
  }

  private static String describe(Map<String, TensorInfo> tensors) {
    if (tensors.isEmpty()) {
      return "(none)";
    }
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, TensorInfo> e : new TreeMap<>(tensors).entrySet()) {
      TensorInfo info = e.getValue();
      DType dtype = TensorflowTensors.dtype(info.getDtype());
      String type = dtype != null ? dtype.toString() : info.getDtype().toString();
      TensorShapeProto shape = info.getTensorShape();
      String dims;
      if (shape.getUnknownRank()) {
        dims = "[unknown rank]";
      } else {
        long[] d = new long[shape.getDimCount()];
        for (int i = 0; i < d.length; i++) {
          d[i] = Math.max(-1, shape.getDim(i).getSize());
        }
        dims = Arrays.toString(d);
      }
      parts.add(e.getKey() + " " + type + " " + dims);
    }
    return String.join(", ", parts);
  }

  /**
   * Specs sorted by name (a SignatureDef's maps have no order), with each tensor resolved in the graph.
   * Read from the SignatureDef itself, which says whether a shape's rank is unknown.
   */
  private static List<TensorSpec> specs(Map<String, TensorInfo> described, String kind, String key, Graph graph,
      Map<String, Output<?>> resolved) {
    List<TensorSpec> specs = new ArrayList<>();
    for (Map.Entry<String, TensorInfo> e : new TreeMap<>(described).entrySet()) {
      String name = e.getKey();
      TensorInfo info = e.getValue();
      String where = kind + " '" + name + "' of signature '" + key + "' (tensor " + info.getName() + ")";
      if (info.getName().isEmpty()) {
        throw new ModelLoadException(where + ": only dense tensors are supported, but it is "
            + info.getEncodingCase().toString().toLowerCase(java.util.Locale.ROOT));
      }
      DType dtype = TensorflowTensors.dtype(info.getDtype());
      if (dtype == null) {
        throw new ModelLoadException(where + ": element type " + info.getDtype() + " is not supported: "
            + TensorflowTensors.whyUnsupported(info.getDtype()));
      }
      TensorShapeProto shape = info.getTensorShape();
      if (shape.getUnknownRank()) {
        throw new ModelLoadException(where + ": the signature gives no rank (unknown shape); jinfer needs the rank of every "
            + "tensor: export the model with a shape on the placeholder, e.g. [-1, 32]");
      }
      long[] dims = new long[shape.getDimCount()];
      for (int i = 0; i < dims.length; i++) {
        long d = shape.getDim(i).getSize();
        dims[i] = d < 0 ? Shape.DYNAMIC : d;
      }
      specs.add(new TensorSpec(name, dtype, Shape.of(dims)));
      resolved.put(name, output(graph, info.getName(), where));
    }
    return specs;
  }

  private static Output<?> output(Graph graph, String tensorName, String where) {
    int colon = tensorName.lastIndexOf(':');
    String op = colon < 0 ? tensorName : tensorName.substring(0, colon);
    int index = 0;
    if (colon >= 0) {
      try {
        index = Integer.parseInt(tensorName.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new ModelLoadException(where + ": tensor name " + tensorName + " is not of the form op:index", e);
      }
    }
    GraphOperation operation = graph.operation(op);
    if (operation == null || index >= operation.numOutputs()) {
      throw new ModelLoadException(where + ": the graph has no tensor " + tensorName);
    }
    return operation.output(index);
  }

  @Override
  public ModelSignature signature() {
    return signature;
  }

  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public Device device() {
    return device;
  }

  /**
   * Feeds every input, fetches the outputs asked for and copies them out. Each TensorFlow tensor made for
   * the call, and the {@link Result}, is closed before returning, on every path.
   */
  @Override
  public NamedTensors run(NamedTensors inputs, List<String> outputNames) {
    List<org.tensorflow.Tensor> fed = new ArrayList<>(inputs.size());
    try {
      Session.Runner runner = session.runner();
      if (inline != null) {
        runner.setOptions(inline);
      }
      for (Map.Entry<String, Tensor> e : inputs) {
        Output<?> feed = feeds.get(e.getKey());
        if (feed == null) {
          throw new IllegalStateException("input '" + e.getKey() + "' is not in the signature"); // core validated: unreachable
        }
        org.tensorflow.Tensor t = TensorflowTensors.toTensorflow(e.getValue());
        fed.add(t);
        runner.feed(feed, t);
      }
      for (String name : outputNames) {
        Output<?> fetch = fetches.get(name);
        if (fetch == null) {
          throw new IllegalStateException("output '" + name + "' is not in the signature"); // core validated: unreachable
        }
        runner.fetch(fetch);
      }
      try (Result result = runner.run()) {
        NamedTensors.Builder out = NamedTensors.newBuilder();
        for (int i = 0; i < outputNames.size(); i++) {
          String name = outputNames.get(i);
          out.put(name, TensorflowTensors.fromTensorflow(name, outputTypes.get(name), result.get(i)));
        }
        return out.build();
      }
    } finally {
      for (org.tensorflow.Tensor t : fed) {
        t.close();
      }
    }
  }

  /**
   * False: TensorFlow's {@code RunOptions.timeout_in_ms} does not stop a running graph. Measured on a chain of
   * 300 MatMuls of 512 x 512 (about 730 ms): with a 20 ms timeout the run returned after 737 ms, failing
   * with "Timed out waiting for notification" only once every node had run, because the direct session waits
   * for its executors before returning. Core therefore abandons a call at its deadline instead.
   */
  @Override
  public boolean supportsCancellation() {
    return false;
  }

  /** Closes the session and the graph; idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      bundle.close();
    }
  }

  @Override
  public String toString() {
    return "TensorflowModelSession[" + metadata.get("tensorflow.signature") + ", " + device + ", " + signature + "]";
  }
}
