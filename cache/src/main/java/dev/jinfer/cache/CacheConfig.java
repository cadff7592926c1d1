package dev.jinfer.cache;

import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.Predictor;
import dev.jinfer.TensorSpec;
import dev.jinfer.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * The options of a {@link CachedPredictor}, their validation and their defaults; {@link CachedPredictor.Builder}
 * is the public shell over it. Each {@code with..} method checks one option (set once, in range, no conflict)
 * and returns a new config; {@link #validated()} checks what spans options. An option left unset is null and
 * its default is applied by the accessor of the same meaning ({@link #keptOutputs()},
 * {@link #effectiveMaximumSize()}, ...). Immutable.
 *
 * @param delegate the predictor whose results are cached; the caller keeps owning it
 * @param signature the delegate's signature when the builder was made
 * @param maximumSize most entries, or null
 * @param maximumWeight most bytes, or null
 * @param expireAfterWrite entry lifetime, or null
 * @param refreshAfterWrite age after which a read entry is recomputed, or null
 * @param refreshExecutor where refreshes run; set with refreshAfterWrite
 * @param keepOutputs outputs kept in entries, or null for all
 * @param policies key policy per input; inputs not named are exact
 * @param maxInputBytes input bytes beyond which requests bypass the cache, or null
 * @param redisTier second tier, or null
 * @param meterRegistry meters, or null
 * @param ticker clock, or null
 * @param hashMask tests only: ANDed into both hash halves
 */
record CacheConfig(
    Predictor delegate,
    ModelSignature signature,
    @Nullable Long maximumSize,
    @Nullable Long maximumWeight,
    @Nullable Duration expireAfterWrite,
    @Nullable Duration refreshAfterWrite,
    @Nullable Executor refreshExecutor,
    @Nullable List<String> keepOutputs,
    Map<String, KeyPolicy> policies,
    @Nullable Long maxInputBytes,
    @Nullable RedisTier redisTier,
    @Nullable MeterRegistry meterRegistry,
    @Nullable Ticker ticker,
    long hashMask) {
  static final long DEFAULT_MAXIMUM_SIZE = 10_000;
  static final long DEFAULT_MAX_INPUT_BYTES = 1 << 20;
  private static final Duration MAX_DURATION = Duration.ofDays(365);

  CacheConfig {
    policies = Map.copyOf(policies);
  }

  /** Every option unset. */
  static CacheConfig defaults(Predictor delegate) {
    Objects.requireNonNull(delegate, "delegate");
    return new CacheConfig(delegate, delegate.signature(), null, null, null, null, null, null, Map.of(), null, null,
        null, null, -1L);
  }

  CacheConfig withMaximumSize(long entries) {
    once(maximumSize, "maximumSize");
    if (maximumWeight != null) {
      throw new IllegalStateException("maximumSize conflicts with maximumWeight(" + maximumWeight + "): choose one");
    }
    if (entries <= 0) {
      throw new IllegalArgumentException("maximumSize must be > 0 but was " + entries);
    }
    return new CacheConfig(delegate, signature, entries, maximumWeight, expireAfterWrite, refreshAfterWrite,
        refreshExecutor, keepOutputs, policies, maxInputBytes, redisTier, meterRegistry, ticker, hashMask);
  }

  CacheConfig withMaximumWeight(long bytes) {
    once(maximumWeight, "maximumWeight");
    if (maximumSize != null) {
      throw new IllegalStateException("maximumWeight conflicts with maximumSize(" + maximumSize + "): choose one");
    }
    if (bytes <= 0) {
      throw new IllegalArgumentException("maximumWeight must be > 0 but was " + bytes);
    }
    return new CacheConfig(delegate, signature, maximumSize, bytes, expireAfterWrite, refreshAfterWrite,
        refreshExecutor, keepOutputs, policies, maxInputBytes, redisTier, meterRegistry, ticker, hashMask);
  }

  CacheConfig withExpireAfterWrite(@Nullable Duration ttl) {
    once(expireAfterWrite, "expireAfterWrite");
    requireDuration("expireAfterWrite", ttl);
    return new CacheConfig(delegate, signature, maximumSize, maximumWeight, ttl, refreshAfterWrite,
        refreshExecutor, keepOutputs, policies, maxInputBytes, redisTier, meterRegistry, ticker, hashMask);
  }

  CacheConfig withRefreshAfterWrite(@Nullable Duration after, @Nullable Executor executor) {
    once(refreshAfterWrite, "refreshAfterWrite");
    requireDuration("refreshAfterWrite", after);
    if (executor == null) {
      throw new IllegalArgumentException("refreshAfterWrite executor must not be null");
    }
    return new CacheConfig(delegate, signature, maximumSize, maximumWeight, expireAfterWrite, after,
        executor, keepOutputs, policies, maxInputBytes, redisTier, meterRegistry, ticker, hashMask);
  }

  CacheConfig withKeepOutputs(@Nullable List<String> outputNames) {
    once(keepOutputs, "keepOutputs");
    if (outputNames == null || outputNames.isEmpty()) {
      throw new IllegalArgumentException("keepOutputs must name at least one output but was " + outputNames);
    }
    Set<String> seen = new LinkedHashSet<>();
    for (String n : outputNames) {
      if (n == null || signature.output(n).isEmpty()) {
        throw new IllegalArgumentException("keepOutputs: '" + n + "' is not an output of model " + delegate.modelId()
            + "; outputs: " + signature.outputNames());
      }
      if (!seen.add(n)) {
        throw new IllegalArgumentException("keepOutputs: '" + n + "' is named twice");
      }
    }
    return new CacheConfig(delegate, signature, maximumSize, maximumWeight, expireAfterWrite, refreshAfterWrite,
        refreshExecutor, List.copyOf(outputNames), policies, maxInputBytes, redisTier, meterRegistry, ticker,
        hashMask);
  }

  CacheConfig withKeyPolicy(@Nullable String inputName, @Nullable KeyPolicy policy) {
    if (inputName == null || signature.input(inputName).isEmpty()) {
      throw new IllegalArgumentException("keyPolicy: '" + inputName + "' is not an input of model "
          + delegate.modelId() + "; inputs: " + signature.inputs().stream().map(TensorSpec::name).toList());
    }
    if (policy == null) {
      throw new IllegalArgumentException("keyPolicy for input '" + inputName + "' must not be null");
    }
    if (policies.containsKey(inputName)) {
      throw new IllegalStateException("keyPolicy for input '" + inputName + "' was already set to "
          + policies.get(inputName));
    }
    DType dtype = signature.input(inputName).get().dtype();
    if (!policy.isExact() && dtype != DType.FLOAT32 && dtype != DType.FLOAT64) {
      throw new IllegalArgumentException("keyPolicy " + policy + " for input '" + inputName
          + "' needs a FLOAT32 or FLOAT64 input but it is " + dtype);
    }
    Map<String, KeyPolicy> more = new LinkedHashMap<>(policies);
    more.put(inputName, policy);
    return new CacheConfig(delegate, signature, maximumSize, maximumWeight, expireAfterWrite, refreshAfterWrite,
        refreshExecutor, keepOutputs, more, maxInputBytes, redisTier, meterRegistry, ticker, hashMask);
  }

  CacheConfig withMaxInputBytes(long bytes) {
    once(maxInputBytes, "maxInputBytes");
    if (bytes < 0) {
      throw new IllegalArgumentException("maxInputBytes must be >= 0 but was " + bytes);
    }
    return new CacheConfig(delegate, signature, maximumSize, maximumWeight, expireAfterWrite, refreshAfterWrite,
        refreshExecutor, keepOutputs, policies, bytes, redisTier, meterRegistry, ticker, hashMask);
  }

  CacheConfig withRedisTier(@Nullable RedisTier tier) {
    once(redisTier, "redisTier");
    if (tier == null) {
      throw new IllegalArgumentException("redisTier must not be null");
    }
    return new CacheConfig(delegate, signature, maximumSize, maximumWeight, expireAfterWrite, refreshAfterWrite,
        refreshExecutor, keepOutputs, policies, maxInputBytes, tier, meterRegistry, ticker, hashMask);
  }

  CacheConfig withMeterRegistry(@Nullable MeterRegistry registry) {
    once(meterRegistry, "meterRegistry");
    if (registry == null) {
      throw new IllegalArgumentException("meterRegistry must not be null");
    }
    return new CacheConfig(delegate, signature, maximumSize, maximumWeight, expireAfterWrite, refreshAfterWrite,
        refreshExecutor, keepOutputs, policies, maxInputBytes, redisTier, registry, ticker, hashMask);
  }

  CacheConfig withTicker(@Nullable Ticker t) {
    once(ticker, "ticker");
    if (t == null) {
      throw new IllegalArgumentException("ticker must not be null");
    }
    return new CacheConfig(delegate, signature, maximumSize, maximumWeight, expireAfterWrite, refreshAfterWrite,
        refreshExecutor, keepOutputs, policies, maxInputBytes, redisTier, meterRegistry, t, hashMask);
  }

  CacheConfig withHashMask(long mask) {
    return new CacheConfig(delegate, signature, maximumSize, maximumWeight, expireAfterWrite, refreshAfterWrite,
        refreshExecutor, keepOutputs, policies, maxInputBytes, redisTier, meterRegistry, ticker, mask);
  }

  /**
   * Checks what spans options.
   *
   * @return this config
   * @throws IllegalStateException if refreshAfterWrite is not shorter than expireAfterWrite
   */
  CacheConfig validated() {
    if (refreshAfterWrite != null && expireAfterWrite != null && refreshAfterWrite.compareTo(expireAfterWrite) >= 0) {
      throw new IllegalStateException("refreshAfterWrite(" + refreshAfterWrite + ") must be shorter than expireAfterWrite("
          + expireAfterWrite + ")");
    }
    return this;
  }

  /** The outputs entries hold: those set, else all of the signature's. */
  List<String> keptOutputs() {
    return keepOutputs == null ? signature.outputNames() : keepOutputs;
  }

  /** The entry bound when no weight bound is set. */
  long effectiveMaximumSize() {
    return maximumSize == null ? DEFAULT_MAXIMUM_SIZE : maximumSize;
  }

  long effectiveMaxInputBytes() {
    return maxInputBytes == null ? DEFAULT_MAX_INPUT_BYTES : maxInputBytes;
  }

  Ticker effectiveTicker() {
    return ticker == null ? Ticker.system() : ticker;
  }

  private static void once(@Nullable Object current, String option) {
    if (current != null) {
      throw new IllegalStateException(option + " was already set to " + current);
    }
  }

  private static void requireDuration(String option, @Nullable Duration d) {
    if (d == null) {
      throw new IllegalArgumentException(option + " must not be null");
    }
    if (d.compareTo(Duration.ofNanos(1)) < 0 || d.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException(option + " must be in [PT0.000000001S, " + MAX_DURATION + "] but was " + d);
    }
  }
}
