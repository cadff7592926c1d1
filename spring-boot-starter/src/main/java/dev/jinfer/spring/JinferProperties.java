package dev.jinfer.spring;

import dev.jinfer.registry.IntegrityMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * The {@code jinfer.*} properties: the model repository and each model's serving options. Unknown
 * properties under {@code jinfer} fail startup, and so does every invalid value: the properties validate
 * themselves when they are bound, so Spring's failure analyzer names the property and the value.
 *
 * <p>Mutable while Spring binds it, then read only; not thread-safe while being bound.
 */
@ConfigurationProperties(prefix = "jinfer", ignoreUnknownFields = false)
public class JinferProperties implements Validator {
  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

  /** Whether to configure jinfer at all. */
  private boolean enabled = true;

  /** The model repository: root directory, watching, version policy, integrity. */
  private final Repository repository = new Repository();

  /** Serving options per model name (keys are model directory names under the repository root). */
  private final Map<String, Model> models = new LinkedHashMap<>();

  /** Health, readiness and liveness. */
  private final Health health = new Health();

  /** Observation (tracing and metrics through Micrometer's Observation API). */
  private final Observation observation = new Observation();

  /** @return whether jinfer is configured */
  public boolean isEnabled() {
    return enabled;
  }

  /** @param enabled whether jinfer is configured */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** @return the repository settings */
  public Repository getRepository() {
    return repository;
  }

  /** @return the serving options per model name */
  public Map<String, Model> getModels() {
    return models;
  }

  /** @return the health settings */
  public Health getHealth() {
    return health;
  }

  /** @return the observation settings */
  public Observation getObservation() {
    return observation;
  }

  /**
   * The serving options of a model: its own, or all defaults when it has no {@code jinfer.models.<name>}.
   *
   * @param name the model name
   * @return its options
   */
  public Model model(String name) {
    Model m = models.get(name);
    return m != null ? m : new Model();
  }

  @Override
  public boolean supports(Class<?> clazz) {
    return JinferProperties.class.isAssignableFrom(clazz);
  }

  /**
   * Checks every value; each error names the property (relative to {@code jinfer}) and what was expected.
   * Skipped when {@code jinfer.enabled} is false.
   */
  @Override
  public void validate(Object target, Errors errors) {
    JinferProperties p = (JinferProperties) target;
    if (!p.enabled) {
      return;
    }
    String root = p.repository.root;
    if (root == null || root.isBlank()) {
      reject(errors, "repository.root", "jinfer.required",
          "must be set to the model repository: a directory, a file: URL or a classpath: location");
    } else {
      try {
        Path dir = RepositoryLocation.parse(root).directory();
        if (dir != null && !Files.isDirectory(dir)) {
          reject(errors, "repository.root", "jinfer.missing",
              "must be an existing directory, but " + dir.toAbsolutePath() + (Files.exists(dir) ? " is not a directory" : " does not exist"));
        }
      } catch (IllegalArgumentException e) {
        reject(errors, "repository.root", "jinfer.location", e.getMessage());
      }
    }
    positive(errors, "repository.pollInterval", p.repository.pollInterval);
    checkPolicy(errors, "repository.versionPolicy", p.repository.versionPolicy);
    atLeast(errors, "repository.warmupCalls", p.repository.warmupCalls, 0);
    atLeast(errors, "repository.intraOpThreads", p.repository.intraOpThreads, 1);
    for (int i = 0; i < p.repository.requiredModels.size(); i++) {
      checkName(errors, "repository.requiredModels[" + i + "]", p.repository.requiredModels.get(i));
    }
    positive(errors, "health.availabilityCheckInterval", p.health.availabilityCheckInterval);
    for (Map.Entry<String, Model> e : p.models.entrySet()) {
      String at = "models[" + e.getKey() + "]";
      if (!MODEL_NAME.matcher(e.getKey()).matches() || e.getKey().contains("..")) {
        reject(errors, "models", "jinfer.name", "model name '" + e.getKey()
            + "' must start with a letter or digit, then letters, digits, '_', '.', '-'");
        continue;
      }
      Model m = e.getValue();
      if (m.versionPolicy != null) {
        checkPolicy(errors, at + ".versionPolicy", m.versionPolicy);
      }
      if (m.canaryPercent != null && (m.canaryPercent < 0 || m.canaryPercent > 100)) {
        reject(errors, at + ".canaryPercent", "jinfer.range", "must be 0 to 100");
      }
      for (Map.Entry<String, Long> alias : m.aliases.entrySet()) {
        if (alias.getValue() == null || alias.getValue() < 0) {
          reject(errors, at + ".aliases", "jinfer.range", "alias '" + alias.getKey() + "' must point at a version number >= 0");
        }
      }
      for (Map.Entry<String, List<Long>> shape : m.warmupShapes.entrySet()) {
        if (shape.getValue().isEmpty() || shape.getValue().stream().anyMatch(d -> d == null || d < 1)) {
          reject(errors, at + ".warmupShapes", "jinfer.range",
              "input '" + shape.getKey() + "' needs every dimension >= 1 but was " + shape.getValue());
        }
      }
      Batching b = m.batching;
      atLeast(errors, at + ".batching.maxBatchSize", b.maxBatchSize, 1);
      atLeast(errors, at + ".batching.maxQueueSize", b.maxQueueSize, 1);
      atLeast(errors, at + ".batching.workers", b.workers, 1);
      positive(errors, at + ".batching.maxQueueDelay", b.maxQueueDelay);
      positive(errors, at + ".batching.latencyTarget", b.latencyTarget);
      if (b.maxQueueDelay != null && b.latencyTarget != null) {
        reject(errors, at + ".batching.latencyTarget", "jinfer.conflict", "set max-queue-delay or latency-target, not both");
      }
      atLeast(errors, at + ".cache.maximumSize", m.cache.maximumSize, 1);
      positive(errors, at + ".cache.expireAfterWrite", m.cache.expireAfterWrite);
      atLeast(errors, at + ".breaker.window", m.breaker.window, 1);
      atLeast(errors, at + ".breaker.minimumCalls", m.breaker.minimumCalls, 1);
      positive(errors, at + ".breaker.waitInOpenState", m.breaker.waitInOpenState);
      Float rate = m.breaker.failureRate;
      if (rate != null && !(rate > 0 && rate <= 100)) {
        reject(errors, at + ".breaker.failureRate", "jinfer.range", "must be above 0 and at most 100");
      }
    }
  }

