package dev.jinfer.tensorflow;

import dev.jinfer.BackendUnavailableException;
import dev.jinfer.Device;
import dev.jinfer.LoadOptions;
import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TensorFlow Java backend, found by {@link java.util.ServiceLoader} under the name {@value #NAME}.
 *
 * <p>It accepts a directory holding a {@value #SAVED_MODEL_PB} file (a TensorFlow SavedModel), loads the
 * meta graph with the tags of {@value #TAGS} (default {@value #DEFAULT_TAGS}) into one TensorFlow session and
 * serves the signature named by {@value #SIGNATURE} (default {@value #DEFAULT_SIGNATURE}): the signature's
 * inputs and outputs, under the names it gives them, become the model's {@link dev.jinfer.ModelSignature}.
 * Every caller shares the session ({@code Session.run} is thread-safe).
 *
 * <p>TensorFlow's native libraries are loaded on the first {@link #load}, not when this class loads:
 * JavaCPP unpacks them (about 650 MB for linux-x86_64) into its cache directory, which
 * {@value #NATIVE_CACHE_DIR} or the system property {@code org.bytedeco.javacpp.cachedir} choose (see the
 * README). They stay loaded for the life of the JVM.
 *
 * <p>Thread-safe.
 */
public final class TensorflowBackend implements Backend {
  /** The backend's name, for {@code LoadOptions.newBuilder().backend("tensorflow")}. */
  public static final String NAME = "tensorflow";

  /** The file that marks a directory as a SavedModel. */
  public static final String SAVED_MODEL_PB = "saved_model.pb";

  /**
   * Property: the tags of the meta graph to load, comma-separated (e.g. {@code serve,gpu}). Default
   * {@value #DEFAULT_TAGS}.
   */
  public static final String TAGS = "tensorflow.tags";

  /** The default of {@link #TAGS}: TensorFlow's serving tag. */
  public static final String DEFAULT_TAGS = "serve";

  /** Property: the key of the signature to serve. Default {@value #DEFAULT_SIGNATURE}. */
  public static final String SIGNATURE = "tensorflow.signature";

  /** The default of {@link #SIGNATURE}: the key {@code tf.saved_model.save} gives the serving function. */
  public static final String DEFAULT_SIGNATURE = "serving_default";

  /**
   * Property: the directory JavaCPP unpacks TensorFlow's native libraries into. It takes effect only on the
   * first TensorFlow load in the JVM (JavaCPP fixes its cache directory at its first native load); a later
   * load that names another directory fails with an {@link IllegalArgumentException} saying where the
   * natives already are. Default: the system property {@code org.bytedeco.javacpp.cachedir}, else
   * {@code ~/.javacpp/cache}.
   */
  public static final String NATIVE_CACHE_DIR = "tensorflow.nativeCacheDir";

  /**
   * Property: {@code true} turns on grappler's remapper, which fuses e.g. MatMul + BiasAdd + Relu into one
   * oneDNN kernel. Default {@code false}: in TensorFlow 2.18 those fused kernels turn a NaN input into finite
   * outputs (a NaN feature gave the fraud model finite probabilities), where jinfer's policy, and the unfused
   * kernels, propagate it; on the fraud MLP turning it on measured no faster (see the README).
   */
  public static final String REMAPPING = "tensorflow.remapping";

  /** The TensorFlow Java version this backend is built against. */
  public static final String TENSORFLOW_JAVA_VERSION = "1.1.0";

  private static final Logger LOG = LoggerFactory.getLogger(TensorflowBackend.class);

  /** Creates the backend; does no native work (ServiceLoader calls this). */
  public TensorflowBackend() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return 100;
  }

  /**
   * Whether TensorFlow Java's classes and a native build for this platform are on the classpath, and a
   * native load has not failed. Does not load (or unpack) the natives.
   *
   * @return true if {@link #load} can work
   */
  @Override
  public boolean isAvailable() {
    return TensorflowNatives.available();
  }

  /**
   * Whether the artifact is a directory holding a {@value #SAVED_MODEL_PB} file. Never throws.
   *
   * @param source the artifact
   * @return true if it looks like a SavedModel
   */
  @Override
  public boolean accepts(ModelSource source) {
    try {
      Path dir = source.path();
      return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve(SAVED_MODEL_PB));
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Loads the SavedModel into a TensorFlow session.
   *
   * @param source the SavedModel directory
   * @param options device, threads, optimization level and {@code tensorflow.*} properties
   * @return the loaded model, owned by the caller
   * @throws BackendUnavailableException if a GPU is asked for and only CPU natives are on the classpath, or
   *     another GPU index than the one of the process's first GPU load (TensorFlow fixes it per process),
   *     or the natives cannot be loaded here
   * @throws dev.jinfer.ModelLoadException if the directory is no SavedModel, its variables are missing, the
   *     tags or signature are not in it (the message lists those that are), or the signature has an input or
   *     output jinfer cannot pass
   * @throws IllegalArgumentException naming the property if a {@code tensorflow.*} property is invalid, or
   *     {@value #NATIVE_CACHE_DIR} comes after the natives were loaded from another directory
   */
  @Override
  public BackendSession load(ModelSource source, LoadOptions options) {
    TensorflowConfig config = TensorflowConfig.from(options);
    if (config.device().isGpu()) {
      requireGpuBuild(config.device(), TensorflowNatives.gpuBuildPresent(), TensorflowNatives.platform());
    }
    Path dir = source.path();
    if (!Files.isDirectory(dir) || !Files.isRegularFile(dir.resolve(SAVED_MODEL_PB))) {
      throw new dev.jinfer.ModelLoadException("model " + dir + ": expected a SavedModel directory holding " + SAVED_MODEL_PB
          + " but " + (Files.isDirectory(dir) ? "the directory has none" : "it is a file"));
    }
    String version = TensorflowNatives.load(config.nativeCacheDir());
    if (config.device().isGpu()) {
      TensorflowNatives.GPU.claim(config.device());
    }
    long t0 = System.nanoTime();
    TensorflowModelSession session = TensorflowModelSession.open(dir, config, version);
    LOG.debug("tensorflow: loaded {} from {} in {} ms: {}", source.id(), dir, (System.nanoTime() - t0) / 1_000_000, config);
    return session;
  }

  /**
   * Fails unless a GPU build of TensorFlow's natives is on the classpath.
   *
   * @param device the GPU asked for
   * @param gpuBuildPresent whether the {@code <platform>-gpu} natives are present
   * @param platform JavaCPP's platform name
   * @throws BackendUnavailableException naming the artifact to add
   */
  static void requireGpuBuild(Device device, boolean gpuBuildPresent, String platform) {
    if (!gpuBuildPresent) {
      throw new BackendUnavailableException("device " + device + ": the TensorFlow natives on the classpath are the CPU build ("
          + "org.tensorflow:tensorflow-core-native:" + TENSORFLOW_JAVA_VERSION + ":" + platform + "); replace them with "
          + gpuArtifact(platform) + " and install the CUDA and cuDNN versions it was built for");
    }
  }

  static String gpuArtifact(String platform) {
    return "org.tensorflow:tensorflow-core-native:" + TENSORFLOW_JAVA_VERSION + ":" + platform + "-gpu";
  }

  @Override
  public String toString() {
    return "TensorflowBackend";
  }
}
