package dev.jinfer.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Backends;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import dev.jinfer.Tensor;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Shared helpers: a context runner with jinfer's auto-configuration over a ScaleBackend repository. */
final class StarterFixtures {
  private StarterFixtures() {}

  static ApplicationContextRunner runner(ScaleBackend backend, java.nio.file.Path root) {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ApplicationAvailabilityAutoConfiguration.class, JinferAutoConfiguration.class,
            JinferHealthAutoConfiguration.class, JinferBoot4HealthAutoConfiguration.class))
        .withBean(Backends.class, () -> Backends.of(backend))
        .withPropertyValues("jinfer.repository.root=" + root);
  }

  static NamedTensors row(float a, float b) {
    return NamedTensors.of("x", Tensor.ofFloats(new float[] {a, b}, 1, 2));
  }

  static float[] y(Predictor p, float a, float b) {
    return p.predict(row(a, b)).get("y").toFloatArray();
  }

  /** Waits (parking, re-checking) until the condition holds, failing after the timeout. */
  static void await(Duration timeout, BooleanSupplier condition) {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - end).as("condition not met within " + timeout).isNegative();
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
    }
  }
}
