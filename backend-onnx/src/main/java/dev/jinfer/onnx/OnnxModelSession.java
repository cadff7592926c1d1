package dev.jinfer.onnx;

import ai.onnxruntime.MapInfo;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxModelMetadata;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.RunOptions;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.SequenceInfo;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import dev.jinfer.DType;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.Device;
import dev.jinfer.ModelLoadException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;
import dev.jinfer.spi.StagingBuffers;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * One model loaded into a {@link SessionPool}: its signature and metadata, and the call path. Core
 * validates every request before {@link #run} and closes this only once no call is in flight.
 */
final class OnnxModelSession implements BackendSession {
  private final OrtEnvironment env;
  private final SessionPool pool;
  private final ModelSignature signature;
  private final Map<String, String> metadata;
  private final Device device;
  private final List<String> allOutputs;
  private final Set<String> allOutputSet;
  private final StagingBuffers staging = StagingBuffers.forProcessors();
  /** The run options of calls with a deadline, reused; more concurrent deadline calls than this make and close theirs. */
  private final RunTerminator.Guards guards = RunTerminator.SHARED.new Guards(256);
  private final AtomicBoolean closed = new AtomicBoolean();

  private OnnxModelSession(OrtEnvironment env, SessionPool pool, ModelSignature signature, Map<String, String> metadata,
      Device device) {
    this.env = env;
    this.pool = pool;
    this.signature = signature;
    this.metadata = metadata;
    this.device = device;
    this.allOutputs = signature.outputNames();
    this.allOutputSet = Collections.unmodifiableSet(new LinkedHashSet<>(allOutputs));
  }

  /**
   * Creates the sessions and reads the signature; on any failure closes whatever it created.
   *
   * @param env the environment
   * @param source the model file
   * @param config the settings
   * @return the loaded model
   * @throws OrtException if ONNX Runtime rejects the file or a setting
   * @throws ModelLoadException if an input or output cannot be represented
   */
  static OnnxModelSession open(OrtEnvironment env, ModelSource source, OnnxConfig config) throws OrtException {
    byte[] contents = source.contents();
    String path = source.path().toString();
    List<OrtSession> sessions = new ArrayList<>(config.sessions());
    try {
      for (int i = 0; i < config.sessions(); i++) {
        try (SessionOptions options = config.sessionOptions(i == 0)) {
          sessions.add(contents != null ? env.createSession(contents, options) : env.createSession(path, options));
        }
      }
      OrtSession first = sessions.get(0);
      ModelSignature signature = ModelSignature.of(specs(first.getInputInfo(), "input"), specs(first.getOutputInfo(), "output"));
      Map<String, String> metadata = metadata(first.getMetadata(), source);
      return new OnnxModelSession(env, new SessionPool(sessions), signature, metadata, config.device());
    } catch (OrtException | RuntimeException | Error e) {
      try {
        SessionPool.closeAll(sessions);
      } catch (RuntimeException closeFailure) {
        e.addSuppressed(closeFailure);
      }
      throw e;
    }
  }

  private static List<TensorSpec> specs(Map<String, NodeInfo> nodes, String kind) {
    List<TensorSpec> specs = new ArrayList<>(nodes.size());
    for (NodeInfo node : nodes.values()) {
      specs.add(spec(node, kind));
    }
    return specs;
  }

  private static TensorSpec spec(NodeInfo node, String kind) {
    ValueInfo info = node.getInfo();
    if (!(info instanceof TensorInfo)) {
      String what = info instanceof SequenceInfo ? "a sequence" : info instanceof MapInfo ? "a map" : "a non-tensor value";
      throw new ModelLoadException(kind + " '" + node.getName() + "': expected a tensor but the model declares " + what
          + " (" + info + "); jinfer passes tensors only. For a scikit-learn classifier converted with skl2onnx, "
          + "convert it with options={'zipmap': False} to get a probability tensor");
    }
    TensorInfo tensor = (TensorInfo) info;
    DType dtype = OnnxTensors.dtype(tensor.onnxType);
    if (dtype == null) {
      throw new ModelLoadException(kind + " '" + node.getName() + "': element type " + tensor.onnxType
          + " is not supported; expected one of " + java.util.Arrays.toString(DType.values()));
    }
    long[] dims = tensor.getShape();
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        dims[i] = Shape.DYNAMIC; // ONNX Runtime reports symbolic and unknown dimensions as -1
      }
    }
    return new TensorSpec(node.getName(), dtype, Shape.of(dims));
  }

  private static Map<String, String> metadata(OnnxModelMetadata meta, ModelSource source) {
    Map<String, String> out = new LinkedHashMap<>();
    put(out, "onnx.producer_name", meta.getProducerName());
    byte[] contents = source.contents();
    Map<String, String> header = contents != null ? OnnxFileHeader.read(contents) : OnnxFileHeader.read(source.path());
    put(out, "onnx.producer_version", header.get("onnx.producer_version"));
    put(out, "onnx.domain", meta.getDomain());
    if (meta.getVersion() != Long.MAX_VALUE) { // ONNX Runtime's value for "not set"
      put(out, "onnx.model_version", Long.toString(meta.getVersion()));
    }
    put(out, "onnx.description", meta.getDescription());
    put(out, "onnx.graph_name", meta.getGraphName());
    put(out, "onnx.graph_description", meta.getGraphDescription());
    put(out, "onnx.ir_version", header.get("onnx.ir_version"));
    put(out, "onnx.opset_import", header.get("onnx.opset_import"));
    meta.getCustomMetadata().forEach(out::putIfAbsent);
    return Collections.unmodifiableMap(out);
  }

  private static void put(Map<String, String> map, String key, @Nullable String value) {
    if (value != null && !value.isEmpty()) {
      map.put(key, value);
    }
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

  /** @return the reused direct buffers for heap-backed inputs (tests) */
  StagingBuffers staging() {
    return staging;
  }

  /** @return the reused run options of calls with a deadline (tests) */
  RunTerminator.Guards guards() {
    return guards;
  }

  /** @return the sessions in the pool (tests) */
  SessionPool pool() {
    return pool;
  }

  @Override
  public NamedTensors run(NamedTensors inputs, List<String> outputNames) throws OrtException {
    return run(inputs, outputNames, (RunOptions) null);
  }

  /** ONNX Runtime stops a run between graph nodes once its {@link RunOptions} terminate flag is set. */
  @Override
  public boolean supportsCancellation() {
    return true;
  }

  /**
   * Runs with {@link RunOptions} borrowed from this session's {@link RunTerminator.Guards}, whose terminate flag the
   * watchdog sets at the deadline; ONNX Runtime then fails the run ("Exiting due to terminate flag being set to
   * true"), which is reported as {@link DeadlineExceededException}. The flag belongs to this run only, so the session
   * and the runs beside it carry on; options whose flag was set are closed, never reused.
   */
  @Override
  public NamedTensors run(NamedTensors inputs, List<String> outputNames, Deadline deadline) throws OrtException {
    RunTerminator.Guard guard = guards.acquire();
    try {
      guard.arm(deadline.remainingNanos());
      try {
        return run(inputs, outputNames, guard.options());
      } catch (OrtException e) {
        if (guard.disarm()) {
          throw new DeadlineExceededException("ONNX Runtime stopped the run at the deadline (timeout "
              + deadline.describeTimeout() + "): " + e.getMessage(), e);
        }
        throw e;
      }
    } finally {
      guard.disarm(); // before the guard goes back: the watchdog must not stop a later run with these options
      guards.release(guard);
    }
  }

  private NamedTensors run(NamedTensors inputs, List<String> outputNames, @Nullable RunOptions runOptions)
      throws OrtException {
    int n = inputs.size();
    // the engine's tensors, closed at the end; a one-input request (the common one) needs no hash map to pass them
    @Nullable OnnxTensor[] made = new OnnxTensor[n];
    @Nullable String onlyName = null;
    @Nullable Map<String, OnnxTensor> byName = n > 1 ? new HashMap<>(n * 2) : null;
    ByteBuffer @Nullable [] staged = null;
    int stagedCount = 0;
    int slot = pool.acquire();
    try {
      int i = 0;
      for (Map.Entry<String, Tensor> e : inputs) {
        Tensor tensor = e.getValue();
        ByteBuffer buffer = null;
        if (OnnxTensors.needsStaging(tensor)) {
          buffer = staging.acquire(Math.toIntExact(tensor.byteSize()));
          if (staged == null) {
            staged = new ByteBuffer[n];
          }
          staged[stagedCount++] = buffer;
        }
        OnnxTensor t = OnnxTensors.toOnnx(env, tensor, buffer);
        made[i++] = t;
        if (byName != null) {
          byName.put(e.getKey(), t);
        } else {
          onlyName = e.getKey();
        }
      }
      Map<String, OnnxTensor> onnxInputs = byName != null ? byName : onlyName != null ? Map.of(onlyName, made[0]) : Map.of();
      Set<String> requested = outputNames.equals(allOutputs) ? allOutputSet : new LinkedHashSet<>(outputNames);
      OrtSession session = pool.session(slot);
      try (OrtSession.Result result = runOptions == null ? session.run(onnxInputs, requested)
          : session.run(onnxInputs, requested, runOptions)) {
        NamedTensors.Builder out = NamedTensors.newBuilder();
        for (int k = 0; k < outputNames.size(); k++) {
          String name = outputNames.get(k);
          Optional<OnnxValue> found = result.get(name);
          if (found.isEmpty()) {
            throw new IllegalStateException("output '" + name + "': ONNX Runtime returned no value");
          }
          OnnxValue value = found.get();
          if (!(value instanceof OnnxTensor)) {
            throw new IllegalStateException("output '" + name + "': expected a tensor but ONNX Runtime returned " + value.getType());
          }
          out.put(name, OnnxTensors.fromOnnx(name, (OnnxTensor) value));
        }
        return out.build();
      }
    } finally {
      for (OnnxTensor t : made) {
        if (t != null) {
          t.close();
        }
      }
      // only now, with the tensors over them closed and the outputs copied out
      for (int i = 0; i < stagedCount; i++) {
        staging.release(staged[i]);
      }
      pool.release(slot);
    }
  }

  /** Closes every session of the pool; idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      staging.close();
      guards.close();
      pool.close();
    }
  }

  @Override
  public String toString() {
    return "OnnxModelSession[" + pool.size() + " session(s), " + device + ", " + signature + "]";
  }
}
