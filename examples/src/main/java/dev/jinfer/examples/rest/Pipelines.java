package dev.jinfer.examples.rest;

import dev.jinfer.BackendException;
import dev.jinfer.ErrorCode;
import dev.jinfer.InferenceException;
import dev.jinfer.ModelId;
import dev.jinfer.Predictor;
import dev.jinfer.batching.BatchingPredictor;
import dev.jinfer.breaker.CircuitBreaker;
import dev.jinfer.cache.CachedPredictor;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.RegistryStatus;
import dev.jinfer.registry.VersionState;
import dev.jinfer.registry.VersionStatus;
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
 * The serving chain of every loaded model version: cache, then circuit breaker, then batcher, then the
 * registry's handle pinned to that version.
 *
 * <p>A chain belongs to one version ({@link ModelId}), so its batcher's signature, every meter's
 * {@code version} tag and the version a response reports are exact. A request asks the registry which
 * version serves the model now (a volatile read) and takes that version's chain, building it on first use;
 * a hot swap therefore shows up on the next request. Chains of versions that are no longer ready are
 * closed by a sweep (every second and whenever a chain is built): the cache is dropped, the batcher
 * drains its queue, the breaker's meters are removed. A request that raced with a sweep fails with
 * {@link IllegalStateException} or {@link dev.jinfer.ModelNotFoundException}; {@link RestHandler}
 * resolves again and retries it once on the new version, so a swap fails no request.
 *
 * <p>Thread-safe.
 */
final class Pipelines implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Pipelines.class);

  /** One version's chain. */
  static final class Pipeline {
    private final ModelId id;
    private final Predictor top;
    private final Predictor pinned;
    private final @Nullable BatchingPredictor batcher;
    private final CircuitBreaker breaker;
    private final @Nullable CachedPredictor cache;
    private volatile boolean closed;

    Pipeline(ModelId id, Predictor top, Predictor pinned, @Nullable BatchingPredictor batcher, CircuitBreaker breaker,
        @Nullable CachedPredictor cache) {
      this.id = id;
      this.top = top;
      this.pinned = pinned;
      this.batcher = batcher;
      this.breaker = breaker;
      this.cache = cache;
    }

    /** @return the version this chain serves */
    ModelId id() {
      return id;
    }

    /** @return the outermost predictor of the chain */
    Predictor predictor() {
      return top;
    }

    /** @return the breaker, for tests and logs */
    CircuitBreaker breaker() {
      return breaker;
    }

    /** @return the batcher, if batching is on and the model can be batched */
    Optional<BatchingPredictor> batcher() {
      return Optional.ofNullable(batcher);
    }

    boolean isClosed() {
      return closed;
    }

    void close() {
      closed = true;
      if (cache != null) {
        cache.close();
      }
      breaker.removeMeters();
      if (batcher != null) {
        batcher.close();
      }
      pinned.close();
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
   * @return the chain of the version the registry routes to
   * @throws dev.jinfer.ModelNotFoundException if the model, version or alias is unknown or not ready
   * @throws IllegalArgumentException if the name, version or alias is malformed
   */
  Pipeline resolve(String name, @Nullable String version) {
    ModelId id;
    try (Predictor handle = version == null ? registry.predictor(name) : registry.predictor(name, version)) {
      id = handle.modelId();
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
    Predictor pinned = registry.predictor(id.name(), id.version());
    Predictor chain = pinned;
    BatchingPredictor batcher = null;
    if (config.batchMaxSize() > 0) {
      try {
        BatchingPredictor.Builder b = BatchingPredictor.newBuilder(pinned)
            .maxBatchSize(config.batchMaxSize())
            .maxQueueSize(config.batchQueue())
            .workers(batchWorkers())
            .meterRegistry(meters);
        Optional<Duration> delay = config.batchDelay();
        if (delay.isPresent()) {
          b.maxQueueDelay(delay.get());
        } else {
          b.latencyTarget(config.batchLatencyTarget());
        }
        batcher = b.build();
        chain = batcher;
      } catch (IllegalArgumentException e) {
        LOG.info("model {}: served without batching: {}", id, e.getMessage());
      }
    }
    CircuitBreaker breaker = CircuitBreaker.newBuilder(id)
        .countBasedWindow(config.breakerWindow())
        .minimumNumberOfCalls(config.breakerMinCalls())
        .failureRateThreshold(config.breakerFailureRate())
        .waitDurationInOpenState(config.breakerWait())
        .failurePredicate(Pipelines::isEngineFailure)
        .meterRegistry(meters)
        .build();
    chain = breaker.decorate(chain);
    CachedPredictor cache = null;
    if (config.cacheSize() > 0) {
      cache = CachedPredictor.newBuilder(chain).maximumSize(config.cacheSize()).meterRegistry(meters).build();
      chain = cache;
    }
    LOG.info("model {}: serving with {}", id, chain);
    return new Pipeline(id, chain, pinned, batcher, breaker, cache);
  }

  private int batchWorkers() {
    if (config.batchWorkers() > 0) {
      return config.batchWorkers();
    }
    return config.sessions() > 0 ? config.sessions() : Math.max(1, Math.min(dev.jinfer.LoadOptions.availableCpus(), 4));
  }

  /**
   * What opens the breaker: the engine failing (or anything unexpected), not the caller's bad input, a full
   * queue, a deadline the caller chose, or a version retired under the call.
   */
  static boolean isEngineFailure(Throwable t) {
    if (t instanceof BackendException) {
      return true;
    }
    if (t instanceof InferenceException) {
      ErrorCode code = ((InferenceException) t).code();
      return code == ErrorCode.BACKEND_FAILURE || code == ErrorCode.BACKEND_UNAVAILABLE;
    }
    return !(t instanceof IllegalStateException);
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
