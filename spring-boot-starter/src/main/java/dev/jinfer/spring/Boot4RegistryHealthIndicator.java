package dev.jinfer.spring;

import dev.jinfer.registry.ModelRegistry;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code jinfer} health on Spring Boot 4.0 ({@code org.springframework.boot.health.contributor}): the same
 * status and details as {@link RegistryHealthIndicator} on Boot 3.5. Thread-safe.
 */
final class Boot4RegistryHealthIndicator implements HealthIndicator {
  private final ModelRegistry registry;

  Boot4RegistryHealthIndicator(ModelRegistry registry) {
    this.registry = registry;
  }

  @Override
  public Health health() {
    return (RegistryHealth.isUp(registry) ? Health.up() : Health.down()).withDetails(RegistryHealth.details(registry)).build();
  }
}
