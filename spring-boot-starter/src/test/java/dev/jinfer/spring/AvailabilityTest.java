package dev.jinfer.spring;

import static dev.jinfer.spring.StarterFixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Backends;
import dev.jinfer.ScaleBackend;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.RegistryRepo;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The registry drives readiness (a failing model beside serving ones) and liveness (a registry that stops). */
class AvailabilityTest {
  @TempDir
  Path dir;

  @Configuration(proxyBeanMethods = false)
  @ImportAutoConfiguration({ApplicationAvailabilityAutoConfiguration.class, JinferAutoConfiguration.class})
  static class App {
    @Bean
    Backends backends() {
      return Backends.of(new ScaleBackend());
    }
  }

  @Test
  void aModelThatFailsToLoad_besideAServingOne_startsTheApp_refusingTraffic_untilItServes() throws Exception {
    RegistryRepo repo = new RegistryRepo(dir);
    repo.scale("fraud", "1", 2f);
    repo.file("churn", "1", "model.scale", "not a number");
    try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
        .properties("jinfer.repository.root=" + repo.root(), "jinfer.health.availability-check-interval=20ms").run()) {
      ApplicationAvailability availability = ctx.getBean(ApplicationAvailability.class);
      await(Duration.ofSeconds(10), () -> availability.getReadinessState() == ReadinessState.REFUSING_TRAFFIC);
      assertThat(availability.getLivenessState()).isEqualTo(LivenessState.CORRECT);
      repo.scale("churn", "2", 3f);
      ctx.getBean(ModelRegistry.class).reload();
      await(Duration.ofSeconds(10), () -> availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC);
    }
  }

  @Test
  void aRequiredModelWithoutDirectory_refusesTraffic() throws Exception {
    RegistryRepo repo = new RegistryRepo(dir);
    repo.scale("fraud", "1", 2f);
    try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
        .properties("jinfer.repository.root=" + repo.root(), "jinfer.repository.required-models=fraud,ghost").run()) {
      ApplicationAvailability availability = ctx.getBean(ApplicationAvailability.class);
      await(Duration.ofSeconds(10), () -> availability.getReadinessState() == ReadinessState.REFUSING_TRAFFIC);
      assertThat(ctx.getBean(ModelRegistry.class).status().model("ghost").orElseThrow().error()).get().asString()
          .contains("expected a directory");
    }
  }

  @Test
  void everyModelServing_acceptsTraffic_andARegistryThatStops_breaksLiveness() throws Exception {
    RegistryRepo repo = new RegistryRepo(dir);
    repo.scale("fraud", "1", 2f);
    try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
        .properties("jinfer.repository.root=" + repo.root(), "jinfer.health.availability-check-interval=20ms").run()) {
      ApplicationAvailability availability = ctx.getBean(ApplicationAvailability.class);
      assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
      ctx.getBean(ModelRegistry.class).close();
      await(Duration.ofSeconds(10), () -> availability.getLivenessState() == LivenessState.BROKEN);
      // the same check publishes readiness right after liveness
      await(Duration.ofSeconds(10), () -> availability.getReadinessState() == ReadinessState.REFUSING_TRAFFIC);
    }
  }
}
