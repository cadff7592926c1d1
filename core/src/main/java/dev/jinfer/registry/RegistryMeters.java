package dev.jinfer.registry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A model registry's meters: {@code jinfer.registry.loads} (counter; tags {@code model}, {@code outcome}
 * = success or failure), {@code jinfer.registry.swaps} (counter; tag {@code model}: the unversioned
 * route moved to another version) and {@code jinfer.registry.ready} (gauge, 1 when ready). Without a
 * {@link MeterRegistry} every method is a no-op. Thread-safe.
 */
final class RegistryMeters {
  private final @Nullable MeterRegistry registry;
  private final List<Meter> meters = new CopyOnWriteArrayList<>();

  /**
   * Creates the meters.
   *
   * @param registry where to publish, or null for nowhere
   * @param ready the readiness to publish
   */
  public RegistryMeters(@Nullable MeterRegistry registry, BooleanSupplier ready) {
    this.registry = registry;
    if (registry != null) {
      meters.add(Gauge.builder("jinfer.registry.ready", ready, r -> r.getAsBoolean() ? 1 : 0)
          .description("1 when every required model has a warm version serving").strongReference(true).register(registry));
    }
  }

  /**
   * Counts a version load.
   *
   * @param model the model name
   * @param success whether it loaded and warmed up
   */
  public void load(String model, boolean success) {
    if (registry != null) {
      Counter c = Counter.builder("jinfer.registry.loads").description("Version loads by outcome")
          .tag("model", model).tag("outcome", success ? "success" : "failure").register(registry);
      remember(c);
      c.increment();
    }
  }

  /**
   * Counts a swap of the unversioned route.
   *
   * @param model the model name
   */
  public void swap(String model) {
    if (registry != null) {
      Counter c = Counter.builder("jinfer.registry.swaps").description("Swaps of the version serving unversioned traffic")
          .tag("model", model).register(registry);
      remember(c);
      c.increment();
    }
  }

  private void remember(Meter m) {
    if (!meters.contains(m)) {
      meters.add(m);
    }
  }

  /** Removes the meters from the registry. */
  public void close() {
    if (registry != null) {
      meters.forEach(registry::remove);
      meters.clear();
    }
  }
}
