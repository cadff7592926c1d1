package dev.jinfer.pytorch;

import ai.djl.engine.Engine;
import dev.jinfer.BackendUnavailableException;
import dev.jinfer.LoadOptions;
import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DJL PyTorch backend for TorchScript files, found by {@link java.util.ServiceLoader} under the name
 * {@value #NAME}.
 *
 * <p>It accepts regular files named {@code *.pt}, {@code *.pth} or {@code *.torchscript}. A TorchScript
 * file carries no input/output names, dtypes or shapes that jinfer can read, so each model needs a
 * signature: the sidecar file {@code <model file>.signature.json} beside it, or the {@value #SIGNATURE}
 * property (format: see the README). libtorch is loaded once per process, on the first {@link #load},
 * in DJL's offline mode, from the natives on the classpath ({@code ai.djl.pytorch:pytorch-native-cpu}, a
 * dependency of this module) or from {@code PYTORCH_LIBRARY_PATH}; nothing is ever downloaded.
 *
 * <p>Besides {@link LoadOptions}' threads (intra-op set on the calling thread of every call, inter-op once
 * per process: see the README), the backend reads
 * the string properties named by the constants below. Runs on CPU only.
 *
 * <p>Thread-safe.
 */
public final class PytorchBackend implements Backend {
  /** The backend's name, for {@code LoadOptions.newBuilder().backend("pytorch")}. */
  public static final String NAME = "pytorch";

  /**
   * Property: the model's signature, as a path to a signature JSON file or as the JSON itself (a value
   * starting with <code>{</code>). Default: the sidecar {@code <model file>.signature.json}.
   */
  public static final String SIGNATURE = "pytorch.signature";

  /**
   * Property: {@code true} turns on TorchScript's graph executor optimizations (the profiling executor
   * records shapes on the first calls of each input shape, then specializes the graph). Default
   * {@code false}: on the fraud MLP it gave the same steady-state latency while making the first call
   * about 4x slower (README), and it makes every new input shape pay a profiling run.
   */
  public static final String GRAPH_OPTIMIZER = "pytorch.graphOptimizer";

  /**
   * Property: comma-separated batch sizes (the first dimension of every input whose first dimension is
   * dynamic) to warm up at load time, each with {@value #WARMUP_CALLS_PER_SHAPE} calls on zeros; declare
   * the sizes you serve, e.g. {@code 1,32}, so that no request pays a first-call cost. {@code none}
   * turns warmup off. Default {@code 1}. Runs in addition to {@link LoadOptions#warmupCalls()}.
   */
  public static final String WARMUP_BATCH_SIZES = "pytorch.warmupBatchSizes";

  /**
   * Property: {@code false} skips the load-time call (batch 1, zeros) that checks the model accepts the
   * signature's inputs and returns its outputs (count, rank and fixed dimensions). Default {@code true};
   * turn it off only for a model that rejects zeros, and then set {@link #WARMUP_BATCH_SIZES} to
   * {@code none} as well, since warmup calls the model on zeros too (at batch 1 by default).
   */
  public static final String VERIFY_SIGNATURE = "pytorch.verifySignature";

  /** Calls run for each warmup batch size: the profiling executor needs two to reach its steady state. */
  public static final int WARMUP_CALLS_PER_SHAPE = 2;

  private static final Logger LOG = LoggerFactory.getLogger(PytorchBackend.class);

  /** Creates the backend; does no native work (ServiceLoader calls this). */
  public PytorchBackend() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return 100;
  }

  /**
   * Whether DJL's PyTorch engine classes are on the classpath of a little-endian platform. Cheap: it
   * does not load libtorch (which takes seconds, and extracts about 430 MiB the first time on a machine),
   * so that listing backends never starts it; a missing or broken libtorch is reported by {@link #load}
   * as a {@link BackendUnavailableException} naming the natives artifact.
   *
   * @return false if the engine cannot be used here at all
   */
  @Override
  public boolean isAvailable() {
    return LibTorch.classesPresent();
  }

  /**
   * Whether the artifact is a regular file named {@code *.pt}, {@code *.pth} or {@code *.torchscript}.
   * Reads nothing; never throws.
   *
   * @param source the artifact
   * @return true if it is named like a TorchScript file
   */
  @Override
  public boolean accepts(ModelSource source) {
    try {
      if (!source.isFile()) {
        return false;
      }
      String name = source.fileName();
      return name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".torchscript");
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Loads the TorchScript module, checks it against its signature and warms it up.
   *
   * @param source the model file
   * @param options threads and {@code pytorch.*} properties; the device must be the CPU
   * @return the loaded model, owned by the caller
   * @throws BackendUnavailableException if libtorch cannot be loaded (naming the natives artifact), or a
   *     GPU is asked for
   * @throws dev.jinfer.ModelLoadException if the file is not TorchScript, its signature is missing or
   *     malformed (naming the file and field), or the model disagrees with its signature
   * @throws IllegalArgumentException naming the property if a {@code pytorch.*} property is invalid
   */
  @Override
  public BackendSession load(ModelSource source, LoadOptions options) {
    PytorchConfig config = PytorchConfig.from(options);
    if (config.device().isGpu()) {
      throw new BackendUnavailableException("device " + config.device() + ": backend 'pytorch' runs on the CPU only; "
          + "the natives it ships are " + LibTorch.NATIVE_ARTIFACT + ". CUDA would need "
          + "ai.djl.pytorch:pytorch-native-cu128:" + LibTorch.VERSION + ":linux-x86_64 in their place, which this "
          + "build neither ships nor supports yet; load with Device.cpu()");
    }
    SignatureFile.Parsed signature = SignatureFile.load(source.path(), config.signature());
    Engine engine = LibTorch.engine();
    long t0 = System.nanoTime();
    // the load-time calls set this model's intra-op count on this thread (and libtorch's process-wide
    // value); a failed load puts back what this thread had, and only a loaded model applies its threads
    int threadsBefore = LibTorch.intraOpThreadsOfThisThread();
    PytorchModelSession session;
    try {
      session = PytorchModelSession.open(engine, source, signature, config);
    } catch (RuntimeException | Error e) {
      try {
        LibTorch.useIntraOpThreads(threadsBefore);
      } catch (RuntimeException restoreFailure) {
        e.addSuppressed(restoreFailure);
      }
      throw e;
    }
    LibTorch.applyThreads(config.intraOpThreads(), config.interOpThreads());
    LOG.debug("pytorch: loaded {} from {} in {} ms: {}", source.id(), source.path(), (System.nanoTime() - t0) / 1_000_000, config);
    return session;
  }

  @Override
  public String toString() {
    return "PytorchBackend";
  }
}