  /** {@code models[fraud].batching.maxBatchSize} to {@code jinfer.models.fraud.batching.max-batch-size}. */
  static String propertyName(String field) {
    String dotted = field.replace("[", ".").replace("]", "");
    return "jinfer." + dotted.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
  }

  private static void reject(Errors errors, String field, String code, String message) {
    errors.rejectValue(field, code, propertyName(field) + " " + message);
  }

  private static void checkPolicy(Errors errors, String field, String policy) {
    try {
      VersionPolicies.parse(policy);
    } catch (IllegalArgumentException e) {
      reject(errors, field, "jinfer.policy", e.getMessage());
    }
  }

  private static void checkName(Errors errors, String field, @Nullable String name) {
    if (name == null || !MODEL_NAME.matcher(name).matches() || name.contains("..")) {
      reject(errors, field, "jinfer.name", "must start with a letter or digit, then letters, digits, '_', '.', '-'");
    }
  }

  private static void atLeast(Errors errors, String field, @Nullable Number value, long min) {
    if (value != null && value.longValue() < min) {
      reject(errors, field, "jinfer.range", "must be at least " + min);
    }
  }

  private static void positive(Errors errors, String field, @Nullable Duration value) {
    if (value != null && (value.isZero() || value.isNegative())) {
      reject(errors, field, "jinfer.range", "must be a positive duration");
    }
  }

  /** The model repository ({@code jinfer.repository.*}). */
  public static class Repository {
    /**
     * The repository, laid out {@code <root>/<model>/<version>/<artifact>}: a directory ({@code /srv/models} or
     * {@code file:/srv/models}) or a resource directory on the class path ({@code classpath:models}, e.g. in the
     * application's jar; read once at startup, not watched). Required.
     */
    private @Nullable String root;

    /** How often to scan the repository for new versions; unset: load once at startup, no watching. */
    private @Nullable Duration pollInterval;

    /** Which versions of each model to load: latest, latest:N, all, or specific:V1,V2. */
    private String versionPolicy = "latest";

    /** Whether to check .sha256 files before loading a version. */
    private IntegrityMode integrity = IntegrityMode.IF_PRESENT;

