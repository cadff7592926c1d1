package dev.jinfer.spring;

import dev.jinfer.CallOptions;
import dev.jinfer.ModelId;
import dev.jinfer.ModelNotFoundException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.RegistryStatus;
import dev.jinfer.registry.VersionState;
import dev.jinfer.serving.ServingChain;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Predictor} bean of one model: every call goes through a {@link ServingChain} (cache, breaker,
 * batcher as configured under {@code jinfer.models.<name>}) of the version the registry serves now, so hot
 * swaps and the canary split reach the bean's callers.
 *
 * <p>A chain is pinned to one version; this predictor keeps one chain per version, built on the first call
 * that the registry routes to it. Each call draws its version with {@link ModelRegistry#sampleRoute(String)}, so
 * calls are split between the primary and the canary version exactly as the registry's own handle splits them
 * ({@code canary-percent}). When a call finds a version the predictor has no chain for, the chains of
 * versions that are no longer ready are closed in the background (their calls in flight finish first). A call
 * that races with such a close is retried once on the version the registry serves then, so a swap fails no
 * call.
 *
 * <p><b>Close</b> (the bean's destroy method): stops accepting calls (later calls fail with
 * {@link IllegalStateException}), waits until every accepted call has its answer, then closes every chain
 * (batchers drain). Spring destroys the predictor beans before the {@link ModelRegistry} they use, so the
 * models are closed last.
 *
 * <p>Thread-safe.
 */
public final class ModelPredictor implements Predictor {
  private static final Logger LOG = LoggerFactory.getLogger(ModelPredictor.class);

  private final ModelRegistry registry;
  private final String name;
  private final @Nullable String version;
  private final Function<ModelId, ServingChain> chainFactory;
  private final Executor retirer;
  private final ConcurrentHashMap<ModelId, ServingChain> chains = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private int inFlight;
  private boolean closing;
  private boolean closed;

  ModelPredictor(ModelRegistry registry, String name, @Nullable String version, Function<ModelId, ServingChain> chainFactory,
      Executor retirer) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.name = Objects.requireNonNull(name, "name");
    this.version = version;
    this.chainFactory = Objects.requireNonNull(chainFactory, "chainFactory");
    this.retirer = Objects.requireNonNull(retirer, "retirer");
  }

  /** @return the model's name */
  public String modelName() {
    return name;
  }

  /** @return the version number or alias this bean is pinned to, if any ({@code jinfer.models.<name>.version}) */
  public Optional<String> pinnedVersion() {
    return Optional.ofNullable(version);
  }

  /**
   * The chain of the version the registry serves now, built if needed.
   *
   * @return the chain
   * @throws ModelNotFoundException if the model has no version serving
   * @throws IllegalArgumentException if the chain's settings do not fit the model (batching required of an
   *     unbatchable model)
   * @throws IllegalStateException if this predictor or the registry is closed
   */
  public ServingChain currentChain() {
    ModelId id;
    if (version == null) {
      id = registry.sampleRoute(name);
    } else {
      try (Predictor handle = registry.predictor(name, version)) {
        id = handle.modelId();
      }
    }
    ServingChain chain = chains.get(id);
    if (chain != null && !chain.isClosed()) {
      return chain;
    }
    synchronized (chains) {
      synchronized (lock) {
        if (closing) {
          throw closedException();
        }
      }
      chain = chains.get(id);
      if (chain == null || chain.isClosed()) {
        chain = chainFactory.apply(id);
        chains.put(id, chain);
        LOG.info("model {}: serving with {}", id, chain);
        retirer.execute(this::retireUnready);
      }
      return chain;
    }
  }

  /** Closes the chains of versions the registry no longer serves. */
  void retireUnready() {
    RegistryStatus status;
    try {
      status = registry.status();
    } catch (RuntimeException e) {
      return;
    }
    for (Map.Entry<ModelId, ServingChain> e : chains.entrySet()) {
      ModelId id = e.getKey();
      boolean ready = status.model(id.name()).flatMap(m -> state(m, id.version())).map(s -> s == VersionState.READY).orElse(false);
      if (!ready && chains.remove(id, e.getValue())) {
        LOG.info("model {}: no longer ready; closing its chain", id);
        closeQuietly(id, e.getValue());
      }
    }
  }

  private static Optional<VersionState> state(ModelStatus model, String v) {
    return model.version(v).map(s -> s.state());
  }

  /**
   * The version the registry serves now.
   *
   * @throws ModelNotFoundException if no version is serving
   * @throws IllegalStateException if closed
   */
  @Override
  public ModelId modelId() {
    return currentChain().modelId();
  }

  /**
   * The signature of the version the registry serves now.
   *
   * @throws ModelNotFoundException if no version is serving
   * @throws IllegalStateException if closed
   */
  @Override
  public ModelSignature signature() {
    return currentChain().signature();
  }

  /**
   * Runs the call through the chain of the version served now; retried once on the new version if that
   * version was retired under the call.
   *
   * @throws dev.jinfer.InferenceException whatever the chain or the engine throws
   * @throws IllegalStateException if this predictor is closing or closed
   */
  @Override
  public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    enter();
    try {
      ServingChain chain = currentChain();
      try {
        return chain.predict(inputs, outputNames, options);
      } catch (IllegalStateException | ModelNotFoundException e) {
        if (!retiredUnder(chain)) {
          throw e;
        }
        return currentChain().predict(inputs, outputNames, options);
      }
    } finally {
      leave();
    }
  }

  /**
   * Runs the call through the chain of the version served now without a blocked thread when the chain
   * batches. Never throws; a closed predictor completes the future with {@link IllegalStateException}.
   */
  @Override
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, CallOptions options,
      Executor executor) {
    try {
      enter();
    } catch (IllegalStateException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<NamedTensors> f;
    try {
      ServingChain chain = currentChain();
      f = chain.predictAsync(inputs, outputNames, options, executor).exceptionallyCompose(e -> {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if ((cause instanceof IllegalStateException || cause instanceof ModelNotFoundException) && retiredUnder(chain)) {
          try {
            return currentChain().predictAsync(inputs, outputNames, options, executor);
          } catch (RuntimeException again) {
            return CompletableFuture.failedFuture(again);
          }
        }
        return CompletableFuture.failedFuture(cause);
      });
    } catch (RuntimeException e) {
      leave();
      return CompletableFuture.failedFuture(e);
    }
    f.whenComplete((r, e) -> leave());
    return f;
  }

  private boolean retiredUnder(ServingChain chain) {
    synchronized (lock) {
      return !closing && chain.isClosed();
    }
  }

  private void enter() {
    synchronized (lock) {
      if (closing) {
        throw closedException();
      }
      inFlight++;
    }
  }

  private void leave() {
    synchronized (lock) {
      if (--inFlight == 0) {
        lock.notifyAll();
      }
    }
  }

  private IllegalStateException closedException() {
    return new IllegalStateException("the Predictor bean of model '" + name + "' is closed");
  }

  /** @return true once {@link #close()} has been called */
  public boolean isClosed() {
    synchronized (lock) {
      return closing;
    }
  }

  /**
   * Stops accepting calls, waits until every accepted call has its answer, then closes every chain (each
   * batcher drains its queue). Idempotent; a second caller returns once the first has finished. The
   * registry and its models stay open: they are the registry bean's.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closing) {
        waitFor(() -> closed);
        return;
      }
      closing = true;
      waitFor(() -> inFlight == 0);
    }
    try {
      synchronized (chains) {
        for (Map.Entry<ModelId, ServingChain> e : chains.entrySet()) {
          closeQuietly(e.getKey(), e.getValue());
        }
        chains.clear();
      }
    } finally {
      synchronized (lock) {
        closed = true;
        lock.notifyAll();
      }
    }
  }

  private void waitFor(java.util.function.BooleanSupplier done) {
    boolean interrupted = false;
    while (!done.getAsBoolean()) {
      try {
        lock.wait();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(ModelId id, ServingChain chain) {
    try {
      chain.close();
    } catch (RuntimeException e) {
      LOG.warn("model {}: closing its chain failed", id, e);
    }
  }

  @Override
  public String toString() {
    return "ModelPredictor[" + name + (version != null ? "@" + version : "") + ", chains=" + chains.keySet() + "]";
  }
}
