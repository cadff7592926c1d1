package dev.jinfer.spring;

import dev.jinfer.registry.ModelRegistry;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * The {@code jinfer} health on Spring Boot 3.5 ({@code org.springframework.boot.actuate.health}): UP when the
 * registry is ready, DOWN otherwise; details per model ({@link RegistryHealth}). Thread-safe.
 */
final class RegistryHealthIndicator implements HealthIndicator {
  private final ModelRegistry registry;

  RegistryHealthIndicator(ModelRegistry registry) {
    this.registry = registry;
  }

  @Override
  public Health health() {
    return (RegistryHealth.isUp(registry) ? Health.up() : Health.down()).withDetails(RegistryHealth.details(registry)).build();
  }
}