    /**
     * Models readiness waits for (and that must be in the repository); empty: every model in the
     * repository.
     */
    private List<String> requiredModels = new ArrayList<>();

    /** Warmup calls per version before it takes traffic; unset: the registry's default (1). */
    private @Nullable Integer warmupCalls;

    /** Threads one engine call may use (intra-op); unset: the backend's default. */
    private @Nullable Integer intraOpThreads;

    /**
     * Whether startup fails when a required model has no version serving after the initial load. When
     * false, startup fails only if no model at all can serve; otherwise readiness reports the failing
     * models.
     */
    private boolean failFast;

    /** @return the repository's location: a directory path, a {@code file:} URL or a {@code classpath:} location */
    public @Nullable String getRoot() {
      return root;
    }

    /** @param root the repository's location: a directory path, a {@code file:} URL or a {@code classpath:} location */
    public void setRoot(@Nullable String root) {
      this.root = root;
    }

    /** @return the poll interval, if watching */
    public @Nullable Duration getPollInterval() {
      return pollInterval;
    }

    /** @param pollInterval the poll interval */
    public void setPollInterval(@Nullable Duration pollInterval) {
      this.pollInterval = pollInterval;
    }

    /** @return the default version policy */
    public String getVersionPolicy() {
      return versionPolicy;
    }

    /** @param versionPolicy latest, latest:N, all, or specific:V1,V2 */
    public void setVersionPolicy(String versionPolicy) {
      this.versionPolicy = versionPolicy;
    }

    /** @return the integrity mode */
    public IntegrityMode getIntegrity() {
      return integrity;
    }

    /** @param integrity the integrity mode */
    public void setIntegrity(IntegrityMode integrity) {
      this.integrity = integrity;
    }

    /** @return the required models */
    public List<String> getRequiredModels() {
      return requiredModels;
    }

    /** @param requiredModels the required models */
    public void setRequiredModels(List<String> requiredModels) {
      this.requiredModels = requiredModels;
    }

    /** @return warmup calls per version, if set */
    public @Nullable Integer getWarmupCalls() {
      return warmupCalls;
    }

    /** @param warmupCalls warmup calls per version */
    public void setWarmupCalls(@Nullable Integer warmupCalls) {
      this.warmupCalls = warmupCalls;
    }

    /** @return intra-op threads, if set */
    public @Nullable Integer getIntraOpThreads() {
      return intraOpThreads;
    }

    /** @param intraOpThreads intra-op threads */
    public void setIntraOpThreads(@Nullable Integer intraOpThreads) {
      this.intraOpThreads = intraOpThreads;
    }

    /** @return whether startup fails when a required model cannot serve */
    public boolean isFailFast() {
      return failFast;
    }

    /** @param failFast whether startup fails when a required model cannot serve */
    public void setFailFast(boolean failFast) {
      this.failFast = failFast;
    }
  }

  /** One model's serving options ({@code jinfer.models.<name>.*}); every layer is off until enabled. */
  public static class Model {
    /**
     * The version number or alias the model's Predictor bean serves; unset: the registry's current version
     * (following hot swaps and the canary split).
     */
    private @Nullable String version;

    /** This model's version policy (latest, latest:N, all, specific:V1,V2); unset: the repository's. */
    private @Nullable String versionPolicy;

    /** Aliases of this model: alias name to version number (stable and canary also steer traffic). */
    private Map<String, Long> aliases = new LinkedHashMap<>();

    /** Share (0 to 100) of unversioned traffic that goes to the version aliased canary. */
    private @Nullable Integer canaryPercent;

    /** Concrete warmup shapes per input name, for inputs with dynamic dimensions other than the batch. */
    private Map<String, List<Long>> warmupShapes = new LinkedHashMap<>();

    /** Dynamic batching in front of the engine. */
    private final Batching batching = new Batching();

    /** Exact-match prediction cache in front of everything. */
    private final Cache cache = new Cache();

    /** Circuit breaker in front of the batcher, counting engine failures only. */
    private final Breaker breaker = new Breaker();

    /** @return the version or alias served, if pinned */
    public @Nullable String getVersion() {
      return version;
    }

    /** @param version a version number or alias */
    public void setVersion(@Nullable String version) {
      this.version = version;
    }

