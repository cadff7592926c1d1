package dev.jinfer.spring;

import static dev.jinfer.spring.StarterFixtures.y;

import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import dev.jinfer.registry.RegistryRepo;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The Predictor beans are observed through the application's ObservationRegistry (what Spring's tracing bridges use). */
class ObservationTest {
  @TempDir
  Path dir;
  ApplicationContextRunner runner;
  TestObservationRegistry observations = TestObservationRegistry.create();

  @BeforeEach
  void setUp() throws Exception {
    RegistryRepo repo = new RegistryRepo(dir);
    repo.scale("fraud", "1", 2f);
    runner = StarterFixtures.runner(new ScaleBackend(), repo.root()).withBean(ObservationRegistry.class, () -> observations);
  }

  @Test
  void aCall_isRecordedAsAnObservation_withTheModelsTags_andBatchingChildren() {
    runner.withPropertyValues("jinfer.models.fraud.batching.enabled=true").run(ctx -> {
      y(ctx.getBean("fraud", Predictor.class), 1, 2);
      TestObservationRegistryAssert.assertThat(observations).hasObservationWithNameEqualTo("jinfer.serving.predict").that()
          .hasLowCardinalityKeyValue("jinfer.model", "fraud").hasLowCardinalityKeyValue("jinfer.version", "1")
          .hasLowCardinalityKeyValue("outcome", "success").hasBeenStopped();
      TestObservationRegistryAssert.assertThat(observations).hasObservationWithNameEqualTo("jinfer.batch.queue").that()
          .hasParentObservation().hasBeenStopped();
      TestObservationRegistryAssert.assertThat(observations).hasObservationWithNameEqualTo("jinfer.batch.engine").that()
          .hasParentObservation().hasLowCardinalityKeyValue("jinfer.model", "fraud").hasBeenStopped();
    });
  }

  @Test
  void observationEnabledFalse_observesNothing() {
    runner.withPropertyValues("jinfer.observation.enabled=false").run(ctx -> {
      y(ctx.getBean("fraud", Predictor.class), 1, 2);
      TestObservationRegistryAssert.assertThat(observations).doesNotHaveAnyObservation();
    });
  }
}
