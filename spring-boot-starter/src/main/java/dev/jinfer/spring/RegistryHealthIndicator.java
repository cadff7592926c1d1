package dev.jinfer.spring;

import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.RegistryStatus;
import dev.jinfer.registry.VersionStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/** The {@code jinfer} health: UP when the registry is ready, DOWN otherwise; details per model. Thread-safe. */
final class RegistryHealthIndicator implements HealthIndicator {
  private final ModelRegistry registry;

  RegistryHealthIndicator(ModelRegistry registry) {
    this.registry = registry;
  }

  @Override
  public Health health() {
    RegistryStatus status = registry.status();
    Health.Builder b = registry.isReady() ? Health.up() : Health.down();
    b.withDetail("live", status.isLive()).withDetail("root", registry.root().toString());
    Map<String, Object> models = new LinkedHashMap<>();
    for (ModelStatus m : status.models()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("ready", m.isReady());
      d.put("required", m.required());
      m.servingVersion().ifPresent(v -> d.put("servingVersion", v));
      m.canaryVersion().ifPresent(v -> d.put("canaryVersion", v));
      if (!m.aliases().isEmpty()) {
        d.put("aliases", m.aliases());
      }
      m.error().ifPresent(e -> d.put("error", e));
      Map<String, Object> versions = new LinkedHashMap<>();
      for (VersionStatus v : m.versions()) {
        versions.put(v.version(), v.error().map(e -> v.state() + ": " + e).orElse(v.state().toString()));
      }
      d.put("versions", versions);
      models.put(m.name(), d);
    }
    return b.withDetail("models", models).build();
  }
}
