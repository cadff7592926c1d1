package dev.jinfer.registry;

import dev.jinfer.CallOptions;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelId;
import dev.jinfer.ModelNotFoundException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A registry's stable handle on a model: every call reads the model's current route, picks a version
 * (the primary or the canary, a fixed version, or an alias's), leases it for the whole call and
 * releases it after. If the version was retired between the read and the lease, the registry has
 * already published a newer route, and the call routes again: so a swap never fails a call. Owns
 * nothing: closing it stops only this handle. Thread-safe.
 */
final class RegistryPredictor implements Predictor {
  private final ModelSlot slot;
  private final long version;
  private final @Nullable String alias;
  private final BooleanSupplier registryClosed;
  private final DoubleSupplier sampler;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * Creates a handle.
   *
   * @param slot the model
   * @param version a fixed version number, or -1
   * @param alias an alias, or null
   * @param registryClosed whether the registry is closed
   * @param sampler uniform in [0, 1), for the canary split
   */
  public RegistryPredictor(ModelSlot slot, long version, @Nullable String alias, BooleanSupplier registryClosed, DoubleSupplier sampler) {
    this.slot = slot;
    this.version = version;
    this.alias = alias;
    this.registryClosed = registryClosed;
    this.sampler = sampler;
  }

  /** Routes to the version serving now, holds a lease on it for the call, and hands it the options. */
  @Override
  public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    for (;;) {
      ServedVersion v = current(true);
      if (v.tryAcquire()) {
        try {
          return v.predictor().predict(inputs, outputNames, options);
        } finally {
          v.release();
        }
      }
      Thread.onSpinWait();
    }
  }

  /**
   * The model id of the version a call would go to now (for an unversioned handle with a canary split,
   * the primary's).
   *
   * @return the id
   * @throws ModelNotFoundException if no version is ready for this handle
   * @throws ModelClosedException if the handle or the registry is closed
   */
  @Override
  public ModelId modelId() {
    return current(false).model().id();
  }

  /**
   * The version one call would go to now, the canary split drawn as for a call.
   *
   * @return the id
   * @throws ModelNotFoundException if no version is ready for this handle
   * @throws ModelClosedException if the handle or the registry is closed
   */
  ModelId sampleRoute() {
    return current(true).model().id();
  }

  /**
   * The signature of the version a call would go to now.
   *
   * @return the signature
   * @throws ModelNotFoundException if no version is ready for this handle
   * @throws ModelClosedException if the handle or the registry is closed
   */
  @Override
  public ModelSignature signature() {
    return current(false).model().signature();
  }

  private ServedVersion current(boolean sample) {
    if (closed.get()) {
      throw new ModelClosedException("registry predictor for " + target() + " is closed");
    }
    if (registryClosed.getAsBoolean()) {
      throw new ModelClosedException("model registry is closed; predictor for " + target() + " cannot run");
    }
    RegistryRoute r = slot.route();
    ServedVersion v;
    if (alias != null) {
      v = r.aliases().get(alias);
    } else if (version >= 0) {
      v = r.ready().get(version);
    } else {
      v = sample ? r.pick(sampler) : r.primary();
    }
    if (v == null) {
      throw notFound(r);
    }
    return v;
  }

  private ModelNotFoundException notFound(RegistryRoute r) {
    String loaded = r.ready().values().stream().map(ServedVersion::label).toList().toString();
    String detail;
    if (alias != null) {
      detail = "alias '" + alias + "' does not resolve to a loaded version; aliases: " + slot.status().aliases();
    } else if (version >= 0) {
      detail = "version " + version + " is not loaded" + slot.versionStatus(version)
          .map(s -> " (" + s.state() + s.error().map(e -> ": " + e).orElse("") + ")").orElse(" (no such version directory)");
    } else {
      detail = "no version is ready" + slot.status().error().map(e -> " (" + e + ")").orElse("");
    }
    return new ModelNotFoundException("model '" + slot.name() + "': " + detail + "; loaded versions: " + loaded);
  }

  private String target() {
    return "'" + slot.name() + "'" + (alias != null ? " alias '" + alias + "'" : version >= 0 ? " version " + version : "");
  }

  @Override
  public void close() {
    closed.set(true);
  }

  @Override
  public String toString() {
    return "RegistryPredictor[" + target() + "]";
  }
}
