package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.ModelId;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.VersionPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Unversioned requests are split between the primary and the canary version, each served by its own chain. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PipelinesCanaryTest {
  @TempDir
  Path repository;

  @Test
  void resolve_sendsTheCanaryItsShare_ofUnversionedRequests() {
    RestTestSupport.addFraud(repository, "1");
    RestTestSupport.addFraud(repository, "2");
    AtomicInteger draw = new AtomicInteger();
    // draws 0.0, 0.5, 0.0, 0.5, ...: with a 25% split, every other call goes to the canary
    try (ModelRegistry registry = ModelRegistry.newBuilder(repository).versionPolicy("fraud", VersionPolicy.latest(2))
        .canaryPercent("fraud", 25).canarySampler(() -> (draw.getAndIncrement() % 2) * 0.5).build()) {
      registry.start();
      try (Pipelines pipelines = new Pipelines(registry, RestConfig.newBuilder().models(repository).build(), new SimpleMeterRegistry())) {
        List<String> versions = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          Pipelines.Pipeline p = pipelines.resolve("fraud", null);
          assertThat(p.predictor().modelId()).isEqualTo(p.id());
          versions.add(p.id().version());
        }
        assertThat(versions).containsExactly("2", "1", "2", "1");
        assertThat(pipelines.resolve("fraud", "1").id()).isEqualTo(new ModelId("fraud", "1"));
      }
    }
  }
}
