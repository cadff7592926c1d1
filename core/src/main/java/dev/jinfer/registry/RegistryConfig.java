package dev.jinfer.registry;

import dev.jinfer.Backends;
import dev.jinfer.LoadOptions;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A model registry's validated configuration, as its builder leaves it. Immutable (the maps are
 * unmodifiable copies), so thread-safe.
 *
 * @param repository where the versions come from (besides those registered at run time)
 * @param backends the backends to load with
 * @param loadOptions the options for every version (name, version and warmup calls are set per version)
 * @param defaultPolicy the policy of models without their own
 * @param policies per-model policies
 * @param aliases per model, alias to version number
 * @param canaryPercents per model, the canary share of unversioned traffic
 * @param required the models readiness waits for; empty means every model in the repository
 * @param integrity the checksum mode
 * @param warmupShapes per model, input name to the concrete shape to warm up with
 * @param warmupCalls warmup calls per version
 * @param pollInterval how often to scan the repository; null for no watching
 * @param watchExecutor where to poll; null for the registry's own thread
 * @param meters where to publish registry metrics; null for none
 * @param clock the clock for status timestamps
 * @param canarySampler uniform in [0, 1), drawn per unversioned request when a split is on
 */
record RegistryConfig(
    Repository repository,
    Backends backends,
    LoadOptions loadOptions,
    VersionPolicy defaultPolicy,
    Map<String, VersionPolicy> policies,
    Map<String, Map<String, Long>> aliases,
    Map<String, Integer> canaryPercents,
    Set<String> required,
    IntegrityMode integrity,
    Map<String, Map<String, long[]>> warmupShapes,
    int warmupCalls,
    @Nullable Duration pollInterval,
    @Nullable ScheduledExecutorService watchExecutor,
    @Nullable MeterRegistry meters,
    Clock clock,
    DoubleSupplier canarySampler) {

  /**
   * A model's policy.
   *
   * @param model the model name
   * @return its own policy or the default
   */
  public VersionPolicy policy(String model) {
    return policies.getOrDefault(model, defaultPolicy);
  }
}
