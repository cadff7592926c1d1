package dev.jinfer.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.Backends;
import dev.jinfer.ScaleBackend;
import dev.jinfer.registry.RegistryRepo;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Bad configuration fails startup with Spring Boot's failure report naming the property and the value. */
@ExtendWith(OutputCaptureExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StartupFailureTest {
  @TempDir
  Path dir;
  RegistryRepo repo;

  @Configuration(proxyBeanMethods = false)
  @ImportAutoConfiguration({ApplicationAvailabilityAutoConfiguration.class, JinferAutoConfiguration.class})
  static class App {
    @Bean
    Backends backends() {
      return Backends.of(new ScaleBackend());
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ImportAutoConfiguration({ApplicationAvailabilityAutoConfiguration.class, JinferAutoConfiguration.class})
  static class FixedBatchApp {
    @Bean
    Backends backends() {
      return Backends.of(new ScaleBackend(), new FixedBatchBackend());
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    repo = new RegistryRepo(dir);
    repo.scale("fraud", "1", 2f);
  }

  private void start(String... properties) {
    new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).properties(properties).run().close();
  }

  @Test
  void aMissingRoot_namesThePropertyAndTheValue(CapturedOutput output) {
    Path missing = dir.resolve("nowhere");
    assertThatThrownBy(() -> start("jinfer.repository.root=" + missing)).isNotNull();
    assertThat(output).contains("APPLICATION FAILED TO START").contains("jinfer.repository.root").contains(missing.toString())
        .contains("must be an existing directory");
  }

  @Test
  void noRootAtAll_namesTheProperty(CapturedOutput output) {
    assertThatThrownBy(() -> start("jinfer.models.fraud.cache.enabled=true")).isNotNull();
    assertThat(output).contains("APPLICATION FAILED TO START").contains("jinfer.repository.root")
        .contains("must be set to the model repository: a directory, a file: URL or a classpath: location");
  }

  @Test
  void aBatchSizeOf0_namesThePropertyAndTheValue(CapturedOutput output) {
    assertThatThrownBy(() -> start("jinfer.repository.root=" + repo.root(), "jinfer.models.fraud.batching.enabled=true",
        "jinfer.models.fraud.batching.max-batch-size=0")).isNotNull();
    assertThat(output).contains("APPLICATION FAILED TO START").contains("jinfer.models.fraud.batching.max-batch-size")
        .contains("Value: \"0\"").contains("jinfer.models.fraud.batching.max-batch-size must be at least 1");
  }

  @Test
  void aMalformedVersionPolicy_namesThePropertyAndTheValue(CapturedOutput output) {
    assertThatThrownBy(() -> start("jinfer.repository.root=" + repo.root(), "jinfer.repository.version-policy=newest")).isNotNull();
    assertThat(output).contains("jinfer.repository.version-policy must be").contains("Value: \"newest\"").contains("latest:N");
  }

  @Test
  void anUnknownProperty_namesIt(CapturedOutput output) {
    assertThatThrownBy(() -> start("jinfer.repository.root=" + repo.root(), "jinfer.models.fraud.batching.max-batch=8")).isNotNull();
    assertThat(output).contains("APPLICATION FAILED TO START").contains("jinfer.models.fraud.batching.max-batch")
        .contains("were left unbound");
  }

  @Test
  void theOnlyModelFailingToLoad_failsStartup_withItsLoadError(CapturedOutput output) throws Exception {
    repo.file("fraud", "2", "model.scale", "not a number");
    repo.delete("fraud", "1");
    assertThatThrownBy(() -> start("jinfer.repository.root=" + repo.root())).hasRootCauseInstanceOf(ModelStartupException.class);
    assertThat(output).contains("APPLICATION FAILED TO START").contains("Property: jinfer.repository.root")
        .contains("Value: \"" + repo.root() + "\"").contains("no model can serve").contains("model 'fraud'")
        .contains("version 2 failed to load").contains("not a number").contains("Action:");
  }

  @Test
  void failFast_failsStartup_whenARequiredModelCannotServe_evenIfOthersCan(CapturedOutput output) throws Exception {
    repo.file("churn", "1", "model.scale", "not a number");
    assertThatThrownBy(() -> start("jinfer.repository.root=" + repo.root(), "jinfer.repository.fail-fast=true"))
        .hasRootCauseInstanceOf(ModelStartupException.class);
    assertThat(output).contains("Property: jinfer.repository.fail-fast").contains("model 'churn'")
        .contains("jinfer.repository.fail-fast=false");
  }

  @Test
  void batchingRequired_onAnUnbatchableModel_failsStartup_namingThePropertyAndTheValue(CapturedOutput output) throws Exception {
    repo.file("fixed", "1", "model.fixed", "3");
    assertThatThrownBy(() -> new SpringApplicationBuilder(FixedBatchApp.class).web(WebApplicationType.NONE)
        .properties("jinfer.repository.root=" + repo.root(), "jinfer.models.fixed.batching.enabled=true",
            "jinfer.models.fixed.batching.required=true").run().close())
        .hasRootCauseInstanceOf(IllegalArgumentException.class).hasStackTraceContaining("ModelStartupException");
    assertThat(output).contains("APPLICATION FAILED TO START").contains("Property: jinfer.models.fixed.batching.required")
        .contains("Value: \"true\"").contains("model 'fixed' cannot be served with these settings")
        .contains("jinfer.models.fixed.batching.required=false");
  }

  @Test
  void batchingNotRequired_onAnUnbatchableModel_servesItUnbatched() throws Exception {
    repo.file("fixed", "1", "model.fixed", "3");
    try (var ctx = new SpringApplicationBuilder(FixedBatchApp.class).web(WebApplicationType.NONE)
        .properties("jinfer.repository.root=" + repo.root(), "jinfer.models.fixed.batching.enabled=true").run()) {
      ModelPredictor fixed = ctx.getBean("fixed", ModelPredictor.class);
      assertThat(fixed.currentChain().batcher()).isEmpty();
      assertThat(fixed.predict(StarterFixtures.row(1, 2)).get("y").toFloatArray()).containsExactly(3f, 6f);
    }
  }
}
