package dev.jinfer.distill;

import ai.djl.engine.Engine;
import dev.jinfer.BackendUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DJL's PyTorch engine for training, started offline from the natives on the classpath, exactly as
 * {@code jinfer-backend-pytorch} does (the same jars; DJL never downloads). Thread-safe.
 */
final class DjlPytorch {
  static final String NATIVE_ARTIFACT = "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64";
  private static final String OFFLINE_PROPERTY = "ai.djl.offline";
  private static final Logger LOG = LoggerFactory.getLogger(DjlPytorch.class);

  private DjlPytorch() {}

  /**
   * @return the started engine
   * @throws BackendUnavailableException naming the natives artifact if libtorch cannot be loaded
   */
  static synchronized Engine engine() {
    String offline = System.getProperty(OFFLINE_PROPERTY);
    if (offline == null) {
      System.setProperty(OFFLINE_PROPERTY, "true");
    } else if (!Boolean.parseBoolean(offline)) {
      LOG.warn("distill: system property {}={} was set by the application; DJL may download libtorch",
          OFFLINE_PROPERTY, offline);
    }
    try {
      Engine engine = Engine.getEngine("PyTorch");
      engine.getVersion(); // forces the native load
      return engine;
    } catch (RuntimeException | LinkageError e) {
      throw new BackendUnavailableException("distill: DJL's PyTorch engine (libtorch 2.7.1) cannot be loaded here ("
          + e + "); training runs offline and never downloads natives: add " + NATIVE_ARTIFACT
          + " to the classpath (jinfer-distill depends on it), or set PYTORCH_LIBRARY_PATH to a libtorch 2.7.1 "
          + "directory", e);
    }
  }
}
