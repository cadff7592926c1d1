package dev.jinfer.internal;

import dev.jinfer.BackendException;
import dev.jinfer.DType;
import dev.jinfer.Device;
import dev.jinfer.InferenceException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelId;
import dev.jinfer.ModelLoadException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.Ticker;
import dev.jinfer.spi.BackendSession;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Model} every backend gets: validation before any native call, an in-flight gate so that
 * close never frees a session under a running call, metrics, and error mapping.
 */
public final class DefaultModel implements Model {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultModel.class);

  private final ModelId id;
  private final String backend;
  private final BackendSession session;
  private final LoadOptions options;
  private final ModelSignature signature;
  private final List<String> allOutputs;
  private final Map<String, String> metadata;
  private final InFlightGate gate = new InFlightGate();
  private final PredictorMetrics metrics;
  private final Ticker ticker;
  private final boolean rejectNonFinite;

  private DefaultModel(ModelId id, String backend, BackendSession session, LoadOptions options) {
    this.id = id;
    this.backend = backend;
    this.session = session;
    this.options = options;
    this.signature = session.signature();
    this.allOutputs = signature.outputNames();
    this.metadata = Map.copyOf(session.metadata());
    this.metrics = PredictorMetrics.create(id, options);
    this.ticker = options.ticker();
    this.rejectNonFinite = options.rejectNonFinite();
  }

  /**
   * Wraps a freshly loaded session and runs the warmup calls; closes the session if warmup fails.
   *
   * @param id the model id
   * @param backend the backend's name
   * @param session the loaded session, now owned by the model
   * @param options the load options
   * @return the ready model
   * @throws ModelLoadException if a warmup call fails
   */
  public static DefaultModel open(ModelId id, String backend, BackendSession session, LoadOptions options) {
    try {
      DefaultModel model = new DefaultModel(id, backend, session, options);
      if (options.warmupCalls() > 0) {
        NamedTensors inputs = warmupInputs(model.signature);
        for (int i = 0; i < options.warmupCalls(); i++) {
          model.session.run(inputs, model.allOutputs);
        }
      }
      return model;
    } catch (Throwable e) {
      try {
        session.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof Error) {
        throw (Error) e;
      }
      throw new ModelLoadException("model " + id + ": warmup failed: " + e.getMessage(), e);
    }
  }

  /**
   * Zero-valued inputs for every input of a signature, one row (1) where a dimension is dynamic.
   *
   * @param signature the signature
   * @return the synthetic inputs
   */
  public static NamedTensors warmupInputs(ModelSignature signature) {
    NamedTensors.Builder b = NamedTensors.newBuilder();
    for (TensorSpec spec : signature.inputs()) {
      long[] dims = spec.shape().toArray();
      for (int i = 0; i < dims.length; i++) {
        if (dims[i] == Shape.DYNAMIC) {
          dims[i] = 1;
        }
      }
      int count = Math.toIntExact(Shape.of(dims).elementCount());
      Tensor t;
      if (spec.dtype() == DType.STRING) {
        String[] s = new String[count];
        Arrays.fill(s, "");
        t = Tensor.ofStrings(s, dims);
      } else {
        t = Tensor.fromBuffer(spec.dtype(), ByteBuffer.allocateDirect(count * spec.dtype().byteSize()), dims);
      }
      b.put(spec.name(), t);
    }
    return b.build();
  }

  /**
   * The predict path shared by every handle.
   *
   * @param inputs the request
   * @param outputNames outputs wanted, empty for all
   * @return the outputs
   */
  NamedTensors run(NamedTensors inputs, List<String> outputNames) {
    if (!gate.tryEnter()) {
      throw new IllegalStateException("model " + id + " is closed");
    }
    long start = ticker.read();
    try {
      signature.validate(inputs, outputNames, rejectNonFinite);
      NamedTensors out = session.run(inputs, outputNames.isEmpty() ? allOutputs : outputNames);
      metrics.success(ticker.read() - start);
      return out;
    } catch (InferenceException e) {
      metrics.failure(e.code());
      throw e;
    } catch (Exception | LinkageError e) {
      BackendException wrapped = new BackendException("model " + id + ": the " + backend + " engine failed: " + e.getMessage(), e);
      metrics.failure(wrapped.code());
      throw wrapped;
    } finally {
      gate.exit();
    }
  }

  @Override
  public ModelId id() {
    return id;
  }

  @Override
  public ModelSignature signature() {
    return signature;
  }

  @Override
  public String backend() {
    return backend;
  }

  @Override
  public Device device() {
    return session.device();
  }

  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public LoadOptions options() {
    return options;
  }

  @Override
  public Predictor predictor() {
    if (gate.isClosed()) {
      throw new IllegalStateException("model " + id + " is closed");
    }
    return new Handle();
  }

  @Override
  public boolean isClosed() {
    return gate.isClosed();
  }

  @Override
  public void close() {
    if (gate.closeAndAwait()) {
      metrics.close();
      try {
        session.close();
      } catch (Exception e) {
        LOG.warn("model {}: the {} engine failed to release its session", id, backend, e);
      }
    }
  }

  @Override
  public String toString() {
    return "Model[" + id + ", backend=" + backend + ", device=" + session.device() + ", " + signature + "]";
  }

  /** A predictor handle; owns nothing, so closing it only stops this handle. */
  private final class Handle implements Predictor {
    private final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public ModelId modelId() {
      return id;
    }

    @Override
    public ModelSignature signature() {
      return signature;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames) {
      if (closed.get()) {
        throw new IllegalStateException("predictor for model " + id + " is closed");
      }
      return run(inputs, outputNames);
    }

    @Override
    public void close() {
      closed.set(true);
    }

    @Override
    public String toString() {
      return "Predictor[" + id + "]";
    }
  }
}
