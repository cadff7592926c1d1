package dev.jinfer.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.ScaleBackend;
import dev.jinfer.registry.RegistryRepo;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The {@code jinfer} health on Spring Boot 3.5 ({@code org.springframework.boot.actuate.health}); Boot 4's
 * counterpart is {@code Boot4HealthIndicatorTest} in spring-boot-starter-boot4-test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HealthIndicatorTest {
  @TempDir
  Path dir;
  RegistryRepo repo;
  ApplicationContextRunner runner;

  @BeforeEach
  void setUp() throws Exception {
    repo = new RegistryRepo(dir);
    repo.scale("fraud", "1", 2f);
    repo.scale("churn", "1", 3f);
    runner = StarterFixtures.runner(new ScaleBackend(), repo.root());
  }

  @Test
  void healthIndicator_reportsEveryModel_andCanBeTurnedOff() throws Exception {
    repo.file("broken", "1", "model.scale", "not a number");
    runner.run(ctx -> {
      Health health = ctx.getBean("jinferHealthIndicator", HealthIndicator.class).health();
      assertThat(health.getStatus()).isEqualTo(Status.DOWN);
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> models = (Map<String, Map<String, Object>>) health.getDetails().get("models");
      assertThat(models).containsKeys("fraud", "churn", "broken");
      assertThat(models.get("fraud")).containsEntry("ready", true).containsEntry("servingVersion", "1");
      assertThat(models.get("broken")).containsEntry("ready", false);
      assertThat(models.get("broken").get("versions").toString()).contains("FAILED");
    });
    runner.withPropertyValues("management.health.jinfer.enabled=false").run(ctx -> assertThat(ctx).doesNotHaveBean("jinferHealthIndicator"));
    runner.withBean("jinferHealthIndicator", HealthIndicator.class, () -> () -> Health.up().build())
        .run(ctx -> assertThat(ctx.getBean("jinferHealthIndicator", HealthIndicator.class).health().getDetails()).isEmpty());
  }

  @Test
  void onBoot35_theBoot4ConfigurationBacksOff() {
    runner.run(ctx -> {
      assertThat(ctx).hasNotFailed().hasSingleBean(JinferHealthAutoConfiguration.class)
          .doesNotHaveBean(JinferBoot4HealthAutoConfiguration.class);
      assertThat(ctx.getBean("jinferHealthIndicator")).isInstanceOf(HealthIndicator.class);
      assertThat(ctx.getBean("jinferHealthIndicator", HealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
    });
  }
}
