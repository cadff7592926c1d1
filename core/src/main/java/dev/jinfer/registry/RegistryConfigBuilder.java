package dev.jinfer.registry;

import dev.jinfer.Backends;
import dev.jinfer.LoadOptions;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The checks and defaults of a {@link ModelRegistry}'s options: {@link ModelRegistry.Builder} is the public
 * shell over this draft, which validates each option when set (naming it in the message) and resolves the
 * defaults into a {@link RegistryConfig} in {@link #build()}. Not thread-safe.
 */
final class RegistryConfigBuilder {
  private final Repository repository;
  private @Nullable Backends backends;
  private @Nullable LoadOptions loadOptions;
  private @Nullable VersionPolicy defaultPolicy;
  private final Map<String, VersionPolicy> policies = new LinkedHashMap<>();
  private final Map<String, Map<String, Long>> aliases = new LinkedHashMap<>();
  private final Map<String, Integer> canaryPercents = new LinkedHashMap<>();
  private final Set<String> required = new LinkedHashSet<>();
  private @Nullable IntegrityMode integrity;
  private final Map<String, Map<String, long[]>> warmupShapes = new LinkedHashMap<>();
  private int warmupCalls = -1;
  private @Nullable Duration pollInterval;
  private @Nullable ScheduledExecutorService watchExecutor;
  private @Nullable MeterRegistry meterRegistry;
  private @Nullable Clock clock;
  private @Nullable DoubleSupplier canarySampler;

  RegistryConfigBuilder(Repository repository) {
    this.repository = repository;
  }

  RegistryConfigBuilder backends(Backends backends) {
    this.backends = once("backends", this.backends, backends);
    return this;
  }

  RegistryConfigBuilder loadOptions(LoadOptions options) {
    this.loadOptions = once("loadOptions", this.loadOptions, options);
    return this;
  }

  RegistryConfigBuilder defaultPolicy(VersionPolicy policy) {
    this.defaultPolicy = once("defaultPolicy", this.defaultPolicy, policy);
    return this;
  }

  RegistryConfigBuilder versionPolicy(String model, VersionPolicy policy) {
    RepositoryLayout.checkName("versionPolicy model", model);
    requireNonNull("versionPolicy policy", policy);
    if (policies.putIfAbsent(model, policy) != null) {
      throw new IllegalStateException("versionPolicy for model '" + model + "' is already set to " + policies.get(model));
    }
    return this;
  }

  RegistryConfigBuilder alias(String model, String alias, long version) {
    RepositoryLayout.checkName("alias model", model);
    RepositoryLayout.checkAlias("alias", alias);
    if (version < 0) {
      throw new IllegalArgumentException("alias version must be >= 0 but was " + version);
    }
    Map<String, Long> m = aliases.computeIfAbsent(model, k -> new LinkedHashMap<>());
    if (m.putIfAbsent(alias, version) != null) {
      throw new IllegalStateException("alias '" + alias + "' of model '" + model + "' is already set to version " + m.get(alias));
    }
    return this;
  }

  RegistryConfigBuilder canaryPercent(String model, int percent) {
    RepositoryLayout.checkName("canaryPercent model", model);
    checkPercent(percent);
    if (canaryPercents.putIfAbsent(model, percent) != null) {
      throw new IllegalStateException("canaryPercent for model '" + model + "' is already set to " + canaryPercents.get(model));
    }
    return this;
  }

  RegistryConfigBuilder requiredModels(String... models) {
    for (String m : models) {
      required.add(RepositoryLayout.checkName("requiredModels", m));
    }
    return this;
  }

  RegistryConfigBuilder integrity(IntegrityMode mode) {
    this.integrity = once("integrity", this.integrity, mode);
    return this;
  }

  RegistryConfigBuilder warmupShape(String model, String input, long... dims) {
    RepositoryLayout.checkName("warmupShape model", model);
    if (input == null || input.isEmpty()) {
      throw new IllegalArgumentException("warmupShape input must not be empty but was '" + input + "'");
    }
    if (dims == null) {
      throw new IllegalArgumentException("warmupShape dims must not be null");
    }
    for (long d : dims) {
      if (d < 1) {
        throw new IllegalArgumentException("warmupShape dims must each be >= 1 but were " + java.util.Arrays.toString(dims));
      }
    }
    Map<String, long[]> m = warmupShapes.computeIfAbsent(model, k -> new LinkedHashMap<>());
    if (m.putIfAbsent(input, dims.clone()) != null) {
      throw new IllegalStateException("warmupShape for input '" + input + "' of model '" + model + "' is already set");
    }
    return this;
  }

  RegistryConfigBuilder warmupCalls(int calls) {
    if (calls < 0) {
      throw new IllegalArgumentException("warmupCalls must be >= 0 but was " + calls);
    }
    if (warmupCalls >= 0) {
      throw new IllegalStateException("warmupCalls is already set to " + warmupCalls);
    }
    this.warmupCalls = calls;
    return this;
  }

  RegistryConfigBuilder pollInterval(Duration interval) {
    if (interval == null || interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("pollInterval must be > 0 but was " + interval);
    }
    this.pollInterval = once("pollInterval", this.pollInterval, interval);
    return this;
  }

  RegistryConfigBuilder watchExecutor(ScheduledExecutorService executor) {
    this.watchExecutor = once("watchExecutor", this.watchExecutor, executor);
    return this;
  }

  RegistryConfigBuilder meterRegistry(MeterRegistry registry) {
    this.meterRegistry = once("meterRegistry", this.meterRegistry, registry);
    return this;
  }

  RegistryConfigBuilder clock(Clock clock) {
    this.clock = once("clock", this.clock, clock);
    return this;
  }

  RegistryConfigBuilder canarySampler(DoubleSupplier sampler) {
    this.canarySampler = once("canarySampler", this.canarySampler, sampler);
    return this;
  }

  RegistryConfig build() {
    if (watchExecutor != null && pollInterval == null) {
      throw new IllegalStateException("watchExecutor is set but pollInterval is not; set pollInterval to watch the repository");
    }
    LoadOptions options = loadOptions != null ? loadOptions : LoadOptions.defaults();
    int calls = warmupCalls >= 0 ? warmupCalls : Math.max(1, options.warmupCalls());
    Map<String, Map<String, Long>> aliasCopy = new LinkedHashMap<>();
    aliases.forEach((k, v) -> aliasCopy.put(k, Map.copyOf(v)));
    Map<String, Map<String, long[]>> shapeCopy = new LinkedHashMap<>();
    warmupShapes.forEach((k, v) -> shapeCopy.put(k, Map.copyOf(v)));
    RegistryConfig config = new RegistryConfig(
        repository,
        backends != null ? backends : Backends.discover(),
        options,
        defaultPolicy != null ? defaultPolicy : VersionPolicy.latest(),
        Map.copyOf(policies),
        Map.copyOf(aliasCopy),
        Map.copyOf(canaryPercents),
        Set.copyOf(required),
        integrity != null ? integrity : IntegrityMode.IF_PRESENT,
        Map.copyOf(shapeCopy),
        calls,
        pollInterval,
        watchExecutor,
        meterRegistry != null ? meterRegistry : options.meterRegistry().orElse(null),
        clock != null ? clock : Clock.systemUTC(),
        canarySampler != null ? canarySampler : () -> ThreadLocalRandom.current().nextDouble());
    return config;
  }

  static void checkPercent(int percent) {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("canaryPercent must be between 0 and 100 but was " + percent);
    }
  }

  private static <T> T once(String option, @Nullable T current, @Nullable T value) {
    requireNonNull(option, value);
    if (current != null) {
      throw new IllegalStateException(option + " is already set to " + current);
    }
    return value;
  }

  private static void requireNonNull(String option, @Nullable Object value) {
    if (value == null) {
      throw new IllegalArgumentException(option + " must not be null");
    }
  }
}
