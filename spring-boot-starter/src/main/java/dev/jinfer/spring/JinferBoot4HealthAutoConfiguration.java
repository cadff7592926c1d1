package dev.jinfer.spring;

import dev.jinfer.registry.ModelRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The health indicator {@code jinfer} on Spring Boot 4.0, where the health API moved to
 * {@code org.springframework.boot.health.contributor} (module {@code spring-boot-health}): the same bean, status
 * and details as {@link JinferHealthAutoConfiguration} gives on Boot 3.5. Each of the two backs off where its
 * API is missing (a condition on the class name, read without loading this class), so one starter jar serves
 * both Boot lines. Needs a {@link ModelRegistry} bean; off with {@code management.health.jinfer.enabled=false}.
 *
 * <p>Thread-safe (Spring calls it once).
 */
@AutoConfiguration(after = JinferAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
@ConditionalOnBean(ModelRegistry.class)
@ConditionalOnProperty(prefix = "management.health.jinfer", name = "enabled", havingValue = "true", matchIfMissing = true)
public class JinferBoot4HealthAutoConfiguration {
  /** Creates the auto-configuration (Spring does). */
  public JinferBoot4HealthAutoConfiguration() {}

  /**
   * The health indicator.
   *
   * @param registry the registry
   * @return the indicator
   */
  @Bean
  @ConditionalOnMissingBean(name = "jinferHealthIndicator")
  public HealthIndicator jinferHealthIndicator(ModelRegistry registry) {
    return new Boot4RegistryHealthIndicator(registry);
  }
}
