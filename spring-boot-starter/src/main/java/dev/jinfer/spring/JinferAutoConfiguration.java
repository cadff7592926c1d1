package dev.jinfer.spring;

import dev.jinfer.Backends;
import dev.jinfer.LoadOptions;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.RegistryStatus;
import dev.jinfer.registry.VersionState;
import dev.jinfer.registry.VersionStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.io.ResourceLoader;

/**
 * Auto-configuration of jinfer from the {@code jinfer.*} properties ({@link JinferProperties}):
 *
 * <ul>
 *   <li>{@link Backends} ({@code jinferBackends}): {@link Backends#discover()}, unless the application has one;
 *   <li>{@link ModelRegistry} ({@code jinferModelRegistry}): over {@code jinfer.repository.root}, loaded
 *       (started) before any bean uses it, with the application's {@link MeterRegistry}; closed last;
 *   <li>one {@link ModelPredictor} per model, named and {@code @Qualifier}-ed by the model's name, serving
 *       through a {@link dev.jinfer.serving.ServingChain} per version with the application's
 *       {@link MeterRegistry} and {@link ObservationRegistry};
 *   <li>readiness and liveness driven by the registry ({@code jinfer.health.availability}).
 * </ul>
 *
 * <p>Every bean backs off when the application defines its own (by type; a model's Predictor by the model's
 * name). An application's own {@link ModelRegistry} must be started by the application. Off with
 * {@code jinfer.enabled=false}.
 *
 * <p>Thread-safe (Spring calls it once).
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration",
    "org.springframework.boot.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"})
@ConditionalOnProperty(prefix = "jinfer", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(JinferProperties.class)
@Import(ModelPredictorRegistrar.class)
public class JinferAutoConfiguration {
  /** The name of the bean that makes the per-model Predictor beans. */
  static final String PREDICTORS_BEAN = "jinferModelPredictors";

  /** Creates the auto-configuration (Spring does). */
  public JinferAutoConfiguration() {}

  /**
   * The backends models are loaded with: every backend on the class path.
   *
   * @return {@link Backends#discover()}
   */
  @Bean
  @ConditionalOnMissingBean
  public Backends jinferBackends() {
    return Backends.discover();
  }

  /**
   * The registry over {@code jinfer.repository.root} (a directory, or {@code classpath:<location>}: see
   * {@link JinferProperties.Repository#getRoot()}), started: every model is loaded (and warmed) before the
   * bean is handed out.
   *
   * @param properties the jinfer properties
   * @param backends the backends
   * @param meters the application's meter registry, if it has one
   * @param resources the application's resource loader, whose class loader reads a {@code classpath:} repository
   * @return the started registry; Spring closes it after every bean that uses it
   * @throws ModelStartupException if the repository cannot be opened (a missing directory or classpath location),
   *     no model can serve after the initial load, or (with
   *     {@code jinfer.repository.fail-fast}) a required model cannot
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public ModelRegistry jinferModelRegistry(JinferProperties properties, Backends backends, ObjectProvider<MeterRegistry> meters,
      ResourceLoader resources) {
    JinferProperties.Repository repo = properties.getRepository();
    String root = Objects.requireNonNull(repo.getRoot(), "jinfer.repository.root");
    ClassLoader classLoader = resources.getClassLoader();
    ModelRegistry.Builder b;
    try {
      b = RepositoryLocation.parse(root).builder(classLoader != null ? classLoader : JinferAutoConfiguration.class.getClassLoader());
    } catch (IllegalArgumentException e) {
      throw new ModelStartupException("jinfer.repository.root", root, e.getMessage(),
          "Point jinfer.repository.root at an existing directory, or at a resource directory the application's class path holds"
              + " (classpath:models for src/main/resources/models/<name>/<version>/<artifact>).", e);
    }
    b.backends(backends).integrity(repo.getIntegrity()).defaultPolicy(VersionPolicies.parse(repo.getVersionPolicy()));
    LoadOptions.Builder load = LoadOptions.newBuilder();
    MeterRegistry meterRegistry = meters.getIfUnique();
    if (meterRegistry != null) {
      load.meterRegistry(meterRegistry);
    }
    if (repo.getIntraOpThreads() != null) {
      load.intraOpThreads(repo.getIntraOpThreads());
    }
    b.loadOptions(load.build());
    if (repo.getWarmupCalls() != null) {
      b.warmupCalls(repo.getWarmupCalls());
    }
    if (repo.getPollInterval() != null) {
      b.pollInterval(repo.getPollInterval());
    }
    if (!repo.getRequiredModels().isEmpty()) {
      b.requiredModels(repo.getRequiredModels().toArray(String[]::new));
    }
    for (Map.Entry<String, JinferProperties.Model> e : properties.getModels().entrySet()) {
      String name = e.getKey();
      JinferProperties.Model m = e.getValue();
      if (m.getVersionPolicy() != null) {
        b.versionPolicy(name, VersionPolicies.parse(m.getVersionPolicy()));
      }
      m.getAliases().forEach((alias, version) -> b.alias(name, alias, version));
      if (m.getCanaryPercent() != null) {
        b.canaryPercent(name, m.getCanaryPercent());
      }
      m.getWarmupShapes().forEach((input, dims) -> b.warmupShape(name, input, dims.stream().mapToLong(Long::longValue).toArray()));
    }
    ModelRegistry registry = b.build();
    try {
      checkStartup(registry.start(), repo, registry.repository());
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
    return registry;
  }

  /** Fails startup when no model can serve, or when fail-fast and a required model cannot. */
  static void checkStartup(RegistryStatus status, JinferProperties.Repository repo, String source) {
    List<ModelStatus> required = status.models().stream()
        .filter(m -> repo.getRequiredModels().isEmpty() || repo.getRequiredModels().contains(m.name()))
        .collect(Collectors.toList());
    List<ModelStatus> failing = required.stream().filter(m -> !m.isReady()).collect(Collectors.toList());
    boolean noneReady = status.models().stream().noneMatch(ModelStatus::isReady);
    if (failing.isEmpty() || (!repo.isFailFast() && !noneReady)) {
      return;
    }
    String reasons = failing.stream().map(JinferAutoConfiguration::why).collect(Collectors.joining("; "));
    String property = repo.isFailFast() ? "jinfer.repository.fail-fast" : "jinfer.repository.root";
    String value = repo.isFailFast() ? "true" : String.valueOf(repo.getRoot());
    throw new ModelStartupException(property, value, (noneReady ? "no model can serve: " : "a required model cannot serve: ") + reasons,
        "Fix or replace the failing version under " + source + " (a version loads only when its files change or on"
            + " reload)" + (repo.isFailFast() ? ", or set jinfer.repository.fail-fast=false to start and report it in readiness." : "."),
        null);
  }

  static String why(ModelStatus m) {
    StringBuilder s = new StringBuilder("model '").append(m.name()).append("'");
    m.error().ifPresent(e -> s.append(": ").append(e));
    for (VersionStatus v : m.versions()) {
      if (v.state() == VersionState.FAILED) {
        s.append(", version ").append(v.version()).append(" failed to load: ").append(v.error().orElse("unknown error"));
      }
    }
    if (m.versions().isEmpty() && m.error().isEmpty()) {
      s.append(": no version");
    }
    return s.toString();
  }

  /**
   * Makes the per-model Predictor beans.
   *
   * @param registry the registry
   * @param properties the jinfer properties
   * @param meters the application's meter registry, if it has one
   * @param observations the application's observation registry, if it has one
   * @return the factory, closed after every Predictor bean
   */
  @Bean(name = PREDICTORS_BEAN, destroyMethod = "close")
  ModelPredictors jinferModelPredictors(ModelRegistry registry, JinferProperties properties, ObjectProvider<MeterRegistry> meters,
      ObjectProvider<ObservationRegistry> observations) {
    return new ModelPredictors(registry, properties, meters.getIfUnique(), observations.getIfUnique());
  }

  /**
   * Drives readiness and liveness from the registry.
   *
   * @param registry the registry
   * @param properties the jinfer properties
   * @param availability the application's availability
   * @param publisher where state changes are published
   * @return the bridge, a lifecycle bean
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnProperty(prefix = "jinfer.health", name = "availability", havingValue = "true", matchIfMissing = true)
  RegistryAvailability jinferRegistryAvailability(ModelRegistry registry, JinferProperties properties,
      ObjectProvider<ApplicationAvailability> availability, ApplicationEventPublisher publisher) {
    return new RegistryAvailability(registry, properties.getHealth().getAvailabilityCheckInterval(), availability, publisher);
  }
}
