package dev.jinfer.registry;

import dev.jinfer.Model;
import dev.jinfer.Predictor;
import dev.jinfer.internal.LeaseCounter;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded, warm version of a registry model and its leases. A registry handle leases the version for
 * the whole of a call ({@link #tryAcquire()} before, {@link #release()} after); the registry
 * {@link #retire()}s it when it stops routing to it. The model is closed exactly once, by whichever
 * comes last, the retirement or the release of the last lease, on that thread ({@link LeaseCounter}): so a call never starts
 * on a closed model, and a model is never closed under a call. Thread-safe.
 */
final class ServedVersion {
  private static final Logger LOG = LoggerFactory.getLogger(ServedVersion.class);

  private final long number;
  private final String label;
  private final Model model;
  private final Predictor predictor;
  private final Consumer<ServedVersion> onClosed;
  private final Runnable cleanup;
  private final LeaseCounter leases = new LeaseCounter();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();

  /**
   * Wraps a loaded model.
   *
   * @param number the version number
   * @param label the version's directory name
   * @param model the model, now owned by this object
   * @param onClosed told once the model is closed (on the closing thread; must not throw)
   */
  public ServedVersion(long number, String label, Model model, Consumer<ServedVersion> onClosed) {
    this(number, label, new LoadedVersion(model, LoadedVersion.NOTHING), onClosed);
  }

  /**
   * Wraps a loaded model and what to clean up once it is closed.
   *
   * @param number the version number
   * @param label the version's label
   * @param loaded the model, now owned by this object, and its cleanup (run after the model closes, before
   *     {@link #closed()} completes)
   * @param onClosed told once the model is closed (on the closing thread; must not throw)
   */
  public ServedVersion(long number, String label, LoadedVersion loaded, Consumer<ServedVersion> onClosed) {
    this.number = number;
    this.label = label;
    this.model = loaded.model();
    this.predictor = model.predictor();
    this.onClosed = onClosed;
    this.cleanup = loaded.cleanup();
  }

  /** @return the version number */
  public long number() {
    return number;
  }

  /** @return the version's directory name */
  public String label() {
    return label;
  }

  /** @return the model (owned by this object: do not close it) */
  public Model model() {
    return model;
  }

  /**
   * The predictor to call while holding a lease.
   *
   * @return the model's predictor
   */
  public Predictor predictor() {
    return predictor;
  }

  /**
   * Takes a lease unless the version is retired.
   *
   * @return false if retired: the caller must route again
   */
  public boolean tryAcquire() {
    return leases.tryAcquire();
  }

  /** Returns a lease; closes the model if the version is retired and this was the last lease. */
  public void release() {
    if (leases.release()) {
      closeModel();
    }
  }

  /** Stops new leases; closes the model now if none is held, else when the last is returned. Idempotent. */
  public void retire() {
    if (leases.close()) {
      closeModel();
    }
  }

  /** @return whether {@link #retire()} was called */
  public boolean isRetired() {
    return leases.isClosed();
  }

  /** @return leases held now */
  public long leases() {
    return leases.held();
  }

  /** @return completes once the model is closed */
  public CompletableFuture<Void> closed() {
    return closed;
  }

  private void closeModel() {
    try {
      predictor.close();
      model.close();
    } catch (RuntimeException e) {
      LOG.warn("model {}: closing the retired version failed", model.id(), e);
    } finally {
      try {
        cleanup.run();
      } catch (RuntimeException e) {
        LOG.warn("model {}: cleaning up after the retired version failed", model.id(), e);
      }
      closed.complete(null);
      try {
        onClosed.accept(this);
      } catch (RuntimeException e) {
        LOG.warn("model {}: close listener failed", model.id(), e);
      }
    }
  }

  @Override
  public String toString() {
    return "ServedVersion[" + model.id() + ", leases=" + leases() + (isRetired() ? ", retired" : "") + "]";
  }
}
