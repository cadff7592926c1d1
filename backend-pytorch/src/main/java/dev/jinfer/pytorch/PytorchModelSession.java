package dev.jinfer.pytorch;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import dev.jinfer.DType;
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
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One TorchScript module loaded into libtorch through DJL, and the call path. The module is shared by
 * every caller (a TorchScript module's {@code forward} is safe to run from many threads at once); each
 * call works in its own DJL {@link NDManager} (a child of the model's), closed when the call returns, so
 * every native tensor of the call is freed on every path. Core validates every request before
 * {@link #run} and closes this only once no call is in flight.
 */
final class PytorchModelSession implements BackendSession {
  private final NDManager manager;
  private final PtSymbolBlock module;
  private final ModelSignature signature;
  private final List<TensorSpec> inputSpecs;
  private final Map<String, Integer> outputIndex;
  private final Map<String, DType> outputDTypes;
  private final Map<String, String> metadata;
  private final boolean graphOptimizer;
  private final int intraOpThreads;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Reused direct buffers that heap-backed inputs are copied into (libtorch reads native memory only). */
  private final StagingBuffers staging = StagingBuffers.forProcessors();

  private PytorchModelSession(NDManager manager, PtSymbolBlock module, SignatureFile.Parsed parsed,
      Map<String, String> metadata, boolean graphOptimizer, int intraOpThreads) {
    this.manager = manager;
    this.module = module;
    this.signature = parsed.signature();
    this.inputSpecs = signature.inputs();
    Map<String, Integer> index = new HashMap<>();
    Map<String, DType> dtypes = new HashMap<>();
    List<TensorSpec> outs = signature.outputs();
    for (int i = 0; i < outs.size(); i++) {
      index.put(outs.get(i).name(), i);
      dtypes.put(outs.get(i).name(), outs.get(i).dtype());
    }
    this.outputIndex = index;
    this.outputDTypes = dtypes;
    this.metadata = metadata;
    this.graphOptimizer = graphOptimizer;
    this.intraOpThreads = intraOpThreads;
  }

  /**
   * Loads the module, then checks it against its signature and warms it up as configured; on any failure
   * frees whatever it created.
   *
   * @param engine DJL's PyTorch engine
   * @param source the model file
   * @param parsed the signature
   * @param config the settings
   * @return the loaded model
   * @throws ModelLoadException naming the file if libtorch refuses it, or naming the signature's origin if
   *     the model disagrees with it
   */
  static PytorchModelSession open(Engine engine, ModelSource source, SignatureFile.Parsed parsed, PytorchConfig config) {
    if (parsed.signature().inputs().isEmpty()) {
      throw new ModelLoadException(parsed.origin() + ": field \"inputs\": expected at least one input; jinfer does not "
          + "run TorchScript models without inputs");
    }
    Path path = source.path();
    NDManager manager = engine.newBaseManager(ai.djl.Device.cpu());
    try {
      manager.setName("jinfer-" + source.id());
      PtSymbolBlock module;
      try {
        module = JniUtils.loadModule((PtNDManager) manager, path, true, new String[0], new String[0], false);
      } catch (RuntimeException e) {
        throw new ModelLoadException("model file " + path + ": libtorch cannot load it as TorchScript: "
            + firstLines(e.getMessage()) + TorchScriptFile.hint(path), e);
      }
      JniUtils.enableInferenceMode(module);
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("pytorch.libtorch_version", engine.getVersion());
      metadata.put("pytorch.signature_source", parsed.origin());
      metadata.put("pytorch.graph_optimizer", Boolean.toString(config.graphOptimizer()));
      parsed.metadata().forEach(metadata::putIfAbsent);
      PytorchModelSession session = new PytorchModelSession(manager, module, parsed,
          Collections.unmodifiableMap(metadata), config.graphOptimizer(), config.intraOpThreads());
      session.checkAndWarmUp(parsed.origin(), config);
      return session;
    } catch (RuntimeException | Error e) {
      try {
        manager.close(); // closes the module too
      } catch (RuntimeException closeFailure) {
        e.addSuppressed(closeFailure);
      }
      throw e;
    }
  }

  /** The fix for a load-time call on zeros that fails: both load-time calls (check and warmup) use zeros. */
  static final String ZEROS_HINT = "fix the signature, or, for a model that cannot take zeros of that shape, set both "
      + PytorchBackend.VERIFY_SIGNATURE + "=false and " + PytorchBackend.WARMUP_BATCH_SIZES + "=none (warmup calls "
      + "the model on zeros too)";

  /**
   * Runs {@link PytorchBackend#WARMUP_CALLS_PER_SHAPE} calls on zeros for each warmup batch size (batch 1
   * at least when the signature is verified), and checks the first call's outputs against the signature.
   */
  private void checkAndWarmUp(String origin, PytorchConfig config) {
    List<Integer> sizes = config.warmupBatchSizes();
    if (config.verifySignature() && sizes.isEmpty()) {
      sizes = List.of(1);
    }
    boolean check = config.verifySignature();
    for (int batch : sizes) {
      NamedTensors zeros;
      try {
        zeros = zeros(batch);
      } catch (RuntimeException e) { // a fixed dimension too large for one buffer
        throw new ModelLoadException(origin + ": cannot make the load-time zeros input for inputs " + inputSpecs
            + " with batch size " + batch + ": " + firstLines(e.getMessage()) + "; " + ZEROS_HINT, e);
      }
      for (int i = 0; i < PytorchBackend.WARMUP_CALLS_PER_SHAPE; i++) {
        NamedTensors out;
        try {
          out = runAll(zeros);
        } catch (RuntimeException e) {
          throw new ModelLoadException(origin + ": the TorchScript model refused a call shaped like this signature "
              + "(inputs " + inputSpecs + " with batch size " + batch + "): " + firstLines(e.getMessage())
              + "; " + ZEROS_HINT, e);
        }
        if (check) {
          verifyOutputs(out, origin, batch);
          check = false;
        }
      }
    }
  }

  private void verifyOutputs(NamedTensors out, String origin, int batch) {
    for (TensorSpec spec : signature.outputs()) {
      Tensor t = out.get(spec.name());
      Shape declared = spec.shape();
      boolean ok = declared.rank() == t.shape().rank();
      for (int d = 0; ok && d < declared.rank(); d++) {
        ok = declared.dim(d) == Shape.DYNAMIC || declared.dim(d) == t.shape().dim(d);
      }
      if (!ok) {
        throw new ModelLoadException(origin + ": output '" + spec.name() + "' is declared " + spec.dtype() + " " + declared
            + " but the model returned " + t.dtype() + " " + t.shape() + " for a batch of " + batch);
      }
    }
  }

  private NamedTensors zeros(int batch) {
    NamedTensors.Builder b = NamedTensors.newBuilder();
    for (TensorSpec spec : inputSpecs) {
      long[] dims = spec.shape().toArray();
      for (int d = 0; d < dims.length; d++) {
        if (dims[d] == Shape.DYNAMIC) {
          dims[d] = d == 0 ? batch : 1;
        }
      }
      int bytes = Math.toIntExact(Shape.of(dims).elementCount() * spec.dtype().byteSize());
      b.put(spec.name(), Tensor.fromBuffer(spec.dtype(), ByteBuffer.allocateDirect(bytes), dims));
    }
    return b.build();
  }

  private NamedTensors runAll(NamedTensors inputs) {
    return run(inputs, signature.outputNames());
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
    return Device.cpu();
  }

  /** @return the model's DJL manager, parent of every call's manager (tests) */
  NDManager manager() {
    return manager;
  }

  /**
   * Runs one call on the calling thread with this model's intra-op thread count: wraps the inputs (no copy for direct tensors) in a per-call manager, runs
   * {@code forward} with the inputs in signature order, copies the requested outputs out, and closes the
   * manager with every native tensor of the call.
   *
   * @throws IllegalStateException if the model returns a different number of outputs, or another dtype,
   *     than the signature declares
   */
  @Override
  public NamedTensors run(NamedTensors inputs, List<String> outputNames) {
    // thread-local in libtorch: set on the calling thread every time (a cheap JNI call)
    JniUtils.setGraphExecutorOptimize(graphOptimizer);
    LibTorch.useIntraOpThreads(intraOpThreads);
    ByteBuffer[] staged = new ByteBuffer[inputSpecs.size()];
    try {
      try (NDManager scope = manager.newSubManager()) {
        NDList out = forward(scope, inputs, staged);
        if (out.size() != outputIndex.size()) {
          throw new IllegalStateException("the model returned " + out.size() + " output(s) but its signature declares "
              + outputIndex.size() + " (" + signature.outputNames() + ")");
        }
        NamedTensors.Builder result = NamedTensors.newBuilder();
        for (String name : outputNames) {
          Tensor t = PytorchTensors.fromTorch(name, out.get(outputIndex.get(name)));
          if (t.dtype() != outputDTypes.get(name)) {
            throw new IllegalStateException("output '" + name + "': the signature declares " + outputDTypes.get(name)
                + " but the model returned " + t.dtype() + " " + t.shape());
          }
          result.put(name, t);
        }
        return result.build();
      }
    } finally {
      // only now, with the call's native tensors (some over these buffers) closed and the outputs copied out
      for (ByteBuffer b : staged) {
        if (b != null) {
          staging.release(b);
        }
      }
    }
  }

  /** @return the reused direct buffers for heap-backed inputs (tests) */
  StagingBuffers staging() {
    return staging;
  }

  /**
   * Runs {@code forward} on the inputs in signature order. The input and result {@link IValue}s are native
   * handles no {@link NDManager} tracks, so this closes each of them on every path, including when libtorch
   * throws; the output tensors unpacked from the result belong to {@code scope}. Staging buffers taken for
   * heap-backed inputs are put in {@code staged}, for the caller to give back once {@code scope} is closed.
   */
  private NDList forward(NDManager scope, NamedTensors inputs, ByteBuffer[] staged) {
    IValue[] in = new IValue[inputSpecs.size()];
    try {
      for (int i = 0; i < in.length; i++) {
        in[i] = NativeValues.wrap((PtNDArray) PytorchTensors.toTorch(scope, inputs.get(inputSpecs.get(i).name()),
            staging, staged, i));
      }
      IValue result = NativeValues.track(IValueUtils.forward(module, in));
      try {
        return result.toNDList((PtNDManager) scope);
      } finally {
        NativeValues.close(result);
      }
    } finally {
      for (IValue v : in) {
        if (v != null) {
          NativeValues.close(v);
        }
      }
    }
  }

  /** Frees the module and every native tensor the model still holds; idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      staging.close();
      manager.close();
    }
  }

  private static String firstLines(String message) {
    if (message == null) {
      return "(no message)";
    }
    String m = message.strip();
    return m.length() > 600 ? m.substring(0, 600) + "..." : m;
  }

  @Override
  public String toString() {
    return "PytorchModelSession[" + signature + ", graph optimizer " + graphOptimizer + "]";
  }
}
