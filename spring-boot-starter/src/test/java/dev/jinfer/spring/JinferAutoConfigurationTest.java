package dev.jinfer.spring;

import static dev.jinfer.spring.StarterFixtures.await;
import static dev.jinfer.spring.StarterFixtures.row;
import static dev.jinfer.spring.StarterFixtures.y;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.Backends;
import dev.jinfer.BackendException;
import dev.jinfer.ModelId;
import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import dev.jinfer.breaker.CircuitBreaker;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.RegistryRepo;
import dev.jinfer.registry.VersionState;
import dev.jinfer.serving.ServingChain;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class JinferAutoConfigurationTest {
  @TempDir
  Path dir;
  RegistryRepo repo;
  ScaleBackend backend;
  ApplicationContextRunner runner;

  @BeforeEach
  void setUp() throws Exception {
    repo = new RegistryRepo(dir);
    repo.scale("fraud", "1", 2f);
    repo.scale("churn", "1", 3f);
    backend = new ScaleBackend();
    runner = StarterFixtures.runner(backend, repo.root());
  }

  @Configuration(proxyBeanMethods = false)
  static class Consumer {
    @Bean
    String fraudAnswer(@Qualifier("fraud") Predictor fraud) {
      return Float.toString(fraud.predict(row(1, 2)).get("y").toFloatArray()[1]);
    }
  }

  @Test
  void registersTheStartedRegistry_andOnePredictorBeanPerModel_qualifiedByItsName() {
    runner.withUserConfiguration(Consumer.class).run(ctx -> {
      assertThat(ctx).hasNotFailed().hasSingleBean(ModelRegistry.class).hasBean("fraud").hasBean("churn");
      assertThat(ctx.getBeansOfType(Predictor.class)).containsOnlyKeys("fraud", "churn");
      assertThat(ctx.getBean("fraudAnswer")).isEqualTo("4.0");
      assertThat(y(ctx.getBean("churn", Predictor.class), 1, 2)).containsExactly(3f, 6f);
      assertThat(ctx.getBean(ModelRegistry.class).isReady()).isTrue();
    });
  }

  @Test
  void aModelNamedOnlyInProperties_stillGetsABean_thatFailsCallsUntilItServes() throws Exception {
    runner.withPropertyValues("jinfer.models.later.cache.enabled=true").run(ctx -> {
      assertThat(ctx).hasNotFailed().hasBean("later");
      assertThatThrownBy(() -> y(ctx.getBean("later", Predictor.class), 1, 1)).isInstanceOf(dev.jinfer.ModelNotFoundException.class);
    });
  }

  @Test
  void enabledFalse_configuresNothing() {
    runner.withPropertyValues("jinfer.enabled=false", "jinfer.repository.root=/does/not/matter").run(ctx -> {
      assertThat(ctx).hasNotFailed().doesNotHaveBean(ModelRegistry.class).doesNotHaveBean(Predictor.class)
          .doesNotHaveBean("jinferHealthIndicator");
    });
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnRegistry {
    @Bean(destroyMethod = "close")
    ModelRegistry myRegistry(Backends backends, @org.springframework.beans.factory.annotation.Value("${jinfer.repository.root}") Path root) {
      ModelRegistry r = ModelRegistry.newBuilder(root).backends(backends).build();
      r.start();
      return r;
    }

    @Bean
    Predictor fraud() {
      return new Predictor() {
        @Override
        public ModelId modelId() {
          return new ModelId("fraud", "mine");
        }

        @Override
        public dev.jinfer.ModelSignature signature() {
          return ScaleBackend.SIGNATURE;
        }

        @Override
        public dev.jinfer.NamedTensors predict(dev.jinfer.NamedTensors inputs, List<String> outputNames, dev.jinfer.CallOptions options) {
          return inputs;
        }

        @Override
        public void close() {}
      };
    }
  }

  @Test
  void theApplicationsOwnBeans_win() {
    runner.withUserConfiguration(OwnRegistry.class).run(ctx -> {
      assertThat(ctx).hasNotFailed().hasSingleBean(ModelRegistry.class).hasBean("myRegistry").doesNotHaveBean("jinferModelRegistry");
      assertThat(ctx.getBean("fraud", Predictor.class).modelId().version()).isEqualTo("mine");
      assertThat(ctx.getBean("churn")).isInstanceOf(ModelPredictor.class);
      assertThat(y(ctx.getBean("churn", Predictor.class), 1, 1)).containsExactly(3f, 3f);
    });
  }

  @Test
  void withoutABackendsBean_discoversTheClassPathsBackends() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    new ApplicationContextRunner()
        .withConfiguration(org.springframework.boot.autoconfigure.AutoConfigurations.of(JinferAutoConfiguration.class))
        .withPropertyValues("jinfer.repository.root=" + empty)
        .run(ctx -> assertThat(ctx).hasNotFailed().hasSingleBean(Backends.class).hasBean("jinferBackends"));
  }

  @Test
  void usesTheApplicationsMeterRegistry() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(ctx -> {
      y(ctx.getBean("fraud", Predictor.class), 1, 1);
      MeterRegistry meters = ctx.getBean(MeterRegistry.class);
      assertThat(meters.getMeters()).anyMatch(m -> "fraud".equals(m.getId().getTag("model")));
    });
  }

  @Test
  void versionPolicy_pin_aliases_andCanary() throws Exception {
    repo.scale("fraud", "2", 5f);
    repo.scale("fraud", "3", 7f);
    runner.withPropertyValues("jinfer.repository.version-policy=all", "jinfer.models.churn.version-policy=latest:1",
        "jinfer.models.fraud.version=stable", "jinfer.models.fraud.aliases.stable=2", "jinfer.models.fraud.canary-percent=0")
        .run(ctx -> {
          ModelStatus fraud = ctx.getBean(ModelRegistry.class).status().model("fraud").orElseThrow();
          assertThat(fraud.versions()).extracting(v -> v.state()).containsOnly(VersionState.READY).hasSize(3);
          assertThat(fraud.aliases()).containsEntry("stable", "2");
          assertThat(y(ctx.getBean("fraud", Predictor.class), 1, 1)).containsExactly(5f, 5f);
        });
    runner.withPropertyValues("jinfer.repository.version-policy=specific:1", "jinfer.models.fraud.canary-percent=100",
        "jinfer.models.fraud.version-policy=all", "jinfer.models.fraud.aliases.canary=3").run(ctx -> {
          assertThat(ctx.getBean(ModelRegistry.class).status().model("fraud").orElseThrow().canaryPercent()).isEqualTo(100);
          assertThat(y(ctx.getBean("fraud", Predictor.class), 1, 1)).containsExactly(7f, 7f);
        });
  }

  @Test
  void canaryPercent_sendsAShareOfTheBeansCalls_toTheCanaryVersion() throws Exception {
    repo.scale("fraud", "2", 5f);
    runner.withPropertyValues("jinfer.models.fraud.version-policy=latest:2", "jinfer.models.fraud.canary-percent=50").run(ctx -> {
      assertThat(ctx.getBean(ModelRegistry.class).status().model("fraud").orElseThrow().canaryVersion()).contains("2");
      Predictor fraud = ctx.getBean("fraud", Predictor.class);
      java.util.Set<Float> seen = new java.util.HashSet<>();
      for (int i = 0; i < 200 && seen.size() < 2; i++) { // both in 200 draws at 50%: fails with probability 2^-199
        seen.add(y(fraud, 1, 1)[0]);
      }
      assertThat(seen).containsExactlyInAnyOrder(2f, 5f);
    });
  }

  @Test
  void pollInterval_watchesTheRepository_andTheBeanFollowsTheSwap() {
    runner.withPropertyValues("jinfer.repository.poll-interval=20ms").run(ctx -> {
      Predictor fraud = ctx.getBean("fraud", Predictor.class);
      assertThat(y(fraud, 1, 1)).containsExactly(2f, 2f);
      repo.scale("fraud", "2", 9f);
      await(Duration.ofSeconds(20), () -> y(fraud, 1, 1)[0] == 9f);
      assertThat(fraud.modelId()).isEqualTo(new ModelId("fraud", "2"));
    });
  }

  @Test
  void integrityRequired_failsVersionsWithoutChecksums() throws Exception {
    RegistryRepo.writeSha256(repo.root().resolve("fraud/1/model.scale"));
    runner.withPropertyValues("jinfer.repository.integrity=required").run(ctx -> {
      ModelRegistry r = ctx.getBean(ModelRegistry.class);
      assertThat(r.status().model("fraud").orElseThrow().isReady()).isTrue();
      assertThat(r.status().model("churn").orElseThrow().isReady()).isFalse();
      assertThat(r.isReady()).isFalse();
    });
  }

  @Test
  void requiredModels_decideReadiness() throws Exception {
    repo.file("broken", "1", "model.scale", "not a number");
    runner.withPropertyValues("jinfer.repository.required-models=fraud,churn").run(ctx -> {
      assertThat(ctx).hasNotFailed();
      assertThat(ctx.getBean(ModelRegistry.class).isReady()).isTrue();
    });
    runner.run(ctx -> assertThat(ctx.getBean(ModelRegistry.class).isReady()).isFalse());
  }

  @Test
  void warmupCalls_and_warmupShapes_reachTheRegistry() {
    runner.withPropertyValues("jinfer.repository.warmup-calls=3", "jinfer.models.fraud.warmup-shapes.x=4,2").run(ctx -> {
      ScaleBackend.Session fraud = backend.sessions.stream().filter(s -> s.runs.get() > 0 && s.inputs.get(0).get("x").shape().dim(0) == 4)
          .findFirst().orElseThrow();
      assertThat(fraud.runs.get()).isEqualTo(3);
    });
    runner.withPropertyValues("jinfer.models.fraud.warmup-shapes.x=4,5").run(ctx ->
        assertThat(ctx.getBean(ModelRegistry.class).status().model("fraud").orElseThrow().isReady()).isFalse());
  }

  @Test
  void intraOpThreads_isValidated_andPassedToTheLoad() {
    runner.withPropertyValues("jinfer.repository.intra-op-threads=1").run(ctx -> assertThat(ctx).hasNotFailed());
    runner.withPropertyValues("jinfer.repository.intra-op-threads=0").run(ctx ->
        assertThat(ctx).getFailure().hasStackTraceContaining("repository.intraOpThreads").hasStackTraceContaining("must be at least 1"));
  }

  private static ServingChain chain(org.springframework.context.ApplicationContext ctx, String model) {
    return ((ModelPredictor) ctx.getBean(model, Predictor.class)).currentChain();
  }

  @Test
  void everyLayerIsOffByDefault() {
    runner.run(ctx -> {
      ServingChain c = chain(ctx, "fraud");
      assertThat(c.batcher()).isEmpty();
      assertThat(c.cache()).isEmpty();
      assertThat(c.breaker()).isEmpty();
    });
  }

  @Test
  void batchingProperties_configureTheBatcher() {
    runner.withPropertyValues("jinfer.models.fraud.batching.enabled=true", "jinfer.models.fraud.batching.max-batch-size=7",
        "jinfer.models.fraud.batching.max-queue-size=50", "jinfer.models.fraud.batching.workers=2",
        "jinfer.models.fraud.batching.max-queue-delay=1ms", "jinfer.models.churn.batching.enabled=true",
        "jinfer.models.churn.batching.latency-target=3ms").run(ctx -> {
          assertThat(ctx).hasNotFailed();
          var stats = chain(ctx, "fraud").batcher().orElseThrow().stats();
          assertThat(stats.batchLimit()).isEqualTo(7);
          assertThat(stats.batchWindow()).isEqualTo(Duration.ofMillis(1));
          assertThat(y(ctx.getBean("fraud", Predictor.class), 1, 1)).containsExactly(2f, 2f);
          assertThat(chain(ctx, "churn").batcher()).isPresent();
          assertThat(chain(ctx, "churn").cache()).isEmpty();
        });
  }

  @Test
  void cacheProperties_putACacheInFront() {
    runner.withPropertyValues("jinfer.models.fraud.cache.enabled=true", "jinfer.models.fraud.cache.maximum-size=5",
        "jinfer.models.fraud.cache.expire-after-write=1h").run(ctx -> {
          Predictor fraud = ctx.getBean("fraud", Predictor.class);
          y(fraud, 1, 1);
          y(fraud, 1, 1);
          assertThat(chain(ctx, "fraud").cache().orElseThrow().stats().hits()).isEqualTo(1);
          assertThat(backend.sessions.get(0).runs.get() + backend.sessions.get(1).runs.get()).isLessThan(4);
        });
  }

  @Test
  void breakerProperties_configureTheBreaker() {
    runner.withPropertyValues("jinfer.repository.warmup-calls=0", "jinfer.models.fraud.breaker.enabled=true",
        "jinfer.models.fraud.breaker.window=2", "jinfer.models.fraud.breaker.minimum-calls=2",
        "jinfer.models.fraud.breaker.failure-rate=50", "jinfer.models.fraud.breaker.wait-in-open-state=1h").run(ctx -> {
          Predictor fraud = ctx.getBean("fraud", Predictor.class);
          backend.runFailure = new IllegalStateException("engine down");
          for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> y(fraud, 1, 1)).isInstanceOf(BackendException.class);
          }
          CircuitBreaker.Snapshot s = chain(ctx, "fraud").breaker().orElseThrow().snapshot();
          assertThat(s.state()).isEqualTo(CircuitBreaker.State.OPEN);
          assertThat(s.waitUntilTrial()).isGreaterThan(Duration.ofMinutes(59));
        });
  }

  @Test
  void observationEnabledFalse_and_availabilityFalse_turnThoseOff() {
    runner.withPropertyValues("jinfer.health.availability=false").run(ctx -> assertThat(ctx).doesNotHaveBean(RegistryAvailability.class));
    runner.run(ctx -> assertThat(ctx).hasSingleBean(RegistryAvailability.class));
  }

  @Test
  void closingTheContext_closesThePredictorsAndTheRegistry() {
    List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    runner.run(ctx -> {
      ModelPredictor fraud = (ModelPredictor) ctx.getBean("fraud", Predictor.class);
      ModelRegistry registry = ctx.getBean(ModelRegistry.class);
      y(fraud, 1, 1);
      ctx.close();
      assertThat(fraud.isClosed()).isTrue();
      assertThat(registry.isLive()).isFalse();
      order.add("closed");
    });
    assertThat(order).containsExactly("closed");
  }
}
