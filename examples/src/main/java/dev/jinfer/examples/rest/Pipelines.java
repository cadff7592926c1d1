package dev.jinfer.examples.rest;

import dev.jinfer.ModelId;
import dev.jinfer.Predictor;
import dev.jinfer.batching.BatchingPredictor;
import dev.jinfer.breaker.CircuitBreaker;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.RegistryStatus;
import dev.jinfer.registry.VersionState;
import dev.jinfer.registry.VersionStatus;
import dev.jinfer.serving.ServingChain;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving chain of every loaded model version: a {@link ServingChain} (cache, then circuit breaker, then
 * batcher, then the registry's handle pinned to that version) per version.
 *
 * <p>A chain belongs to one version ({@link ModelId}), so its batcher's signature, every meter's
 * {@code version} tag and the version a response reports are exact. A request asks the registry which
 * version serves the model now (a volatile read) and takes that version's chain, building it on first use;
 * a hot swap therefore shows up on the next request. Chains of versions that are no longer ready are
 * closed by a sweep (every second and whenever a chain is built) in the chain's close order: calls in
 * flight finish, the batcher drains its queue, the cache is dropped, the breaker's meters are removed. A request that raced with a sweep fails with
 * {@link dev.jinfer.ModelClosedException} or {@link dev.jinfer.ModelNotFoundException}; {@link RestHandler}
 * resolves again and retries it once on the new version, so a swap fails no request.
 *
 * <p>Thread-safe.
 */
final class Pipelines implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Pipelines.class);

  /** One version's chain: a {@link ServingChain} and the version it serves. */
  static final class Pipeline {
    private final ModelId id;
    private final ServingChain chain;

    Pipeline(ModelId id, ServingChain chain) {
      this.id = id;
      this.chain = chain;
    }

    /** @return the version this chain serves */
    ModelId id() {
      return id;
    }

    /** @return the outermost predictor of the chain */
    Predictor predictor() {
      return chain;
    }

    /** @return the breaker, for tests and logs */
    CircuitBreaker breaker() {
      return chain.breaker().orElseThrow();
    }

    /** @return the batcher, if batching is on and the model can be batched */
    Optional<BatchingPredictor> batcher() {
      return chain.batcher();
    }

    boolean isClosed() {
      return chain.isClosed();
    }

    void close() {
      chain.close();
    }
  }

  private final ModelRegistry registry;
  private final RestConfig config;
  private final MeterRegistry meters;
  private final ConcurrentHashMap<ModelId, Pipeline> pipelines = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sweeper;
  private volatile boolean closed;

  Pipelines(ModelRegistry registry, RestConfig config, MeterRegistry meters) {
    this.registry = registry;
    this.config = config;
    this.meters = meters;
    this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "jinfer-rest-sweeper");
      t.setDaemon(true);
      return t;
    });
    sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
  }

  /**
   * The chain serving a model now.
   *
   * @param name the model name
   * @param version a version number or alias, or null for the model's current version
   * @return the chain of the version the registry routes this call to (the canary for its share of calls)
   * @throws dev.jinfer.ModelNotFoundException if the model, version or alias is unknown or not ready
   * @throws IllegalArgumentException if the name, version or alias is malformed
   */
  Pipeline resolve(String name, @Nullable String version) {
    ModelId id;
    if (version == null) {
      id = registry.sampleRoute(name); // draws the canary split; a handle's modelId() names the primary only
    } else {
      try (Predictor handle = registry.predictor(name, version)) {
        id = handle.modelId();
      }
    }
    Pipeline p = pipelines.get(id);
    if (p != null && !p.isClosed()) {
      return p;
    }
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the REST service is closed");
      }
      p = pipelines.get(id);
      if (p == null || p.isClosed()) {
        p = build(id);
        pipelines.put(id, p);
        sweeper.execute(this::sweep);
      }
      return p;
    }
  }

  private Pipeline build(ModelId id) {
    ServingChain.Builder b = ServingChain.newBuilder(registry, id.name()).version(id.version()).meterRegistry(meters)
        .breaker(cb -> cb.countBasedWindow(config.breakerWindow())
            .minimumNumberOfCalls(config.breakerMinCalls())
            .failureRateThreshold(config.breakerFailureRate())
            .waitDurationInOpenState(config.breakerWait()));
    if (config.batchMaxSize() > 0) {
      b.batchingRequired(false).batching(bb -> {
        bb.maxBatchSize(config.batchMaxSize()).maxQueueSize(config.batchQueue()).workers(batchWorkers());
        Optional<Duration> delay = config.batchDelay();
        if (delay.isPresent()) {
          bb.maxQueueDelay(delay.get());
        } else {
          bb.latencyTarget(config.batchLatencyTarget());
        }
      });
    }
    if (config.cacheSize() > 0) {
      b.cache(c -> c.maximumSize(config.cacheSize()));
    }
    ServingChain chain = b.build();
    LOG.info("model {}: serving with {}", id, chain);
    return new Pipeline(id, chain);
  }

  private int batchWorkers() {
    if (config.batchWorkers() > 0) {
      return config.batchWorkers();
    }
    return config.sessions() > 0 ? config.sessions() : Math.max(1, Math.min(dev.jinfer.LoadOptions.availableCpus(), 4));
  }

  /** Closes the chains of versions that are no longer ready. */
  void sweep() {
    RegistryStatus status;
    try {
      status = registry.status();
    } catch (RuntimeException e) {
      return;
    }
    for (Map.Entry<ModelId, Pipeline> e : pipelines.entrySet()) {
      ModelId id = e.getKey();
      boolean ready = status.model(id.name()).flatMap(m -> versionState(m, id.version()))
          .map(s -> s == VersionState.READY).orElse(false);
      if (!ready && pipelines.remove(id, e.getValue())) {
        LOG.info("model {}: no longer ready; closing its chain", id);
        closeQuietly(e.getValue());
      }
    }
  }

  private static Optional<VersionState> versionState(ModelStatus model, String version) {
    return model.version(version).map(VersionStatus::state);
  }

  private static void closeQuietly(Pipeline p) {
    try {
      p.close();
    } catch (RuntimeException e) {
      LOG.warn("model {}: closing its chain failed", p.id(), e);
    }
  }

  /** Closes every chain (batchers drain their queues); the registry stays open. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    sweeper.shutdown();
    try {
      sweeper.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Pipeline p : pipelines.values()) {
      closeQuietly(p);
    }
    pipelines.clear();
  }
}