    /** @return this model's version policy, if set */
    public @Nullable String getVersionPolicy() {
      return versionPolicy;
    }

    /** @param versionPolicy latest, latest:N, all, or specific:V1,V2 */
    public void setVersionPolicy(@Nullable String versionPolicy) {
      this.versionPolicy = versionPolicy;
    }

    /** @return alias to version */
    public Map<String, Long> getAliases() {
      return aliases;
    }

    /** @param aliases alias to version */
    public void setAliases(Map<String, Long> aliases) {
      this.aliases = aliases;
    }

    /** @return the canary share, if set */
    public @Nullable Integer getCanaryPercent() {
      return canaryPercent;
    }

    /** @param canaryPercent 0 to 100 */
    public void setCanaryPercent(@Nullable Integer canaryPercent) {
      this.canaryPercent = canaryPercent;
    }

    /** @return warmup shape per input */
    public Map<String, List<Long>> getWarmupShapes() {
      return warmupShapes;
    }

    /** @param warmupShapes warmup shape per input */
    public void setWarmupShapes(Map<String, List<Long>> warmupShapes) {
      this.warmupShapes = warmupShapes;
    }

    /** @return the batching options */
    public Batching getBatching() {
      return batching;
    }

    /** @return the cache options */
    public Cache getCache() {
      return cache;
    }

    /** @return the breaker options */
    public Breaker getBreaker() {
      return breaker;
    }
  }

  /** Batching options ({@code jinfer.models.<name>.batching.*}); unset values take the batcher's defaults. */
  public static class Batching {
    /** Whether to batch calls to this model. */
    private boolean enabled;

    /**
     * Whether startup fails when the model cannot be batched (no dynamic batch dimension); when false it is
     * served unbatched and a line is logged.
     */
    private boolean required;

    /** Most rows in one engine call. */
    private @Nullable Integer maxBatchSize;

    /** Most requests waiting in the queue; later ones are refused as overloaded. */
    private @Nullable Integer maxQueueSize;

    /** Longest a request waits for a batch to fill (a fixed delay; excludes latency-target). */
    private @Nullable Duration maxQueueDelay;

    /** Latency the adaptive batcher aims for (excludes max-queue-delay). */
    private @Nullable Duration latencyTarget;

    /** Threads that run batches (engine calls in parallel). */
    private @Nullable Integer workers;

    /** @return whether batching is on */
    public boolean isEnabled() {
      return enabled;
    }

    /** @param enabled whether batching is on */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** @return whether startup fails on an unbatchable model */
    public boolean isRequired() {
      return required;
    }

    /** @param required whether startup fails on an unbatchable model */
    public void setRequired(boolean required) {
      this.required = required;
    }

    /** @return the maximum batch size, if set */
    public @Nullable Integer getMaxBatchSize() {
      return maxBatchSize;
    }

    /** @param maxBatchSize rows per engine call */
    public void setMaxBatchSize(@Nullable Integer maxBatchSize) {
      this.maxBatchSize = maxBatchSize;
    }

    /** @return the queue bound, if set */
    public @Nullable Integer getMaxQueueSize() {
      return maxQueueSize;
    }

    /** @param maxQueueSize requests in the queue */
    public void setMaxQueueSize(@Nullable Integer maxQueueSize) {
      this.maxQueueSize = maxQueueSize;
    }

    /** @return the fixed queue delay, if set */
    public @Nullable Duration getMaxQueueDelay() {
      return maxQueueDelay;
    }

    /** @param maxQueueDelay the fixed queue delay */
    public void setMaxQueueDelay(@Nullable Duration maxQueueDelay) {
      this.maxQueueDelay = maxQueueDelay;
    }

    /** @return the adaptive latency target, if set */
    public @Nullable Duration getLatencyTarget() {
      return latencyTarget;
    }

    /** @param latencyTarget the adaptive latency target */
    public void setLatencyTarget(@Nullable Duration latencyTarget) {
      this.latencyTarget = latencyTarget;
    }

    /** @return the worker threads, if set */
    public @Nullable Integer getWorkers() {
      return workers;
    }

    /** @param workers threads that run batches */
    public void setWorkers(@Nullable Integer workers) {
      this.workers = workers;
    }
  }

