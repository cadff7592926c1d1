package dev.jinfer.cli.bench;

import dev.jinfer.InferenceException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.batching.BatchingPredictor;
import dev.jinfer.batching.BatchingStats;
import dev.jinfer.cache.CacheStats;
import dev.jinfer.cache.CachedPredictor;
import dev.jinfer.serving.ServingChain;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A predictor in this process: a {@link ServingChain} in front of the model's own predictor (optionally with
 * a {@link BatchingPredictor} and a {@link CachedPredictor}). Failures are counted by {@code ErrorCode}; any
 * other exception by its class name. Closing closes the chain (in its order), not the model. Thread-safe.
 */
final class PredictorTarget implements LoadTarget {
  /** Counter names of {@link #counters()}. */
  static final String CACHE_HITS = "cacheHits";
  static final String CACHE_MISSES = "cacheMisses";
  static final String BATCH_REQUESTS = "batchedRequests";
  static final String BATCH_CALLS = "batchEngineCalls";

  private final ServingChain predictor;
  private final String description;
  private final @Nullable BatchingPredictor batching;
  private final @Nullable CachedPredictor cache;

  PredictorTarget(ServingChain chain, String description) {
    this.predictor = chain;
    this.description = description;
    this.batching = chain.batcher().orElse(null);
    this.cache = chain.cache().orElse(null);
  }

  @Override
  public ModelSignature signature() {
    return predictor.signature();
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public boolean caches() {
    return cache != null;
  }

  @Override
  public Call prepare(NamedTensors request) {
    return () -> call(request);
  }

  private @Nullable String call(NamedTensors request) {
    try {
      predictor.predict(request, List.of());
      return null;
    } catch (InferenceException e) {
      return e.code().name();
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName();
    }
  }

  @Override
  public Map<String, Long> counters() {
    Map<String, Long> c = new LinkedHashMap<>();
    if (cache != null) {
      CacheStats s = cache.stats();
      c.put(CACHE_HITS, s.hits());
      c.put(CACHE_MISSES, s.misses());
    }
    if (batching != null) {
      BatchingStats s = batching.stats();
      c.put(BATCH_REQUESTS, s.accepted());
      c.put(BATCH_CALLS, s.engineCalls());
    }
    return c;
  }

  @Override
  public void resetBetweenLevels() {
    if (cache != null) {
      cache.invalidateAll();
    }
  }

  @Override
  public void close() {
    predictor.close();
  }
}
