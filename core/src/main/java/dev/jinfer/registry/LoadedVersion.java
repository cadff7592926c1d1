package dev.jinfer.registry;

import dev.jinfer.Model;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded, warm model and what to clean up once it is closed (the temporary copy a backend that reads
 * only files was given; nothing for a model loaded from the repository's own files or from memory).
 * Immutable; {@link #close()} is called once, by the owner. (A class, not a record: Lincheck cannot
 * instrument a record with static fields.)
 */
final class LoadedVersion {
  private static final Logger LOG = LoggerFactory.getLogger(LoadedVersion.class);
  /** A cleanup that does nothing. */
  static final Runnable NOTHING = () -> { };

  private final Model model;
  private final Runnable cleanup;

  /**
   * @param model the model, owned by whoever holds this
   * @param cleanup run after the model is closed; must not throw
   */
  LoadedVersion(Model model, Runnable cleanup) {
    this.model = model;
    this.cleanup = cleanup;
  }

  /** @return the model */
  Model model() {
    return model;
  }

  /** @return what to run once the model is closed */
  Runnable cleanup() {
    return cleanup;
  }

  /** Closes the model, then cleans up, even if the close failed. */
  void close() {
    try {
      model.close();
    } catch (RuntimeException e) {
      LOG.warn("model {}: closing failed", model.id(), e);
    } finally {
      cleanup.run();
    }
  }
}
