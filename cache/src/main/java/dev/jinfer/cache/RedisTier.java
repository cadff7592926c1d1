package dev.jinfer.cache;

import dev.jinfer.ModelId;
import dev.jinfer.Ticker;
import dev.jinfer.breaker.CircuitBreaker;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The settings of a {@link CachedPredictor}'s optional second tier in Redis, shared by every process that
 * serves the same model. Pass it to {@link CachedPredictor.Builder#redisTier}.
 *
 * <pre>{@code
 * RedisClient client = RedisClient.create();                 // yours: share it, close it yourself
 * client.setOptions(ClientOptions.builder()
 *     .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
 * RedisTier tier = RedisTier.newBuilder(client, RedisURI.create("redis://127.0.0.1:6379"))
 *     .timeout(Duration.ofMillis(25))      // slower than this: the tier counts as a miss (the default)
 *     .ttl(Duration.ofHours(1))
 *     .build();
 * }</pre>
 *
 * <h2>What the tier does</h2>
 * On an in-process miss the cache reads the Redis key {@code <prefix><model>:<version>:<128-bit hash>},
 * waiting at most {@link Builder#timeout}; on a Redis miss it runs the model and writes the outputs back
 * with {@code SET ... PX ttl} without waiting. Values are a versioned binary encoding of the outputs
 * (magic, format version, per tensor name, dtype, shape and bytes) that carries the SHA-256 of the full
 * key (model, version, every canonical input word) and ends with a CRC32C: corrupted bytes are detected,
 * counted and deleted, and an entry written for other inputs with the same hash is a miss, never a hit.
 *
 * <h2>Failures never reach the caller</h2>
 * A read that times out, errs or finds corrupt bytes is a miss; a write that fails is dropped. A
 * {@link CircuitBreaker} watches the reads and writes: when Redis keeps failing or timing out, it opens and
 * the cache stops calling Redis altogether (no wait at all) until a trial call succeeds, so a slow or dead
 * Redis costs each request at most one timeout, and only until the breaker opens. At most
 * {@link Builder#maxPendingWrites} writes are in flight; beyond, writes are skipped.
 *
 * <h2>Connection</h2>
 * The cache opens one connection (binary codec) with {@link RedisClient#connectAsync} on the first read,
 * so that building a cache never waits for or fails on Redis, and closes it on close; the client stays
 * yours. Keep the client's auto-reconnect on (the default) so that a restarted Redis is found again;
 * {@code DisconnectedBehavior.REJECT_COMMANDS} makes commands fail at once while it is down instead of
 * being buffered until the timeout. Lettuce is an optional dependency of jinfer-cache: add
 * {@code io.lettuce:lettuce-core} to use this class.
 *
 * <p>Immutable and thread-safe; one instance may configure several caches (each opens its own connection).
 */
public final class RedisTier {
  static final int DEFAULT_BREAKER_WINDOW = 100;
  static final int DEFAULT_BREAKER_MINIMUM_CALLS = 50;

  private final RedisClient client;
  private final RedisURI uri;
  private final Duration timeout;
  private final Duration ttl;
  private final String keyPrefix;
  private final @Nullable CircuitBreaker breaker;
  private final int maxPendingWrites;

  private RedisTier(Builder b) {
    this.client = b.client;
    this.uri = b.uri;
    this.timeout = b.timeout == null ? Builder.DEFAULT_TIMEOUT : b.timeout;
    this.ttl = b.ttl == null ? Builder.DEFAULT_TTL : b.ttl;
    this.keyPrefix = b.keyPrefix == null ? Builder.DEFAULT_PREFIX : b.keyPrefix;
    this.breaker = b.breaker;
    this.maxPendingWrites = b.maxPendingWrites == null ? Builder.DEFAULT_MAX_PENDING_WRITES : b.maxPendingWrites;
  }

  /**
   * A builder for a tier on a Redis server.
   *
   * @param client the Lettuce client; the cache uses it to connect and never closes it
   * @param uri the server
   * @return a new builder
   * @throws NullPointerException if an argument is null
   */
  public static Builder newBuilder(RedisClient client, RedisURI uri) {
    return new Builder(client, uri);
  }

  /**
   * How long a read may take before it counts as a miss.
   *
   * @return the timeout
   */
  public Duration timeout() {
    return timeout;
  }

  /**
   * How long Redis keeps an entry.
   *
   * @return the time to live
   */
  public Duration ttl() {
    return ttl;
  }

  /**
   * The prefix of every Redis key this tier writes.
   *
   * @return the prefix
   */
  public String keyPrefix() {
    return keyPrefix;
  }

  /** Opens the runtime part for one cache: a breaker (unless given) and, lazily, a connection. */
  SecondTier open(ModelId model, Ticker ticker) {
    CircuitBreaker b = breaker != null ? breaker : defaultBreaker(model, ticker, timeout);
    return new RedisStore(client, uri, timeout, ttl, keyPrefix, b, maxPendingWrites, ticker);
  }

  /**
   * The tier's default breaker: opens when at least half of the last 100 calls (50 at least) failed or
   * timed out, or all of them were slower than the timeout; 5 s open, then 5 trial calls. The window is
   * wide so that a burst of slow calls on a CPU-saturated host (where a read waits for the I/O thread and
   * then the caller to be scheduled) cannot open it; only a Redis that is really down or slow can.
   */
  static CircuitBreaker defaultBreaker(ModelId model, Ticker ticker, Duration timeout) {
    return CircuitBreaker.newBuilder(new ModelId(model.name() + "-redis-tier", model.version()))
        .countBasedWindow(DEFAULT_BREAKER_WINDOW)
        .minimumNumberOfCalls(DEFAULT_BREAKER_MINIMUM_CALLS)
        .failureRateThreshold(50)
        .slowCallDurationThreshold(timeout)
        .waitDurationInOpenState(Duration.ofSeconds(5))
        .permittedCallsInHalfOpenState(5)
        .failurePredicate(t -> true)
        .ticker(ticker)
        .build();
  }

  /**
   * Builds a {@link RedisTier}. Every option may be set once; a second call throws
   * {@link IllegalStateException}, a bad value {@link IllegalArgumentException} naming the option. Not
   * thread-safe.
   */
  public static final class Builder {
    static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(25);
    static final Duration DEFAULT_TTL = Duration.ofHours(1);
    static final String DEFAULT_PREFIX = "jinfer:cache:";
    static final int DEFAULT_MAX_PENDING_WRITES = 1_000;

    private final RedisClient client;
    private final RedisURI uri;
    private @Nullable Duration timeout;
    private @Nullable Duration ttl;
    private @Nullable String keyPrefix;
    private @Nullable CircuitBreaker breaker;
    private @Nullable Integer maxPendingWrites;

    private Builder(RedisClient client, RedisURI uri) {
      this.client = Objects.requireNonNull(client, "client");
      this.uri = Objects.requireNonNull(uri, "uri");
    }

    /**
     * How long a read (including connecting) may take before it counts as a miss, and a write before it
     * counts as failed. Default 25 ms: a read needs Lettuce's I/O thread and then the caller to be
     * scheduled, and on a CPU-saturated host each may wait a scheduler slice (Linux CFS: a few ms each), so
     * a budget of a few ms times out on a healthy Redis (5 ms, the old default, turned the tier off in its
     * first second with 4 busy threads on 2 cores). A timed-out read costs the request this much on top of
     * the model call, and only until the breaker opens; lower it on an idle host with a fast model.
     *
     * @param timeout 100 µs to 10 s
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already
     */
    public Builder timeout(Duration timeout) {
      once(this.timeout, "timeout");
      requireRange("timeout", timeout, Duration.ofNanos(100_000), Duration.ofSeconds(10));
      this.timeout = timeout;
      return this;
    }

    /**
     * How long Redis keeps an entry ({@code SET ... PX}). Default 1 hour.
     *
     * @param ttl 1 ms to 365 days
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already
     */
    public Builder ttl(Duration ttl) {
      once(this.ttl, "ttl");
      requireRange("ttl", ttl, Duration.ofMillis(1), Duration.ofDays(365));
      this.ttl = ttl;
      return this;
    }

    /**
     * The prefix of every key. Default {@code jinfer:cache:}.
     *
     * @param prefix any string, may be empty
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if set already
     */
    public Builder keyPrefix(String prefix) {
      once(this.keyPrefix, "keyPrefix");
      if (prefix == null) {
        throw new IllegalArgumentException("keyPrefix must not be null");
      }
      this.keyPrefix = prefix;
      return this;
    }

    /**
     * The breaker that guards Redis. Default: one per cache over the last 20 calls (at least 5), opening at
     * a 50% rate of errors or calls slower than the timeout, staying open 5 s, then letting 2 trial calls
     * through; every error counts. A breaker given here may be shared by several caches.
     *
     * @param breaker the breaker
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if set already
     */
    public Builder circuitBreaker(CircuitBreaker breaker) {
      once(this.breaker, "circuitBreaker");
      if (breaker == null) {
        throw new IllegalArgumentException("circuitBreaker must not be null");
      }
      this.breaker = breaker;
      return this;
    }

    /**
     * The most writes in flight at once; beyond, writes are skipped. Default 1,000.
     *
     * @param writes 1 to 1,000,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if set already
     */
    public Builder maxPendingWrites(int writes) {
      once(this.maxPendingWrites, "maxPendingWrites");
      if (writes < 1 || writes > 1_000_000) {
        throw new IllegalArgumentException("maxPendingWrites must be in [1, 1000000] but was " + writes);
      }
      this.maxPendingWrites = writes;
      return this;
    }

    /**
     * Builds the settings.
     *
     * @return the tier settings, immutable
     */
    public RedisTier build() {
      return new RedisTier(this);
    }

    private static void once(@Nullable Object current, String option) {
      if (current != null) {
        throw new IllegalStateException(option + " was already set to " + current);
      }
    }

    private static void requireRange(String option, @Nullable Duration d, Duration min, Duration max) {
      if (d == null) {
        throw new IllegalArgumentException(option + " must not be null");
      }
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        throw new IllegalArgumentException(option + " must be in [" + min + ", " + max + "] but was " + d);
      }
    }
  }
}
