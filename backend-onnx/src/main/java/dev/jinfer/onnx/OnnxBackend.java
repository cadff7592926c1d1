package dev.jinfer.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import dev.jinfer.BackendUnavailableException;
import dev.jinfer.Device;
import dev.jinfer.LoadOptions;
import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ONNX Runtime backend, found by {@link java.util.ServiceLoader} under the name {@value #NAME}.
 *
 * <p>It accepts regular files named {@code *.onnx} or {@code *.ort}, and files of any name whose first
 * bytes look like an ONNX {@code ModelProto}. Each loaded model holds a small pool of ONNX Runtime
 * sessions ({@value #SESSIONS}); every call runs on an idle one. Besides {@link LoadOptions}' device,
 * threads and optimization level, the engine reads the string properties named by the constants below.
 *
 * <p>The process-wide {@link OrtEnvironment} is obtained on the first {@link #load} (not when the class
 * loads) and never closed: ONNX Runtime allows one per process and other code may share it.
 *
 * <p>Thread-safe.
 */
public final class OnnxBackend implements Backend {
  /** The backend's name, for {@code LoadOptions.newBuilder().backend("onnx")}. */
  public static final String NAME = "onnx";

  /**
   * Property: how many ONNX Runtime sessions a model holds, each with its own copy of the weights; a
   * call runs on an idle session, and {@link LoadOptions#intraOpThreads()} is split across them. Default:
   * {@code min(available CPUs, }{@value #MAX_DEFAULT_SESSIONS}{@code )} for a model file of at most
   * {@value #POOL_MAX_MODEL_BYTES} bytes, else 1 (see the README for the measurements behind it).
   */
  public static final String SESSIONS = "onnx.sessions";

  /**
   * Property: {@code true} lets ONNX Runtime's idle intra-op and inter-op threads spin-wait for work,
   * which can speed up a single caller sending large batches but burns CPU while idle and slows
   * concurrent callers (see the README). Default {@code false}.
   */
  public static final String SPINNING = "onnx.spinning";

  /**
   * Property: a file to which ONNX Runtime writes the model after graph optimization (ONNX format, or
   * ORT format if the name ends in {@code .ort}). Written once per load. Default: not written.
   */
  public static final String OPTIMIZED_MODEL_PATH = "onnx.optimizedModelPath";

  /** Property: {@code false} turns off ONNX Runtime's CPU memory arena. Default {@code true} (engine default). */
  public static final String CPU_ARENA = "onnx.cpuArena";

  /** Property: {@code false} turns off ONNX Runtime's memory pattern optimization. Default {@code true} (engine default). */
  public static final String MEMORY_PATTERN = "onnx.memoryPattern";

  /** The most sessions the default of {@link #SESSIONS} gives a model. */
  public static final int MAX_DEFAULT_SESSIONS = 4;

  /** Model files larger than this (256 MiB) get one session by default, to bound memory. */
  public static final long POOL_MAX_MODEL_BYTES = 256L << 20;

  private static final Logger LOG = LoggerFactory.getLogger(OnnxBackend.class);

  private volatile @Nullable OrtEnvironment environment;

  /** Creates the backend; does no native work (ServiceLoader calls this). */
  public OnnxBackend() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return 100;
  }

  /**
   * Whether ONNX Runtime's classes and native library load here (checked once per process).
   *
   * @return false if they do not, or the platform is big-endian (ONNX Runtime ships no such build)
   */
  @Override
  public boolean isAvailable() {
    return NativeProbe.FAILURE == null;
  }

  /**
   * Whether the artifact is a regular file named {@code *.onnx} or {@code *.ort}, or starts like a
   * serialized ONNX {@code ModelProto}. Reads at most a few dozen bytes; never throws.
   *
   * @param source the artifact
   * @return true if it looks like an ONNX model
   */
  @Override
  public boolean accepts(ModelSource source) {
    try {
      if (!source.isFile()) {
        return false;
      }
      String name = source.fileName();
      return name.endsWith(".onnx") || name.endsWith(".ort")
          || OnnxFileHeader.looksLikeModel(ByteBuffer.wrap(source.head(16)));
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Loads the model into a pool of ONNX Runtime sessions.
   *
   * @param source the model file
   * @param options device, threads, optimization level and {@code onnx.*} properties
   * @return the loaded model, owned by the caller
   * @throws BackendUnavailableException if a GPU is asked for and the ONNX Runtime on the classpath has
   *     no CUDA provider, or the engine cannot be used here
   * @throws dev.jinfer.ModelLoadException if the model has an input or output jinfer cannot represent
   * @throws IllegalArgumentException naming the property if an {@code onnx.*} property is invalid
   * @throws ai.onnxruntime.OrtException if ONNX Runtime rejects the file (corrupt, truncated, unsupported)
   */
  @Override
  public BackendSession load(ModelSource source, LoadOptions options) throws Exception {
    if (!isAvailable()) {
      throw new BackendUnavailableException("backend 'onnx': ONNX Runtime cannot be used here: " + NativeProbe.FAILURE,
          NativeProbe.FAILURE);
    }
    OnnxConfig config = OnnxConfig.from(options, modelBytes(source));
    OrtEnvironment env = environment();
    if (config.device().isGpu()) {
      requireCuda(config.device(), env);
    }
    OnnxModelSession session = OnnxModelSession.open(env, source, config);
    LOG.debug("onnx: loaded {} from {}: {}", source.id(), source.inMemory() ? "memory" : source.path(), config);
    return session;
  }

  private static long modelBytes(ModelSource source) {
    long size = source.size();
    return size < 0 ? Long.MAX_VALUE : size; // unreadable: ONNX Runtime will report it; one session meanwhile
  }

  /** @return true: ONNX Runtime builds a session from a model's bytes, so no temporary file is written */
  @Override
  public boolean loadsFromMemory() {
    return true;
  }

  private OrtEnvironment environment() {
    OrtEnvironment env = environment;
    if (env == null) {
      synchronized (this) {
        env = environment;
        if (env == null) {
          env = OrtEnvironment.getEnvironment();
          environment = env;
        }
      }
    }
    return env;
  }

  /**
   * Fails unless the ONNX Runtime on the classpath can run on CUDA.
   *
   * @param device the GPU asked for
   * @param env the environment (for its version)
   * @throws BackendUnavailableException naming the artifact to use instead
   */
  static void requireCuda(Device device, OrtEnvironment env) {
    requireCuda(device, OrtEnvironment.getAvailableProviders(), env.getVersion());
  }

  static void requireCuda(Device device, EnumSet<OrtProvider> providers, String ortVersion) {
    if (!providers.contains(OrtProvider.CUDA)) {
      throw new BackendUnavailableException("device " + device + ": the ONNX Runtime on the classpath has no CUDA "
          + "execution provider (it has " + providers + "); replace com.microsoft.onnxruntime:onnxruntime with "
          + gpuArtifact(ortVersion) + " (never both on one classpath), and install a CUDA and cuDNN it supports");
    }
  }

  static String gpuArtifact(String ortVersion) {
    return "com.microsoft.onnxruntime:onnxruntime_gpu:" + ortVersion;
  }

  @Override
  public String toString() {
    return "OnnxBackend";
  }

  /** Loads ONNX Runtime's classes and native library once, on first use, and remembers any failure. */
  private static final class NativeProbe {
    static final @Nullable Throwable FAILURE = probe();

    private static @Nullable Throwable probe() {
      if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
        return new UnsupportedOperationException("big-endian platform; jinfer tensors are little-endian");
      }
      try {
        // initializes OnnxRuntime, which extracts and loads the native library
        OrtEnvironment.getAvailableProviders();
        return null;
      } catch (Exception | LinkageError e) { // e.g. an ExceptionInInitializerError wrapping an IOException
        LOG.debug("onnx: ONNX Runtime is unavailable", e);
        return e;
      }
    }
  }
}
