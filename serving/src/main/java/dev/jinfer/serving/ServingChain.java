package dev.jinfer.serving;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.ErrorCode;
import dev.jinfer.ForwardingPredictor;
import dev.jinfer.InferenceException;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.batching.BatchingPredictor;
import dev.jinfer.breaker.CircuitBreaker;
import dev.jinfer.cache.CachedPredictor;
import dev.jinfer.registry.ModelRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one serving chain of jinfer: cache, then circuit breaker, then batcher, then the check of the engine's
 * answers, then the predictor of one model version (a registry handle pinned to that version, or a plain
 * predictor). Every layer but the check is optional; the order, the defaults and the close sequence are fixed
 * here, so every integration gets the same ones.
 *
 * <p><b>Output check.</b> Every answer must hold the outputs asked for with the signature's dtype, rank and
 * fixed dimensions, and (when batching) one row per request row on a dynamic first dimension; otherwise the call fails with a
 * {@link BackendException} naming the output (an engine failure for the breaker, never cached). NaN outputs
 * pass through unless {@link Builder#rejectNonFiniteOutputs} is set.
 *
 * <p><b>Version pinning.</b> A chain built from a registry resolves the name (and version or alias) once,
 * at {@link Builder#build()}, and then holds a handle pinned to that version: every call runs that version,
 * the cache keys carry its {@link ModelId} (name and version), and {@link #modelId()} says which one. A hot
 * swap therefore never reaches a built chain: callers that follow the registry build a chain per version
 * (resolve, then take or build that version's chain; close chains of versions that are retired), so a cached
 * answer of one version is never served for another. Once the pinned version is retired, calls fail with
 * {@link dev.jinfer.ModelNotFoundException} or {@link ModelClosedException}.
 *
 * <p><b>Call options.</b> The chain passes every call's {@link CallOptions} down unchanged: the deadline
 * and priority reach the batcher and the engine.
 *
 * <p><b>Close sequence</b> ({@link #close()}): stop accepting (later calls fail with
 * {@link ModelClosedException}); wait for the calls in flight to finish; close the batcher (it drains
 * its queue); close the cache; remove the breaker's meters; release the version handle. Idempotent.
 * {@link #close(Duration)} bounds the wait; the last call in flight then finishes the sequence.
 *
 * <p>Thread-safe.
 */
public final class ServingChain extends ForwardingPredictor {
  private static final Logger LOG = LoggerFactory.getLogger(ServingChain.class);

  /**
   * Cache entries per chain when the cache is asked for without a size: {@link CachedPredictor}'s own
   * default, which the chain leaves in place (the serving tests check that a chain's cache holds this many).
   */
  public static final long DEFAULT_CACHE_SIZE = 10_000;

  private final Predictor handle;
  private final boolean ownsHandle;
  private final @Nullable BatchingPredictor batcher;
  private final @Nullable CircuitBreaker breaker;
  private final @Nullable CachedPredictor cache;
  private final Object lock = new Object();
  private int inFlight;
  private boolean closing;
  /** Some thread has taken on closing the layers (a closer, or the last call after a bounded close gave up). */
  private boolean layersClaimed;
  /** A bounded close gave up waiting: the last call in flight closes the layers when it leaves. */
  private boolean closeOnLastLeave;
  private boolean closed;

  private ServingChain(Predictor top, Predictor handle, boolean ownsHandle, @Nullable BatchingPredictor batcher,
      @Nullable CircuitBreaker breaker, @Nullable CachedPredictor cache) {
    super(top);
    this.handle = handle;
    this.ownsHandle = ownsHandle;
    this.batcher = batcher;
    this.breaker = breaker;
    this.cache = cache;
  }

  /**
   * A chain for a model of a registry; the version it serves is resolved at {@link Builder#build()}.
   *
   * @param registry the registry that serves the model
   * @param modelName the model's name
   * @return a builder with every layer off
   * @throws NullPointerException if an argument is null
   */
  public static Builder newBuilder(ModelRegistry registry, String modelName) {
    return new Builder(Objects.requireNonNull(registry, "registry"), Objects.requireNonNull(modelName, "modelName"), null);
  }

  /**
   * A chain in front of a predictor that is not in a registry (one loaded model). The chain closes the
   * predictor when it closes, last.
   *
   * @param predictor the predictor of one model version
   * @return a builder with every layer off
   * @throws NullPointerException if it is null
   */
  public static Builder newBuilder(Predictor predictor) {
    return new Builder(null, null, Objects.requireNonNull(predictor, "predictor"));
  }

  /**
   * What the chain's default breaker counts as a failure: the engine failing (or anything unexpected), not
   * the caller's bad input, a full queue, a deadline the caller chose, a call the caller cancelled
   * ({@link dev.jinfer.CancelledException}, {@link java.util.concurrent.CancellationException}), or a version
   * retired under the call.
   *
   * @param t an error a call ended with
   * @return true if it should count towards opening the breaker
   */
  public static boolean isEngineFailure(Throwable t) {
    if (t instanceof BackendException) {
      return true;
    }
    if (t instanceof InferenceException) {
      ErrorCode code = ((InferenceException) t).code();
      return code == ErrorCode.BACKEND_FAILURE || code == ErrorCode.BACKEND_UNAVAILABLE;
    }
    return !(t instanceof IllegalStateException) && !(t instanceof java.util.concurrent.CancellationException);
  }

  /**
   * Runs the call through the chain with its options.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted; empty for all
   * @param options the call's deadline, priority and attachments
   * @return the outputs
   * @throws InferenceException whatever a layer or the engine throws
   * @throws ModelClosedException if the chain is closing or closed
   */
  @Override
  public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    enter();
    try {
      return super.predict(inputs, outputNames, options);
    } finally {
      leave();
    }
  }

  /**
   * Runs the call through the chain on an executor (the batcher, if any, completes it without a blocked
   * thread). Never throws; a closed chain completes the future with {@link ModelClosedException}.
   */
  @Override
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, CallOptions options,
      Executor executor) {
    try {
      enter();
    } catch (ModelClosedException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<NamedTensors> f;
    try {
      f = delegate().predictAsync(inputs, outputNames, options, executor);
    } catch (RuntimeException e) {
      leave();
      return CompletableFuture.failedFuture(e);
    }
    f.whenComplete((r, e) -> leave());
    return f;
  }

  private void enter() {
    synchronized (lock) {
      if (closing) {
        throw new ModelClosedException("serving chain of model " + handle.modelId() + " is closed");
      }
      inFlight++;
    }
  }

  private void leave() {
    synchronized (lock) {
      if (--inFlight != 0) {
        return;
      }
      lock.notifyAll();
      if (!closeOnLastLeave || layersClaimed) {
        return;
      }
      layersClaimed = true;
    }
    LOG.info("model {}: the last call in flight ended; closing the serving chain", handle.modelId());
    closeLayers();
  }

  /** @return the batcher, if batching is on */
  public Optional<BatchingPredictor> batcher() {
    return Optional.ofNullable(batcher);
  }

  /** @return the circuit breaker, if it is on */
  public Optional<CircuitBreaker> breaker() {
    return Optional.ofNullable(breaker);
  }

  /** @return the cache, if it is on */
  public Optional<CachedPredictor> cache() {
    return Optional.ofNullable(cache);
  }

  /** @return true once {@link #close()} has been called */
  public boolean isClosed() {
    synchronized (lock) {
      return closing;
    }
  }

  /**
   * Stops accepting calls, waits for those in flight, then closes the batcher (draining it), the cache,
   * the breaker's meters and the version handle, in that order. Idempotent; a second caller returns once
   * the first has finished. Blocks as long as a call runs; a shutdown that must end in time uses
   * {@link #close(Duration)}. Interrupts are remembered, not obeyed.
   */
  @Override
  public void close() {
    synchronized (lock) {
      closing = true;
      boolean interrupted = false;
      while (!closed && (inFlight > 0 || layersClaimed)) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      if (closed) {
        return;
      }
      layersClaimed = true;
    }
    closeLayers();
  }

  /**
   * As {@link #close()}, but waits for the calls in flight only up to a bound. If they all end in time,
   * the layers are closed before this returns; if not, this logs how many still run and returns false, and
   * the last of them closes the layers when it ends (the batcher drains what it has queued: no queued call
   * is dropped or answered twice). Later calls fail with {@link ModelClosedException} either way.
   * Idempotent; an interrupt ends the wait early (returning false, with the interrupt status kept).
   * Thread-safe.
   *
   * @param timeout the longest wait; {@link Duration#ZERO} only stops new calls (and closes the layers at
   *     once if no call is in flight)
   * @return true if the chain is fully closed, false if calls were still running at the bound
   * @throws IllegalArgumentException if the timeout is null or negative
   */
  public boolean close(Duration timeout) {
    if (timeout == null || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be >= 0 but was " + timeout);
    }
    long end = System.nanoTime() + Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
    synchronized (lock) {
      closing = true;
      while (!closed && (inFlight > 0 || layersClaimed)) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return gaveUp();
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          if (closed) {
            return true;
          }
          return gaveUp();
        }
      }
      if (closed) {
        return true;
      }
      layersClaimed = true;
    }
    closeLayers();
    return true;
  }

  /** Under the lock: a bounded close ends its wait with calls still in flight. */
  private boolean gaveUp() {
    if (inFlight > 0 && !layersClaimed) {
      closeOnLastLeave = true;
      LOG.warn("model {}: serving chain closing with {} call(s) still in flight; the last of them closes it",
          handle.modelId(), inFlight);
    }
    return false;
  }

  private void closeLayers() {
    try {
      if (batcher != null) {
        batcher.close();
      }
    } finally {
      try {
        if (cache != null) {
          cache.close();
        }
        if (breaker != null) {
          breaker.removeMeters();
        }
      } finally {
        try {
          if (ownsHandle) {
            handle.close();
          }
        } finally {
          synchronized (lock) {
            closed = true;
            lock.notifyAll();
          }
        }
      }
    }
  }

  @Override
  public String toString() {
    return "ServingChain[" + handle.modelId() + (cache != null ? " cache" : "") + (breaker != null ? " breaker" : "")
        + (batcher != null ? " batcher" : "") + "]";
  }

  /**
   * Assembles a {@link ServingChain}. Every layer is off until asked for; a layer asked for without
   * settings gets the documented defaults (see the module README). Not thread-safe.
   */
  public static final class Builder {
    private final @Nullable ModelRegistry registry;
    private final @Nullable String modelName;
    private final @Nullable Predictor predictor;
    private @Nullable String version;
    private @Nullable Consumer<BatchingPredictor.Builder> batching;
    private boolean batchingRequired = true;
    private @Nullable Consumer<CachedPredictor.Builder> cache;
    private @Nullable Consumer<CircuitBreaker.Builder> breaker;
    private @Nullable UnaryOperator<Predictor> guard;
    private @Nullable MeterRegistry meters;
    private @Nullable ObservationRegistry observations;
    private boolean rejectNonFiniteOutputs;

    private Builder(@Nullable ModelRegistry registry, @Nullable String modelName, @Nullable Predictor predictor) {
      this.registry = registry;
      this.modelName = modelName;
      this.predictor = predictor;
    }

    /**
     * Serves this version or alias instead of the model's current version (registry chains only).
     *
     * @param versionOrAlias a version number or alias
     * @return this builder
     * @throws IllegalStateException if the chain is not built from a registry
     */
    public Builder version(String versionOrAlias) {
      if (registry == null) {
        throw new IllegalStateException("version: only a chain built from a registry picks a version");
      }
      this.version = Objects.requireNonNull(versionOrAlias, "versionOrAlias");
      return this;
    }

    /**
     * Puts a batcher with {@link BatchingPredictor}'s own defaults in front of the version.
     *
     * @return this builder
     */
    public Builder batching() {
      return batching(b -> { });
    }

    /**
     * Puts a batcher in front of the version, configured by the caller (the chain sets its meter registry
     * first).
     *
     * @param settings applied to the batcher's builder
     * @return this builder
     */
    public Builder batching(Consumer<BatchingPredictor.Builder> settings) {
      this.batching = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * Whether {@link #build()} fails when the model cannot be batched (true, the default) or serves it
     * without a batcher and logs why (false).
     *
     * @param required true to fail
     * @return this builder
     */
    public Builder batchingRequired(boolean required) {
      this.batchingRequired = required;
      return this;
    }

    /**
     * Puts a circuit breaker in front of the batcher, counting {@link #isEngineFailure engine failures}.
     *
     * @return this builder
     */
    public Builder breaker() {
      return breaker(b -> { });
    }

    /**
     * Puts a circuit breaker in front of the batcher, configured by the caller (the chain sets the failure
     * predicate and meter registry first; the settings may replace them).
     *
     * @param settings applied to the breaker's builder
     * @return this builder
     */
    public Builder breaker(Consumer<CircuitBreaker.Builder> settings) {
      this.breaker = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * Puts the caller's own guard where the circuit breaker goes (in front of the batcher, behind the cache),
     * for a team that already runs another breaker library: {@code dev.jinfer.resilience4j.Resilience4jGuard}
     * puts a resilience4j {@code CircuitBreaker} there, so one breaker, one configuration and its endpoints
     * serve the whole application. The chain does not close what the guard returns (a guard owns nothing).
     * Exclusive with {@link #breaker()}.
     *
     * @param guard wraps the batcher (or the version's predictor) and returns the guarded predictor
     * @return this builder
     */
    public Builder guard(UnaryOperator<Predictor> guard) {
      this.guard = Objects.requireNonNull(guard, "guard");
      return this;
    }

    /**
     * Puts a cache of {@value ServingChain#DEFAULT_CACHE_SIZE} entries in front of everything.
     *
     * @return this builder
     */
    public Builder cache() {
      return cache(b -> { });
    }

    /**
     * Puts a cache in front of everything, configured by the caller (the chain sets the meter registry
     * first; without {@code maximumSize} or {@code maximumWeight} the cache holds
     * {@value ServingChain#DEFAULT_CACHE_SIZE} entries).
     *
     * @param settings applied to the cache's builder
     * @return this builder
     */
    public Builder cache(Consumer<CachedPredictor.Builder> settings) {
      this.cache = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * Where every layer registers its meters (none by default).
     *
     * @param registry the meter registry
     * @return this builder
     */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meters = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * Whether an answer with a NaN or infinite element in a floating-point output is an engine failure
     * ({@link BackendException} naming the output and the element; counted by the breaker, never cached)
     * rather than passed to the caller. Off by default: some models answer NaN on purpose, and the check reads
     * every output element. The dtype and shape of every output are always checked against the signature.
     *
     * @param reject true to refuse non-finite outputs
     * @return this builder
     */
    public Builder rejectNonFiniteOutputs(boolean reject) {
      this.rejectNonFiniteOutputs = reject;
      return this;
    }

    private String modelLabel() {
      return modelName != null ? modelName : Objects.requireNonNull(predictor).modelId().toString();
    }

    /**
     * Observes every call: one {@link io.micrometer.observation.Observation} named
     * {@code jinfer.serving.predict} per call, outermost (cache hits included), with the low-cardinality key
     * values {@code jinfer.model}, {@code jinfer.version} and {@code outcome} ({@code success}, or the
     * failure's {@link dev.jinfer.ErrorCode}). With a batcher, each call also gets the child observations
     * {@code jinfer.batch.queue} (time in the queue) and {@code jinfer.batch.engine} (the engine call of its
     * batch). A tracing bridge turns them into spans, Micrometer's meter handler into timers. Default: none.
     *
     * @param registry the observation registry
     * @return this builder
     */
    public Builder observationRegistry(ObservationRegistry registry) {
      this.observations = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * Resolves the version (registry chains) and assembles the chain. If a layer fails to build, what was
     * built is closed, the version handle included.
     *
     * @return the chain
     * @throws dev.jinfer.ModelNotFoundException if the model, version or alias is unknown or not ready
     * @throws IllegalArgumentException if a setting is invalid, or batching is required and the model
     *     cannot be batched
     */
    public ServingChain build() {
      if (breaker != null && guard != null) {
        throw new IllegalArgumentException("serving chain of model " + modelLabel() + ": expected either jinfer's"
            + " circuit breaker or a guard in its place, but both were set");
      }
      Predictor handle;
      boolean owns;
      if (registry != null) {
        ModelId id;
        try (Predictor routing = version == null ? registry.predictor(modelName) : registry.predictor(modelName, version)) {
          id = routing.modelId();
        }
        handle = registry.predictor(id.name(), id.version());
        owns = true;
      } else {
        handle = Objects.requireNonNull(predictor);
        owns = true;
      }
      BatchingPredictor batcher = null;
      CachedPredictor cached = null;
      try {
        Predictor checked = new OutputCheck(handle, rejectNonFiniteOutputs, batching != null);
        Predictor chain = checked;
        if (batching != null) {
          try {
            BatchingPredictor.Builder b = BatchingPredictor.newBuilder(checked);
            if (meters != null) {
              b.meterRegistry(meters);
            }
            if (observations != null) {
              b.observationRegistry(observations);
            }
            batching.accept(b);
            batcher = b.build();
            chain = batcher;
          } catch (IllegalArgumentException e) {
            if (batchingRequired) {
              throw e;
            }
            LOG.info("model {}: served without batching: {}", handle.modelId(), e.getMessage());
          }
        }
        CircuitBreaker cb = null;
        if (breaker != null) {
          CircuitBreaker.Builder b = CircuitBreaker.newBuilder(handle.modelId()).failurePredicate(ServingChain::isEngineFailure);
          if (meters != null) {
            b.meterRegistry(meters);
          }
          breaker.accept(b);
          cb = b.build();
          chain = cb.decorate(chain);
        } else if (guard != null) {
          chain = Objects.requireNonNull(guard.apply(chain), "the guard returned null");
        }
        if (cache != null) {
          CachedPredictor.Builder b = CachedPredictor.newBuilder(chain);
          if (meters != null) {
            b.meterRegistry(meters);
          }
          cache.accept(b);
          cached = b.build();
          chain = cached;
        }
        if (observations != null) {
          chain = new ObservedPredictor(chain, observations);
        }
        ServingChain result = new ServingChain(chain, handle, owns, batcher, cb, cached);
        LOG.debug("model {}: serving with {}", handle.modelId(), result);
        return result;
      } catch (RuntimeException e) {
        if (batcher != null) {
          batcher.close();
        }
        if (owns) {
          handle.close();
        }
        throw e;
      }
    }
  }
}
