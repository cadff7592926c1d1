package dev.jinfer.pytorch;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.jinfer.BackendUnavailableException;
import java.nio.ByteOrder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-wide libtorch that DJL loads: started once, offline, on first use; and its process-wide
 * thread settings.
 *
 * <p>Thread-safe.
 */
final class LibTorch {
  /** The Maven coordinates of the CPU natives this backend is built against. */
  static final String NATIVE_ARTIFACT = "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64";
  /** The libtorch version of {@link #NATIVE_ARTIFACT}. */
  static final String VERSION = "2.7.1";
  /** DJL's switch that stops it from downloading natives or models. */
  static final String OFFLINE_PROPERTY = "ai.djl.offline";

  private static final Logger LOG = LoggerFactory.getLogger(LibTorch.class);
  private static final Object LOCK = new Object();
  private static @Nullable Engine engine; // guarded by LOCK
  private static @Nullable Throwable failure; // guarded by LOCK
  private static int interopThreads; // guarded by LOCK; 0 until set by jinfer

  private LibTorch() {}

  /**
   * DJL's PyTorch engine, started on the first call with offline mode on (unless the user set
   * {@value #OFFLINE_PROPERTY} already). A failure is remembered: libtorch is not retried.
   *
   * @return the engine
   * @throws BackendUnavailableException naming {@link #NATIVE_ARTIFACT} if libtorch cannot be loaded
   */
  static Engine engine() {
    synchronized (LOCK) {
      if (engine == null && failure == null) {
        start();
      }
      if (engine == null) {
        throw unavailable(failure);
      }
      return engine;
    }
  }

  /**
   * Whether DJL's PyTorch engine classes are present on a little-endian platform; loads no native code.
   *
   * @return false if the backend cannot work here whatever the natives
   */
  static boolean classesPresent() {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      return false;
    }
    try {
      Class.forName("ai.djl.pytorch.engine.PtEngine", false, LibTorch.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  private static void start() {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      failure = new UnsupportedOperationException("big-endian platform; jinfer tensors are little-endian");
      return;
    }
    String offline = System.getProperty(OFFLINE_PROPERTY);
    if (offline == null) {
      System.setProperty(OFFLINE_PROPERTY, "true");
    } else if (!Boolean.parseBoolean(offline)) {
      LOG.warn("pytorch: system property {}={} was set by the application; DJL may download libtorch", OFFLINE_PROPERTY, offline);
    }
    long t0 = System.nanoTime();
    try {
      Engine e = Engine.getEngine("PyTorch");
      e.getVersion(); // forces the native load
      engine = e;
      LOG.debug("pytorch: libtorch {} loaded in {} ms", e.getVersion(), (System.nanoTime() - t0) / 1_000_000);
    } catch (RuntimeException | LinkageError e) { // EngineException, IllegalArgumentException, UnsatisfiedLinkError...
      LOG.debug("pytorch: libtorch cannot be loaded", e);
      failure = e;
    }
  }

  static BackendUnavailableException unavailable(@Nullable Throwable cause) {
    return new BackendUnavailableException("backend 'pytorch': libtorch " + VERSION + " cannot be loaded here ("
        + describe(cause) + "). jinfer runs DJL offline and never downloads natives: add " + NATIVE_ARTIFACT
        + " to the classpath (jinfer-backend-pytorch depends on it; check it was not excluded), or set "
        + "PYTORCH_LIBRARY_PATH to a libtorch " + VERSION + " directory; see backend-pytorch/README.md", cause);
  }

  private static String describe(@Nullable Throwable t) {
    if (t == null) {
      return "unknown failure";
    }
    StringBuilder sb = new StringBuilder(t.toString());
    for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      sb.append("; caused by ").append(c);
    }
    return sb.toString();
  }

  /** @return the intra-op count libtorch uses for the calling thread's next work */
  static int intraOpThreadsOfThisThread() {
    return JniUtils.getNumThreads();
  }

  /**
   * Gives the calling thread {@code intraOp} intra-op threads for its next libtorch work. libtorch (with
   * OpenMP) keeps the count per thread: a thread copies the process-wide value the first time it does
   * libtorch work and keeps it, so a load that changes the process-wide value does not reach threads that
   * already ran a call; each call therefore sets its own model's count on its thread. Costs one JNI read
   * when the thread already has that count; switching a thread between models with different counts
   * also resets libtorch's process-wide value (and its thread-pool size), so models of one process
   * should share one count.
   *
   * @param intraOp the calling model's intra-op threads
   */
  static void useIntraOpThreads(int intraOp) {
    if (JniUtils.getNumThreads() != intraOp) {
      JniUtils.setNumThreads(intraOp);
    }
  }

  /**
   * Applies the thread settings of a model that loaded (a failed load changes neither). The intra-op
   * count is kept per thread by libtorch (see {@link #useIntraOpThreads}): this sets it on the loading
   * thread and as the process-wide value that threads new to libtorch copy, and every call sets its
   * model's count on its own thread. The inter-op pool can be sized only once per process, before any
   * inter-op work, so the first loaded model sets it and later loads asking for another size get a
   * warning (as does a first model whose load-time calls already used TorchScript {@code fork}).
   *
   * @param intraOp intra-op threads
   * @param interOp inter-op threads
   */
  static void applyThreads(int intraOp, int interOp) {
    synchronized (LOCK) {
      if (JniUtils.getNumThreads() != intraOp) {
        JniUtils.setNumThreads(intraOp);
      }
      if (interopThreads == 0) {
        interopThreads = -1; // one attempt per process
        if (JniUtils.getNumInteropThreads() != interOp) {
          try {
            JniUtils.setNumInteropThreads(interOp);
          } catch (RuntimeException e) { // already set by the application or DJL's num_interop_threads property
            LOG.warn("pytorch: cannot set inter-op threads to {} (libtorch allows it once per process); keeping {}: {}",
                interOp, JniUtils.getNumInteropThreads(), e.getMessage());
          }
        }
        interopThreads = JniUtils.getNumInteropThreads();
      } else if (interopThreads != interOp) {
        LOG.warn("pytorch: inter-op threads are fixed at {} for this process (libtorch sets them once); ignoring {}",
            interopThreads, interOp);
      }
    }
  }
}
