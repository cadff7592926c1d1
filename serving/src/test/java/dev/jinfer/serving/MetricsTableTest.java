package dev.jinfer.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.Backends;
import dev.jinfer.InvalidInputException;
import dev.jinfer.LoadOptions;
import dev.jinfer.MetricsTable;
import dev.jinfer.NamedTensors;
import dev.jinfer.ScaleBackend;
import dev.jinfer.Tensor;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.RegistryRepo;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** README's metrics table against what a Prometheus registry holds after traffic through a whole chain. */
@Timeout(60)
class MetricsTableTest {
  /** What the chain below registers: every row but the Redis tier's (cache's tests) and the REST service's. */
  private static final Set<String> FROM = Set.of("model", "registry", "batching", "cache", "breaker",
      "breaker with fallback");

  @Test
  void aFullChain_registersExactlyTheTablesMeters_withItsTypesTagsAndUnits_andTheScrapeCarriesThem(@TempDir Path dir)
      throws Exception {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    RegistryRepo repo = new RegistryRepo(dir);
    repo.scale("fraud", "1");
    try (ModelRegistry registry = ModelRegistry.newBuilder(repo.root()).backends(Backends.of(new ScaleBackend()))
        .loadOptions(LoadOptions.newBuilder().meterRegistry(meters).build()).meterRegistry(meters).warmupCalls(0)
        .build()) {
      registry.start();
      try (ServingChain chain = ServingChain.newBuilder(registry, "fraud").meterRegistry(meters).cache()
          .breaker(b -> b.fallback(new ServingChainTest.Recording("fallback")))
          .batching().build()) {
        chain.predict(ScaleBackend.input(new float[] {1f, 2f}));
        chain.predict(ScaleBackend.input(new float[] {1f, 2f}));
        assertThatThrownBy(() -> chain.predict(NamedTensors.of("x", Tensor.ofInts(new int[2], 1, 2))))
            .isInstanceOf(InvalidInputException.class);
        try (var direct = registry.predictor("fraud")) { // an error the engine's own timer sees
          assertThatThrownBy(() -> direct.predict(NamedTensors.of("x", Tensor.ofInts(new int[2], 1, 2))))
              .isInstanceOf(InvalidInputException.class);
        }

        MetricsTable.check(meters, row -> FROM.contains(row.from()));
        String scrape = meters.scrape();
        MetricsTable.read().values().stream().filter(row -> FROM.contains(row.from()))
            .forEach(row -> assertThat(scrape).as("the scrape carries %s", row.name())
                .contains("\n" + row.name().replace('.', '_')));
        assertThat(scrape).as("an error is a series of the one predict timer")
            .containsPattern("jinfer_predict_seconds_count\\{error=\"INVALID_INPUT\",model=\"fraud\",outcome=\"error\"")
            .doesNotContain("quantile=");
      }
    }
  }
}
