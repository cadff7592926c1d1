package dev.jinfer.spring;

import dev.jinfer.registry.ModelRegistry;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * The Actuator health indicator {@code jinfer} (bean {@code jinferHealthIndicator}) on Spring Boot 3.5; on Boot 4.0
 * {@link JinferBoot4HealthAutoConfiguration} gives the same. UP when every required
 * model serves, DOWN otherwise, with every model's versions, states and errors as details. Needs Spring Boot
 * Actuator on the class path and a {@link ModelRegistry} bean; off with {@code management.health.jinfer.enabled=false}.
 *
 * <p>Thread-safe (Spring calls it once).
 */
@AutoConfiguration(after = JinferAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
@ConditionalOnBean(ModelRegistry.class)
@ConditionalOnProperty(prefix = "management.health.jinfer", name = "enabled", havingValue = "true", matchIfMissing = true)
public class JinferHealthAutoConfiguration {
  /** Creates the auto-configuration (Spring does). */
  public JinferHealthAutoConfiguration() {}

  /**
   * The health indicator.
   *
   * @param registry the registry
   * @return the indicator
   */
  @Bean
  @ConditionalOnMissingBean(name = "jinferHealthIndicator")
  public HealthIndicator jinferHealthIndicator(ModelRegistry registry) {
    return new RegistryHealthIndicator(registry);
  }
}
