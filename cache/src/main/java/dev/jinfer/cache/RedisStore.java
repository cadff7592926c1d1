package dev.jinfer.cache;

import dev.jinfer.NamedTensors;
import dev.jinfer.Ticker;
import dev.jinfer.breaker.CircuitBreaker;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis tier at run time: one lazily opened binary connection, reads bounded by the timeout, writes
 * fire-and-forget, everything behind the breaker. No method throws for a Redis failure. Thread-safe.
 */
final class RedisStore implements SecondTier {
  private static final Logger LOG = LoggerFactory.getLogger(RedisStore.class);

  private final RedisClient client;
  private final RedisURI uri;
  private final long timeoutNanos;
  private final long ttlMillis;
  private final String keyPrefix;
  private final CircuitBreaker breaker;
  private final int maxPendingWrites;
  private final Ticker ticker;
  private final AtomicReference<@Nullable CompletableFuture<StatefulRedisConnection<byte[], byte[]>>> connection =
      new AtomicReference<>();
  private final AtomicInteger pendingWrites = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean corruptLogged = new AtomicBoolean();

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder corrupt = new LongAdder();
  private final LongAdder timeouts = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private final LongAdder writes = new LongAdder();
  private final LongAdder writeFailures = new LongAdder();
  private final LongAdder writesSkipped = new LongAdder();

  RedisStore(RedisClient client, RedisURI uri, Duration timeout, Duration ttl, String keyPrefix, CircuitBreaker breaker,
      int maxPendingWrites, Ticker ticker) {
    this.client = client;
    this.uri = uri;
    this.timeoutNanos = timeout.toNanos();
    this.ttlMillis = ttl.toMillis();
    this.keyPrefix = keyPrefix;
    this.breaker = breaker;
    this.maxPendingWrites = maxPendingWrites;
    this.ticker = ticker;
    connection(); // start connecting now (asynchronously) so that the first miss rarely waits for it
  }

  byte[] redisKey(CacheKey key) {
    return (keyPrefix + key.model.name() + ':' + key.model.version() + ':' + key.hex()).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public @Nullable NamedTensors get(CacheKey key, byte[] digest) {
    if (closed.get() || !breaker.tryAcquirePermission()) {
      skipped.increment();
      return null;
    }
    long start = ticker.read();
    long deadline = System.nanoTime() + timeoutNanos;
    @Nullable RedisFuture<byte[]> pending = null;
    byte[] value;
    try {
      StatefulRedisConnection<byte[], byte[]> c = connection().get(timeoutNanos, TimeUnit.NANOSECONDS);
      pending = c.async().get(redisKey(key));
      value = pending.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      if (pending != null) {
        pending.cancel(false);
      }
      timeouts.increment();
      breaker.onError(ticker.read() - start, e);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      breaker.releasePermission();
      errors.increment();
      return null;
    } catch (ExecutionException | RuntimeException e) {
      errors.increment();
      breaker.onError(ticker.read() - start, e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e);
      return null;
    }
    breaker.onSuccess(ticker.read() - start);
    if (value == null) {
      misses.increment();
      return null;
    }
    try {
      NamedTensors outputs = ValueCodec.decode(value, digest);
      if (outputs == null) {
        misses.increment();
        return null;
      }
      hits.increment();
      return outputs;
    } catch (ValueCodec.Corrupt e) {
      corrupt.increment();
      if (corruptLogged.compareAndSet(false, true)) {
        LOG.warn("cache of model {}: ignoring a corrupt Redis entry ({}); further ones are only counted", key.model,
            e.getMessage());
      }
      delete(key);
      return null;
    }
  }

  @Override
  public void put(CacheKey key, byte[] digest, NamedTensors outputs) {
    StatefulRedisConnection<byte[], byte[]> c = connectedOrNull();
    if (closed.get() || c == null || pendingWrites.get() >= maxPendingWrites) {
      writesSkipped.increment();
      return;
    }
    if (!breaker.tryAcquirePermission()) {
      writesSkipped.increment();
      return;
    }
    long start = ticker.read();
    pendingWrites.incrementAndGet();
    try {
      byte[] value = ValueCodec.encode(digest, outputs);
      c.async().set(redisKey(key), value, SetArgs.Builder.px(ttlMillis)).toCompletableFuture()
          .orTimeout(timeoutNanos, TimeUnit.NANOSECONDS)
          .whenComplete((ok, e) -> {
            pendingWrites.decrementAndGet();
            if (e == null) {
              writes.increment();
              breaker.onSuccess(ticker.read() - start);
            } else {
              writeFailures.increment();
              breaker.onError(ticker.read() - start, e);
            }
          });
    } catch (RuntimeException e) {
      pendingWrites.decrementAndGet();
      writeFailures.increment();
      breaker.onError(ticker.read() - start, e);
    }
  }

  private void delete(CacheKey key) {
    StatefulRedisConnection<byte[], byte[]> c = connectedOrNull();
    if (c != null) {
      try {
        c.async().del(redisKey(key));
      } catch (RuntimeException e) {
        LOG.debug("could not delete a corrupt entry", e);
      }
    }
  }

  /** The connection if it is established, without waiting. */
  private @Nullable StatefulRedisConnection<byte[], byte[]> connectedOrNull() {
    CompletableFuture<StatefulRedisConnection<byte[], byte[]>> f = connection.get();
    return f != null && f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
  }

  /** The connection, opening it if there is none or the last attempt failed. */
  private CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connection() {
    while (true) {
      CompletableFuture<StatefulRedisConnection<byte[], byte[]>> current = connection.get();
      if (current != null && !current.isCompletedExceptionally()) {
        return current;
      }
      CompletableFuture<StatefulRedisConnection<byte[], byte[]>> next = new CompletableFuture<>();
      if (connection.compareAndSet(current, next)) {
        client.connectAsync(ByteArrayCodec.INSTANCE, uri).whenComplete((c, e) -> {
          if (e != null) {
            next.completeExceptionally(e);
          } else if (closed.get()) {
            c.closeAsync();
            next.completeExceptionally(new IllegalStateException("closed"));
          } else {
            next.complete(c);
          }
        });
        return next;
      }
    }
  }

  @Override
  public RedisTierStats stats() {
    CircuitBreaker.State s = breaker.state();
    return new RedisTierStats(hits.sum(), misses.sum(), corrupt.sum(), timeouts.sum(), errors.sum(), skipped.sum(),
        writes.sum(), writeFailures.sum(), writesSkipped.sum(), s == CircuitBreaker.State.OPEN || s == CircuitBreaker.State.FORCED_OPEN);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<StatefulRedisConnection<byte[], byte[]>> f = connection.get();
    if (f != null) {
      f.whenComplete((c, e) -> {
        if (c != null) {
          c.closeAsync();
        }
      });
    }
  }
}