  /** Cache options ({@code jinfer.models.<name>.cache.*}). */
  public static class Cache {
    /** Whether to cache answers of this model (exact match on the inputs, per version). */
    private boolean enabled;

    /** Most entries per version; unset: 10,000. */
    private @Nullable Long maximumSize;

    /** How long an entry lives after it is written; unset: no expiry. */
    private @Nullable Duration expireAfterWrite;

    /** @return whether the cache is on */
    public boolean isEnabled() {
      return enabled;
    }

    /** @param enabled whether the cache is on */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** @return the entry bound, if set */
    public @Nullable Long getMaximumSize() {
      return maximumSize;
    }

    /** @param maximumSize most entries */
    public void setMaximumSize(@Nullable Long maximumSize) {
      this.maximumSize = maximumSize;
    }

    /** @return the time to live, if set */
    public @Nullable Duration getExpireAfterWrite() {
      return expireAfterWrite;
    }

    /** @param expireAfterWrite the time to live */
    public void setExpireAfterWrite(@Nullable Duration expireAfterWrite) {
      this.expireAfterWrite = expireAfterWrite;
    }
  }

  /** Circuit breaker options ({@code jinfer.models.<name>.breaker.*}); unset values take the breaker's defaults. */
  public static class Breaker {
    /** Whether to put a circuit breaker in front of this model. */
    private boolean enabled;

    /** Calls in the count-based window the failure rate is computed over. */
    private @Nullable Integer window;

    /** Calls the window needs before the breaker may open. */
    private @Nullable Integer minimumCalls;

    /** Failure rate in percent (above 0, at most 100) that opens the breaker. */
    private @Nullable Float failureRate;

    /** How long the breaker stays open before it lets trial calls through. */
    private @Nullable Duration waitInOpenState;

    /** @return whether the breaker is on */
    public boolean isEnabled() {
      return enabled;
    }

    /** @param enabled whether the breaker is on */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** @return the window, if set */
    public @Nullable Integer getWindow() {
      return window;
    }

    /** @param window calls in the window */
    public void setWindow(@Nullable Integer window) {
      this.window = window;
    }

    /** @return the minimum calls, if set */
    public @Nullable Integer getMinimumCalls() {
      return minimumCalls;
    }

    /** @param minimumCalls calls before the breaker may open */
    public void setMinimumCalls(@Nullable Integer minimumCalls) {
      this.minimumCalls = minimumCalls;
    }

    /** @return the failure rate threshold, if set */
    public @Nullable Float getFailureRate() {
      return failureRate;
    }

    /** @param failureRate percent that opens the breaker */
    public void setFailureRate(@Nullable Float failureRate) {
      this.failureRate = failureRate;
    }

    /** @return the open-state wait, if set */
    public @Nullable Duration getWaitInOpenState() {
      return waitInOpenState;
    }

    /** @param waitInOpenState the open-state wait */
    public void setWaitInOpenState(@Nullable Duration waitInOpenState) {
      this.waitInOpenState = waitInOpenState;
    }
  }

  /** Health, readiness and liveness ({@code jinfer.health.*}). */
  public static class Health {
    /**
     * Whether the registry drives the application's readiness (REFUSING_TRAFFIC while a required model
     * cannot serve) and liveness (BROKEN when the registry stops running).
     */
    private boolean availability = true;

    /** How often readiness and liveness are compared with the registry. */
    private Duration availabilityCheckInterval = Duration.ofSeconds(1);

    /** @return whether the registry drives availability */
    public boolean isAvailability() {
      return availability;
    }

    /** @param availability whether the registry drives availability */
    public void setAvailability(boolean availability) {
      this.availability = availability;
    }

    /** @return the check interval */
    public Duration getAvailabilityCheckInterval() {
      return availabilityCheckInterval;
    }

    /** @param availabilityCheckInterval the check interval */
    public void setAvailabilityCheckInterval(Duration availabilityCheckInterval) {
      this.availabilityCheckInterval = availabilityCheckInterval;
    }
  }

  /** Observation options ({@code jinfer.observation.*}). */
  public static class Observation {
    /** Whether predict calls are observed through the application's ObservationRegistry, when it has one. */
    private boolean enabled = true;

    /** @return whether calls are observed */
    public boolean isEnabled() {
      return enabled;
    }

    /** @param enabled whether calls are observed */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }
}
