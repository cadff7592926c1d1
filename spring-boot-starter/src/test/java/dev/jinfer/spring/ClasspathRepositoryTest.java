package dev.jinfer.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.TestJars;
import dev.jinfer.io.Npy;
import dev.jinfer.registry.ModelRegistry;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code jinfer.repository.root} as Spring reads resource locations: {@code classpath:models} (here a jar on the
 * application's class loader holding the fraud model, as in a Spring Boot jar's {@code BOOT-INF/classes}), a
 * {@code file:} URL, and the errors for a location the class path does not hold.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClasspathRepositoryTest {
  @TempDir
  Path dir;

  private static Path fixtures() {
    return Path.of(System.getProperty("jinfer.fixtures"));
  }

  private static ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ApplicationAvailabilityAutoConfiguration.class, JinferAutoConfiguration.class));
  }

  private static void scoresLikeTheReference(Predictor fraud) {
    Tensor input = Npy.read(fixtures().resolve("onnx/fraud_input.npy"));
    float[] expected = Npy.read(fixtures().resolve("onnx/fraud_output.npy")).toFloatArray();
    float[] got = fraud.predict(NamedTensors.of("features", input)).get("probabilities").toFloatArray();
    assertThat(got).containsExactly(expected, Offset.offset(1e-5f));
  }

  @Test
  void classpathRoot_servesTheFraudModelFromAJar_withItsBean_andTheSourceInStatusAndHealth() throws Exception {
    Path jar = TestJars.write(dir.resolve("app.jar"), Map.of("models/fraud/1/model.onnx", Files.readAllBytes(fixtures().resolve("onnx/fraud.onnx"))));
    try (URLClassLoader app = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
      runner().withClassLoader(app).withPropertyValues("jinfer.repository.root=classpath:models").run(ctx -> {
        assertThat(ctx).hasNotFailed().hasBean("fraud");
        ModelRegistry registry = ctx.getBean(ModelRegistry.class);
        assertThat(registry.repository()).isEqualTo("classpath:models/");
        assertThat(registry.isReady()).isTrue();
        scoresLikeTheReference(ctx.getBean("fraud", Predictor.class));
        assertThat(registry.status().model("fraud").orElseThrow().version("1").orElseThrow().source()).isEqualTo("classpath:models/fraud/1/");
        Map<String, Object> details = RegistryHealth.details(registry);
        assertThat(details).containsEntry("root", "classpath:models/");
        assertThat(details.get("models").toString()).contains("sources={1=classpath:models/fraud/1/}");
      });
    }
  }

  @Test
  void fileUrlRoot_andPlainPath_areDirectories() throws Exception {
    Path repo = Files.createDirectories(dir.resolve("repo/fraud/1"));
    Files.copy(fixtures().resolve("onnx/fraud.onnx"), repo.resolve("model.onnx"));
    Path root = dir.resolve("repo");
    for (String value : new String[] {root.toUri().toString(), root.toString()}) {
      runner().withPropertyValues("jinfer.repository.root=" + value).run(ctx -> {
        assertThat(ctx).as(value).hasNotFailed().hasBean("fraud");
        assertThat(ctx.getBean(ModelRegistry.class).root()).isEqualTo(root.toRealPath());
        scoresLikeTheReference(ctx.getBean("fraud", Predictor.class));
      });
    }
  }

  @Test
  void aClasspathLocationNoEntryHolds_failsStartup_namingThePropertyAndTheLocation() {
    runner().withPropertyValues("jinfer.repository.root=classpath:no-such-models").run(ctx -> {
      assertThat(ctx).hasFailed();
      Throwable cause = ctx.getStartupFailure();
      while (cause != null && !(cause instanceof ModelStartupException)) {
        cause = cause.getCause();
      }
      assertThat(cause).as("a ModelStartupException in %s", ctx.getStartupFailure()).isNotNull();
      ModelStartupException e = (ModelStartupException) cause;
      assertThat(e.property()).isEqualTo("jinfer.repository.root");
      assertThat(e.getMessage()).contains("classpath:no-such-models").contains("no-such-models");
    });
  }

  @Test
  void malformedLocations_failValidation_namingTheProperty() {
    for (String value : new String[] {"classpath:", "classpath*:models", "file:/a%zz"}) {
      runner().withPropertyValues("jinfer.repository.root=" + value).run(ctx -> {
        assertThat(ctx).as(value).hasFailed();
        assertThat(ctx.getStartupFailure()).rootCause().hasMessageContaining("jinfer.repository.root");
      });
    }
  }

  @Test
  void locations_parse_asSpringReadsThem() {
    assertThat(RepositoryLocation.parse("classpath:/models/").isClasspath()).isTrue();
    assertThat(RepositoryLocation.parse("CLASSPATH:models").isClasspath()).isTrue();
    assertThat(RepositoryLocation.parse("file:/srv/models").directory()).isEqualTo(Path.of("/srv/models"));
    assertThat(RepositoryLocation.parse("file:models").directory()).isEqualTo(Path.of("models"));
    assertThat(RepositoryLocation.parse(" /srv/models ").directory()).isEqualTo(Path.of("/srv/models"));
  }
}
