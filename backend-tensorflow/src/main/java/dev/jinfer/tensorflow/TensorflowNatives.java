package dev.jinfer.tensorflow;

import dev.jinfer.BackendUnavailableException;
import dev.jinfer.Device;
import java.io.File;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads TensorFlow's native libraries once per process, into JavaCPP's cache directory, and remembers
 * where they went and any failure. JavaCPP unpacks the libraries from the {@code tensorflow-core-native}
 * jar into its cache directory on first use (about 650 MB for linux-x86_64), and reuses them afterwards.
 *
 * <p>The cache directory is JavaCPP's: the system property {@value #JAVACPP_CACHE_DIR}, else
 * {@code ~/.javacpp/cache}. JavaCPP reads it once, at its first native load in the process; a
 * {@link TensorflowBackend#NATIVE_CACHE_DIR} load property sets it only if that has not happened yet.
 *
 * <p>Thread-safe.
 */
final class TensorflowNatives {
  /** JavaCPP's own system property for its cache directory. */
  static final String JAVACPP_CACHE_DIR = "org.bytedeco.javacpp.cachedir";

  private static final Logger LOG = LoggerFactory.getLogger(TensorflowNatives.class);
  private static final String NATIVE_PACKAGE = "org/tensorflow/internal/c_api/";

  // written under the class lock, read without it by available() so that it never waits for an unpack
  private static volatile @Nullable Path loadedFrom;
  private static volatile @Nullable String version;
  private static volatile @Nullable Throwable failure;
  private static long loadNanos; // guarded by TensorflowNatives.class

  /** The GPU that TensorFlow's first GPU session of the process fixes for every later one. */
  static final GpuIndex GPU = new GpuIndex();

  private TensorflowNatives() {}

  /**
   * The GPU index of the process. TensorFlow reads {@code gpu_options.visible_device_list} when it sets up
   * its GPU devices, at the first GPU session of the process, and keeps that mapping: a later session asking
   * for another index does not get it. So the first GPU load claims its index (kept even if that load
   * fails, since TensorFlow may already have set up the device) and a load asking for another index fails
   * fast.
   *
   * <p>Thread-safe.
   */
  static final class GpuIndex {
    private int first = -1; // guarded by this

    /**
     * Claims {@code device}'s index for the process if no GPU load claimed one yet, or checks it is the
     * claimed one.
     *
     * @param device a GPU
     * @throws BackendUnavailableException naming both indices if another GPU was claimed first
     */
    synchronized void claim(Device device) {
      if (!device.isGpu()) {
        throw new IllegalArgumentException("not a GPU: " + device);
      }
      if (first < 0) {
        first = device.index();
      } else if (first != device.index()) {
        throw new BackendUnavailableException("device " + device + ": this process already runs TensorFlow on gpu:"
            + first + ", and TensorFlow fixes the visible GPU (gpu_options.visible_device_list) at its first GPU "
            + "session for the whole process, so it cannot also use gpu:" + device.index() + "; load every "
            + "TensorFlow model of the process on gpu:" + first + ", or run one process per GPU");
      }
    }

    /** @return the claimed index, or -1 if no GPU load happened yet */
    synchronized int claimed() {
      return first;
    }
  }

  /**
   * Whether the Java API and a native build for this platform are on the classpath, and loading has not
   * failed. Does not load the natives, and does not wait for a load in progress.
   *
   * @return true if {@link #load} can work
   */
  static boolean available() {
    if (failure != null) {
      return false;
    }
    if (version != null) {
      return true;
    }
    return missingReason() == null;
  }

  /**
   * Why the natives cannot be loaded here, checked without loading them.
   *
   * @return the reason, or null if the classes and this platform's natives are on the classpath
   */
  static @Nullable String missingReason() {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      return "big-endian platform; jinfer tensors are little-endian";
    }
    ClassLoader cl = TensorflowNatives.class.getClassLoader();
    try {
      Class.forName("org.tensorflow.SavedModelBundle", false, cl);
      String platform = platform();
      if (cl.getResource(NATIVE_PACKAGE + platform + "/") == null && cl.getResource(NATIVE_PACKAGE + platform + "-gpu/") == null) {
        return "no TensorFlow natives for platform " + platform + " on the classpath; add "
            + "org.tensorflow:tensorflow-core-native:" + TensorflowBackend.TENSORFLOW_JAVA_VERSION + " with classifier "
            + platform;
      }
      return null;
    } catch (ClassNotFoundException | LinkageError e) {
      return "TensorFlow Java classes are not on the classpath (" + e + ")";
    }
  }

  /** @return JavaCPP's platform name, e.g. {@code linux-x86_64} */
  static String platform() {
    return org.bytedeco.javacpp.Loader.getPlatform();
  }

  /**
   * Whether a GPU build of the natives ({@code <platform>-gpu} classifier) is on the classpath.
   *
   * @return true if one is
   */
  static boolean gpuBuildPresent() {
    return TensorflowNatives.class.getClassLoader().getResource(NATIVE_PACKAGE + platform() + "-gpu/") != null;
  }

  /**
   * Loads the natives if not yet loaded, into the requested cache directory if one is given.
   *
   * @param cacheDir the cache directory a load asked for, or null to use JavaCPP's
   * @return TensorFlow's version
   * @throws BackendUnavailableException if the natives cannot be loaded here
   * @throws IllegalArgumentException naming the property if {@code cacheDir} comes too late: the natives,
   *     or JavaCPP's cache directory, were already fixed to another directory
   */
  static synchronized String load(@Nullable Path cacheDir) {
    if (failure != null) {
      throw new BackendUnavailableException("backend 'tensorflow': TensorFlow's native libraries could not be loaded: "
          + failure, failure);
    }
    if (version == null) {
      String missing = missingReason();
      if (missing != null) {
        throw new BackendUnavailableException("backend 'tensorflow': " + missing);
      }
      if (cacheDir != null) {
        String current = System.getProperty(JAVACPP_CACHE_DIR);
        if (current != null && !sameDir(Path.of(current), cacheDir)) {
          throw new IllegalArgumentException("property " + TensorflowBackend.NATIVE_CACHE_DIR + "=" + cacheDir
              + " conflicts with system property " + JAVACPP_CACHE_DIR + "=" + current + "; set one of them");
        }
        System.setProperty(JAVACPP_CACHE_DIR, cacheDir.toString());
      }
      long t0 = System.nanoTime();
      try {
        String v = org.tensorflow.TensorFlow.version(); // JavaCPP unpacks (first time) and loads the libraries here
        loadNanos = System.nanoTime() - t0;
        loadedFrom = javacppCacheDir();
        version = v;
        LOG.info("tensorflow: loaded TensorFlow {} natives for {} from cache dir {} in {} ms", v, platform(), loadedFrom,
            loadNanos / 1_000_000);
      } catch (RuntimeException | LinkageError e) { // e.g. UnsatisfiedLinkError, or an IOException wrapped on unpacking
        failure = e;
        LOG.debug("tensorflow: natives could not be loaded", e);
        throw new BackendUnavailableException("backend 'tensorflow': TensorFlow's native libraries could not be loaded "
            + "(cache dir " + describeCacheDir() + "): " + e, e);
      }
    }
    if (cacheDir != null && (loadedFrom == null || !sameDir(loadedFrom, cacheDir))) {
      throw new IllegalArgumentException("property " + TensorflowBackend.NATIVE_CACHE_DIR + "=" + cacheDir
          + " came too late: TensorFlow's natives are already loaded from JavaCPP cache dir " + loadedFrom
          + " (JavaCPP fixes its cache dir at its first native load in the process); set it on the first TensorFlow "
          + "load, or start the JVM with -D" + JAVACPP_CACHE_DIR + "=" + cacheDir);
    }
    return version;
  }

  /**
   * Where JavaCPP unpacked the natives, once loaded.
   *
   * @return the cache directory, or null before the first load
   */
  static @Nullable Path loadedFrom() {
    return loadedFrom;
  }

  /** @return how long the first native load took (unpacking included), or 0 before it */
  static synchronized long loadNanos() {
    return loadNanos;
  }

  private static @Nullable Path javacppCacheDir() {
    try {
      File dir = org.bytedeco.javacpp.Loader.getCacheDir();
      return dir == null ? null : dir.toPath();
    } catch (IOException e) {
      return null;
    }
  }

  private static String describeCacheDir() {
    String dir = System.getProperty(JAVACPP_CACHE_DIR);
    return dir != null ? dir : System.getProperty("user.home") + "/.javacpp/cache (JavaCPP's default)";
  }

  private static boolean sameDir(Path a, Path b) {
    return canonical(a).equals(canonical(b));
  }

  private static Path canonical(Path p) {
    try {
      return p.toFile().getCanonicalFile().toPath(); // JavaCPP reports its cache dir canonicalized
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }
}
