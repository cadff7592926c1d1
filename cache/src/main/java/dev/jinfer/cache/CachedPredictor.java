package dev.jinfer.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Policy;
import dev.jinfer.CallOptions;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.ForwardingPredictor;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Predictor} that answers repeated requests from memory: an exact-match prediction cache on
 * Caffeine in front of any predictor, with an optional second tier in Redis ({@link RedisTier}).
 *
 * <pre>{@code
 * CachedPredictor p = CachedPredictor.newBuilder(model.predictor())
 *     .maximumSize(100_000)                              // or maximumWeight(bytes)
 *     .expireAfterWrite(Duration.ofMinutes(10))
 *     .keyPolicy("features", KeyPolicy.roundToDecimals(4))  // opt-in approximation, see KeyPolicy
 *     .meterRegistry(registry)
 *     .build();
 * NamedTensors out = p.predict(NamedTensors.of("features", row));
 * }</pre>
 *
 * <h2>The key</h2>
 * An entry is keyed on the model id (name and version, read from the delegate at each request) and, for
 * every input of the signature, its name, dtype, shape and bytes. NaN (any payload) and -0.0 are
 * canonicalized to NaN and 0.0 first, and an input with a rounding {@link KeyPolicy} is rounded. Lookups
 * use a 128-bit hash of that material; a hit additionally compares the material word for word, so a hash
 * collision costs a comparison, never a wrong answer. The requested output names are not part of the key:
 * an entry holds the kept outputs ({@link Builder#keepOutputs}, all by default) and serves any subset.
 *
 * <h2>What is never served</h2>
 * <ul>
 *   <li>Another version's entries: the version is in the key, and when the delegate reports a new model id
 *       the entries of other ids are dropped. A result computed while the id changed is returned but not
 *       kept.
 *   <li>Errors: a failed computation is not cached; the next identical request runs the model again.
 *   <li>Stale entries: with {@link Builder#expireAfterWrite} an entry is not served once it is older.
 * </ul>
 *
 * <h2>Misses</h2>
 * Concurrent identical misses compute once (single flight): the first caller runs the load on its own
 * thread (a Redis read, then the model) and the others wait for its result, or its failure. Requests whose
 * inputs exceed {@link Builder#maxInputBytes}, whose input names differ from the signature's, or that ask
 * for an output the cache does not keep go straight to the delegate ({@link CacheStats#bypassed()}).
 *
 * <h2>Cost</h2>
 * A hit hashes the inputs (streamed from their buffers, nothing copied), does one Caffeine lookup and one
 * comparison; it allocates the probe key and, when a subset of the outputs is asked for, the subset. The
 * returned tensors are the cached ones (tensors are immutable). Statistics are adders read by
 * {@link #stats()} and by Micrometer function counters, so the hit path does not touch a meter.
 *
 * <p>Closing the cache drops its entries, closes its Redis connection and removes its meters; it does not
 * close the delegate, which the caller owns. Thread-safe: any number of threads may call it at once.
 */
public final class CachedPredictor extends ForwardingPredictor {
  private static final Logger LOG = LoggerFactory.getLogger(CachedPredictor.class);

  private final ModelSignature signature;
  private final KeySchema schema;
  private final List<String> keptOutputs;
  private final Set<String> keptSet;
  private final boolean keepsAll;
  /** Whether an entry holds exactly the signature's outputs in signature order (then "all" is the entry). */
  private final boolean entryIsAllOutputs;
  private final List<String> allOutputs;
  private final long maxInputBytes;
  private final Ticker ticker;
  private final AsyncCache<CacheKey, NamedTensors> cache;
  private final SingleFlight flights;
  private final @Nullable SecondTier tier;
  private final @Nullable Executor refreshExecutor;
  private final CacheMetrics metrics;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile ModelId lastId;

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder bypassed = new LongAdder();
  private final LongAdder loadSuccesses = new LongAdder();
  private final LongAdder loadFailures = new LongAdder();
  private final LongAdder loadNanos = new LongAdder();
  private final LongAdder evictions = new LongAdder();

  private CachedPredictor(CacheConfig config) {
    super(config.delegate());
    this.signature = config.signature();
    this.lastId = delegate().modelId();
    List<String> inputNames = signature.inputs().stream().map(TensorSpec::name).toList();
    this.schema = new KeySchema(inputNames, config.policies(), config.hashMask());
    this.keptOutputs = config.keptOutputs();
    this.keptSet = Set.copyOf(keptOutputs);
    this.keepsAll = keptSet.containsAll(signature.outputNames());
    this.allOutputs = List.copyOf(signature.outputNames());
    this.entryIsAllOutputs = keptOutputs.equals(allOutputs);
    this.maxInputBytes = config.effectiveMaxInputBytes();
    this.ticker = config.effectiveTicker();
    this.refreshExecutor = config.refreshExecutor();

    Caffeine<Object, Object> c = Caffeine.newBuilder()
        .ticker(ticker::read)
        // maintenance (evictions, removing failed loads) is short: run it on the calling thread instead of
        // the common pool; refreshes, which call the model, run on the refresh executor
        .executor(Runnable::run);
    if (config.maximumWeight() != null) {
      c.maximumWeight(config.maximumWeight());
      c.<CacheKey, NamedTensors>weigher((k, v) -> weigh(k, v));
    } else {
      c.maximumSize(config.effectiveMaximumSize());
    }
    if (config.expireAfterWrite() != null) {
      c.expireAfterWrite(config.expireAfterWrite());
    }
    if (config.refreshAfterWrite() != null) {
      c.refreshAfterWrite(config.refreshAfterWrite());
    }
    Caffeine<CacheKey, NamedTensors> typed = c.evictionListener((CacheKey k, NamedTensors v, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
      if (cause.wasEvicted()) {
        evictions.increment();
      }
    });
    this.cache = config.refreshAfterWrite() == null ? typed.buildAsync() : typed.buildAsync(new Refresher());
    ModelId id = lastId;
    this.tier = config.redisTier() == null ? null : config.redisTier().open(id, ticker);
    this.metrics = new CacheMetrics(config.meterRegistry(), id, this::stats, tier != null);
    Predictor delegate = delegate();
    this.flights = new SingleFlight(cache.asMap(), this::compute, delegate::modelId, ticker, new LoadCounter());
  }

  /**
   * A builder for a cache in front of a predictor, with the defaults of {@link Builder}.
   *
   * @param delegate the predictor whose results are cached; the caller keeps owning it
   * @return a new builder
   * @throws NullPointerException if the delegate is null
   */
  public static Builder newBuilder(Predictor delegate) {
    return new Builder(delegate);
  }

  /**
   * A cache of at most {@code maximumSize} entries with the other defaults of {@link Builder}.
   *
   * @param delegate the predictor whose results are cached
   * @param maximumSize the most entries held
   * @return the cache
   * @throws NullPointerException if the delegate is null
   * @throws IllegalArgumentException if maximumSize is not positive
   */
  public static CachedPredictor of(Predictor delegate, long maximumSize) {
    return newBuilder(delegate).maximumSize(maximumSize).build();
  }

  /**
   * Answers from the cache if it holds the exact request, else runs the delegate (once for concurrent
   * identical requests) and keeps the result. With a deadline in the options: a hit returns at once; a
   * request that joins an identical one in flight waits for it at most until its own deadline (the shared
   * call goes on and fills the cache for the others); a miss passes the options (deadline and priority) to
   * the delegate, so a batcher can drop the request while queued and the engine can stop at the deadline.
   * If the call this request joined failed on its own caller's deadline while this one still has time,
   * this request runs the model itself.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted; empty for all
   * @param options the call's deadline, priority and attachments
   * @return the outputs, possibly shared with other callers (tensors are immutable)
   * @throws DeadlineExceededException if the deadline passed before the outputs were ready
   * @throws InvalidInputException if the request does not match the signature (from the delegate)
   * @throws dev.jinfer.InferenceException whatever the delegate throws; it is not cached
   * @throws ModelClosedException if this cache is closed
   */
  @Override
  public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    if (options == null) {
      throw new InvalidInputException("options: expected CallOptions but got null");
    }
    Deadline deadline = options.deadlineOrNull();
    if (deadline != null && deadline.isExpired()) {
      throw DeadlineExceededException.beforeStart(modelId(), deadline);
    }
    return lookup(inputs, outputNames, options);
  }

  private NamedTensors lookup(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    requireOpen();
    if (inputs == null || outputNames == null) {
      bypassed.increment();
      return direct(inputs, outputNames, options);
    }
    ModelId id = currentId();
    if (!servable(outputNames) || !schema.accepts(inputs, maxInputBytes)) {
      bypassed.increment();
      return direct(inputs, outputNames, options);
    }
    CacheKey probe = schema.probe(id, inputs);
    CompletableFuture<NamedTensors> f = cache.getIfPresent(probe);
    if (f != null) {
      hits.increment();
      return select(flights.joinFound(f, probe, inputs, options), outputNames);
    }
    misses.increment();
    return select(flights.load(probe.stored(), inputs, options, false), outputNames);
  }

  private NamedTensors direct(@Nullable NamedTensors inputs, @Nullable List<String> outputNames, CallOptions options) {
    return delegate().predict(inputs, outputNames, options);
  }

  /**
   * Completes at once on a hit, or with the in-flight computation of an identical request; otherwise runs
   * {@link #predict(NamedTensors, List, CallOptions)} on the executor. Never throws: every failure completes the future
   * exceptionally.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted; empty for all
   * @param options the call's deadline, priority and attachments
   * @param executor where a miss runs the delegate
   * @return a future completed exactly once
   */
  @Override
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, CallOptions options,
      Executor executor) {
    if (executor == null) {
      return CompletableFuture.failedFuture(new InvalidInputException("executor: expected an Executor but got null"));
    }
    try {
      requireOpen();
      if (inputs != null && outputNames != null && servable(outputNames) && schema.accepts(inputs, maxInputBytes)) {
        CompletableFuture<NamedTensors> f = cache.getIfPresent(schema.probe(currentId(), inputs));
        if (f != null) {
          hits.increment();
          return f.handle((v, e) -> {
            if (e != null) {
              throw SingleFlight.rethrow(SingleFlight.unwrap(e));
            }
            return select(v, outputNames);
          });
        }
      }
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return super.predictAsync(inputs, outputNames, options, executor);
  }

  /** Redis, then the delegate; writes a computed result back to Redis. */
  private NamedTensors compute(CacheKey key, NamedTensors inputs, CallOptions options) {
    SecondTier t = tier;
    byte[] digest = t == null ? null : ValueCodec.digest(key.model, key.words());
    if (t != null) {
      NamedTensors remote = readTier(t, key, digest);
      if (remote != null && new ArrayList<>(remote.names()).equals(keptOutputs)) {
        return remote;
      }
    }
    NamedTensors value = delegate().predict(inputs, keptOutputs, options);
    if (t != null && key.model.equals(delegate().modelId())) {
      writeTier(t, key, digest, value);
    }
    return value;
  }

  // the tier handles Redis failures itself; these guards make sure no bug of its can fail a prediction
  private static @Nullable NamedTensors readTier(SecondTier t, CacheKey key, byte[] digest) {
    try {
      return t.get(key, digest);
    } catch (RuntimeException e) {
      LOG.warn("cache of model {}: the second tier failed a read; serving from the model", key.model, e);
      return null;
    }
  }

  private static void writeTier(SecondTier t, CacheKey key, byte[] digest, NamedTensors value) {
    try {
      t.put(key, digest, value);
    } catch (RuntimeException e) {
      LOG.warn("cache of model {}: the second tier failed a write", key.model, e);
    }
  }

  /** Counts what the single flight reports as cache statistics. */
  private final class LoadCounter implements SingleFlight.Listener {
    @Override
    public void joinedAfterMiss() {
      hits.increment();
      misses.decrement();
    }

    @Override
    public void loaded(long nanos, boolean success) {
      loadNanos.add(nanos);
      (success ? loadSuccesses : loadFailures).increment();
      metrics.load(nanos);
    }
  }

  private ModelId currentId() {
    ModelId id = delegate().modelId();
    ModelId last = lastId;
    if (id != last && !id.equals(last)) {
      lastId = id;
      int before = cache.asMap().size();
      cache.asMap().keySet().removeIf(k -> !k.model.equals(id));
      LOG.info("cache: model {} is now {}; dropped {} entries of other versions", last, id,
          before - cache.asMap().size());
    } else if (id != last) {
      lastId = id;
    }
    return id;
  }

  private boolean servable(List<String> outputNames) {
    if (outputNames.isEmpty()) {
      return keepsAll;
    }
    for (int i = 0; i < outputNames.size(); i++) {
      if (!keptSet.contains(outputNames.get(i))) {
        return false;
      }
    }
    return true;
  }

  private NamedTensors select(NamedTensors value, List<String> outputNames) {
    if (outputNames.isEmpty() ? entryIsAllOutputs : outputNames.equals(keptOutputs)) {
      return value;
    }
    return value.select(outputNames.isEmpty() ? allOutputs : outputNames);
  }

  private static int weigh(CacheKey key, NamedTensors value) {
    long bytes = key.retainedBytes() + 64;
    for (Map.Entry<String, Tensor> e : value) {
      bytes += 96 + e.getValue().byteSize();
    }
    return (int) Math.min(Integer.MAX_VALUE, bytes);
  }

  /**
   * Counters and sizes now.
   *
   * @return an immutable snapshot
   */
  public CacheStats stats() {
    Policy<CacheKey, NamedTensors> policy = cache.synchronous().policy();
    long weight = policy.eviction().flatMap(e -> {
      java.util.OptionalLong w = e.weightedSize();
      return w.isPresent() ? java.util.Optional.of(w.getAsLong()) : java.util.Optional.<Long>empty();
    }).orElse(0L);
    return new CacheStats(hits.sum(), misses.sum(), bypassed.sum(), loadSuccesses.sum(), loadFailures.sum(),
        Duration.ofNanos(loadNanos.sum()), evictions.sum(), cache.synchronous().estimatedSize(), weight,
        tier == null ? RedisTierStats.NONE : tier.stats());
  }

  /**
   * Drops every in-process entry (Redis entries stay until their TTL). Loads in flight complete for
   * their callers.
   *
   * @throws ModelClosedException if this cache is closed
   */
  public void invalidateAll() {
    requireOpen();
    cache.synchronous().invalidateAll();
  }

  /** Drops the entries, closes the Redis connection and removes the meters; idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    cache.synchronous().invalidateAll();
    metrics.close();
    if (tier != null) {
      tier.close();
    }
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new ModelClosedException("CachedPredictor of model " + lastId + " is closed");
    }
  }

  /** Recomputes an entry for refreshAfterWrite, on the refresh executor, from the key's canonical inputs. */
  private final class Refresher implements AsyncCacheLoader<CacheKey, NamedTensors> {
    @Override
    public CompletableFuture<? extends @Nullable NamedTensors> asyncLoad(CacheKey key, Executor executor) {
      return CompletableFuture.supplyAsync(() -> recompute(key), Objects.requireNonNull(refreshExecutor));
    }

    @Override
    public CompletableFuture<? extends @Nullable NamedTensors> asyncReload(CacheKey key, NamedTensors oldValue,
        Executor executor) {
      return asyncLoad(key, executor);
    }

    private @Nullable NamedTensors recompute(CacheKey key) {
      if (closed.get() || !key.model.equals(delegate().modelId())) {
        return null; // drops the entry: another version's inputs are not refreshed
      }
      NamedTensors value = delegate().predict(schema.decode(key.words()), keptOutputs);
      SecondTier t = tier;
      if (t != null) {
        writeTier(t, key, ValueCodec.digest(key.model, key.words()), value);
      }
      return value;
    }
  }

  /**
   * Builds a {@link CachedPredictor}. Every option may be set once; a second call or a conflicting option
   * throws {@link IllegalStateException}, a bad value {@link IllegalArgumentException} naming the option.
   * The checks and defaults live in the package's config record; this is its public face. Not thread-safe.
   */
  public static final class Builder {
    private CacheConfig config;

    private Builder(Predictor delegate) {
      this.config = CacheConfig.defaults(delegate);
    }

    /**
     * The most entries held; beyond, Caffeine evicts (W-TinyLFU). The default, 10,000, applies unless
     * {@link #maximumWeight} is set.
     *
     * @param entries > 0
     * @return this builder
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if set already, or if maximumWeight is set
     */
    public Builder maximumSize(long entries) {
      config = config.withMaximumSize(entries);
      return this;
    }

    /**
     * The most bytes held, estimated per entry as its output bytes, its key material and a fixed overhead per
     * tensor. Off by default.
     *
     * @param bytes > 0
     * @return this builder
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if set already, or if maximumSize is set
     */
    public Builder maximumWeight(long bytes) {
      config = config.withMaximumWeight(bytes);
      return this;
    }

    /**
     * Entries are not served once this old (time from the ticker). Off by default: entries live until
     * evicted, which is safe because the model version is part of the key.
     *
     * @param ttl 1 ns to 365 days
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already
     */
    public Builder expireAfterWrite(Duration ttl) {
      config = config.withExpireAfterWrite(ttl);
      return this;
    }

    /**
     * An entry read when older than this is recomputed in the background on the executor, while the old
     * value keeps being served; a failed refresh keeps the old value. The recomputation runs the delegate on
     * the entry's canonical inputs (for a rounding {@link KeyPolicy}, the rounded values). Off by default;
     * must be shorter than {@link #expireAfterWrite} if both are set.
     *
     * @param after 1 ns to 365 days
     * @param executor where refreshes run (they call the model: not the common pool)
     * @return this builder
     * @throws IllegalArgumentException if out of range or the executor is null
     * @throws IllegalStateException if set already
     */
    public Builder refreshAfterWrite(Duration after, Executor executor) {
      config = config.withRefreshAfterWrite(after, executor);
      return this;
    }

    /**
     * Keep only these outputs in entries (saves memory when callers use a few of many outputs). A request
     * for an output not kept, or for all outputs when not all are kept, bypasses the cache. Default: all.
     *
     * @param outputNames outputs of the signature, at least one, no repeats
     * @return this builder
     * @throws IllegalArgumentException if empty, repeated or not an output of the model
     * @throws IllegalStateException if set already
     */
    public Builder keepOutputs(List<String> outputNames) {
      config = config.withKeepOutputs(outputNames);
      return this;
    }

    /**
     * How one input enters the key. Default {@link KeyPolicy#exact()} for every input.
     *
     * @param inputName an input of the signature
     * @param policy the policy; rounding only on FLOAT32 and FLOAT64 inputs
     * @return this builder
     * @throws IllegalArgumentException if the input does not exist, the policy is null, or it rounds an
     *     input of another dtype
     * @throws IllegalStateException if a policy was already set for this input
     */
    public Builder keyPolicy(String inputName, KeyPolicy policy) {
      config = config.withKeyPolicy(inputName, policy);
      return this;
    }

    /**
     * Requests whose inputs hold more bytes than this bypass the cache (hashing them would cost more than it
     * saves, and they rarely repeat). Default 1 MiB.
     *
     * @param bytes >= 0
     * @return this builder
     * @throws IllegalArgumentException if negative
     * @throws IllegalStateException if set already
     */
    public Builder maxInputBytes(long bytes) {
      config = config.withMaxInputBytes(bytes);
      return this;
    }

    /**
     * A second tier in Redis, read on in-process misses and written after model calls. Off by default.
     *
     * @param tier the tier settings
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if set already
     */
    public Builder redisTier(RedisTier tier) {
      config = config.withRedisTier(tier);
      return this;
    }

    /**
     * Registers the cache's meters (see the package documentation). Off by default.
     *
     * @param registry the registry
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if set already
     */
    public Builder meterRegistry(MeterRegistry registry) {
      config = config.withMeterRegistry(registry);
      return this;
    }

    /**
     * The clock of expiry, refresh and load times. Default {@link Ticker#system()}.
     *
     * @param ticker the ticker
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if set already
     */
    public Builder ticker(Ticker ticker) {
      config = config.withTicker(ticker);
      return this;
    }

    /** Tests only: ANDed into both hash halves; 0 makes every key collide. */
    Builder hashMaskForTesting(long mask) {
      config = config.withHashMask(mask);
      return this;
    }

    /**
     * Builds the cache.
     *
     * @return the cache, ready
     * @throws IllegalStateException if refreshAfterWrite is not shorter than expireAfterWrite
     */
    public CachedPredictor build() {
      return new CachedPredictor(config.validated());
    }
  }
}
