package dev.jinfer.spring;

import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.RegistryStatus;
import dev.jinfer.registry.VersionStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the {@code jinfer} health reports, independent of Spring Boot's health API (which moved between Boot 3.5
 * and 4.0): UP when the registry is ready, and the details per model. Stateless.
 */
final class RegistryHealth {
  private RegistryHealth() {}

  /** @return whether the health is UP: the registry is ready (every required model serves) */
  static boolean isUp(ModelRegistry registry) {
    return registry.isReady();
  }

  /**
   * @return the details: liveness, the repository ({@code root}: a directory or {@code classpath:<location>/}), and
   *     each model's versions, states and errors, and where each version is loaded from ({@code sources})
   */
  static Map<String, Object> details(ModelRegistry registry) {
    RegistryStatus status = registry.status();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("live", status.isLive());
    details.put("root", registry.repository());
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
      Map<String, Object> sources = new LinkedHashMap<>();
      for (VersionStatus v : m.versions()) {
        versions.put(v.version(), v.error().map(e -> v.state() + ": " + e).orElse(v.state().toString()));
        sources.put(v.version(), v.source());
      }
      d.put("versions", versions);
      d.put("sources", sources);
      models.put(m.name(), d);
    }
    details.put("models", models);
    return details;
  }
}
