package dev.jinfer.spring;

import dev.jinfer.ModelId;
import dev.jinfer.ModelNotFoundException;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.serving.ServingChain;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the {@link ModelPredictor} beans: one {@link ServingChain} per model version, configured from
 * {@code jinfer.models.<name>}, with the application's meter and observation registries. Owns the thread
 * that closes the chains of retired versions; closed after the predictor beans (they depend on it).
 *
 * <p>Thread-safe.
 */
final class ModelPredictors implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelPredictors.class);

  private final ModelRegistry registry;
  private final JinferProperties properties;
  private final @Nullable MeterRegistry meters;
  private final @Nullable ObservationRegistry observations;
  private final ExecutorService retirer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "jinfer-chain-retirer");
    t.setDaemon(true);
    return t;
  });

  ModelPredictors(ModelRegistry registry, JinferProperties properties, @Nullable MeterRegistry meters,
      @Nullable ObservationRegistry observations) {
    this.registry = registry;
    this.properties = properties;
    this.meters = meters;
    this.observations = observations;
  }

  /**
   * The Predictor bean of a model. Builds the chain of its current version now, so settings that do not fit
   * the model fail startup; a model with no version serving gets its bean anyway (readiness reports it).
   *
   * @param name the model name
   * @return its predictor
   * @throws ModelStartupException if the chain's settings do not fit the model
   */
  ModelPredictor create(String name) {
    JinferProperties.Model m = properties.model(name);
    ModelPredictor p = new ModelPredictor(registry, name, m.getVersion(), this::chain, retirer);
    try {
      p.currentChain();
    } catch (ModelNotFoundException e) {
      LOG.warn("model '{}': no version serving yet ({}); its Predictor bean fails calls until one is", name, e.getMessage());
    } catch (IllegalArgumentException e) {
      p.close();
      throw new ModelStartupException("jinfer.models." + name + ".batching.required", Boolean.toString(m.getBatching().isRequired()),
          "model '" + name + "' cannot be served with these settings: " + e.getMessage(),
          "Set jinfer.models." + name + ".batching.required=false to serve it unbatched, or turn batching off for it.", e);
    }
    return p;
  }

  ServingChain chain(ModelId id) {
    JinferProperties.Model m = properties.model(id.name());
    ServingChain.Builder b = ServingChain.newBuilder(registry, id.name()).version(id.version());
    if (meters != null) {
      b.meterRegistry(meters);
    }
    if (observations != null && properties.getObservation().isEnabled()) {
      b.observationRegistry(observations);
    }
    JinferProperties.Batching batching = m.getBatching();
    if (batching.isEnabled()) {
      b.batchingRequired(batching.isRequired()).batching(bb -> {
        set(batching.getMaxBatchSize(), bb::maxBatchSize);
        set(batching.getMaxQueueSize(), bb::maxQueueSize);
        set(batching.getWorkers(), bb::workers);
        set(batching.getMaxQueueDelay(), bb::maxQueueDelay);
        set(batching.getLatencyTarget(), bb::latencyTarget);
      });
    }
    JinferProperties.Cache cache = m.getCache();
    if (cache.isEnabled()) {
      b.cache(cb -> {
        set(cache.getMaximumSize(), cb::maximumSize);
        set(cache.getExpireAfterWrite(), cb::expireAfterWrite);
      });
    }
    JinferProperties.Breaker breaker = m.getBreaker();
    if (breaker.isEnabled()) {
      b.breaker(cb -> {
        set(breaker.getWindow(), cb::countBasedWindow);
        set(breaker.getMinimumCalls(), cb::minimumNumberOfCalls);
        if (breaker.getFailureRate() != null) {
          cb.failureRateThreshold(breaker.getFailureRate());
        }
        set(breaker.getWaitInOpenState(), cb::waitDurationInOpenState);
      });
    }
    return b.build();
  }

  private static <T> void set(@Nullable T value, java.util.function.Consumer<T> setter) {
    if (value != null) {
      setter.accept(value);
    }
  }

  @Override
  public void close() {
    retirer.shutdown();
    try {
      if (!retirer.awaitTermination(Duration.ofMinutes(1).toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("jinfer: retired chains still closing after a minute");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
