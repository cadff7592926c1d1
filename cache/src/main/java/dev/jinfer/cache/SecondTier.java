package dev.jinfer.cache;

import dev.jinfer.NamedTensors;
import org.jspecify.annotations.Nullable;

/**
 * A shared cache tier behind the in-process one. Its failures never reach the caller: a read that fails is a
 * miss, a write that fails is dropped. Implementations are thread-safe; keeping this interface free of
 * Lettuce types lets the cache run without Lettuce on the classpath.
 */
interface SecondTier extends AutoCloseable {
  /**
   * Reads an entry.
   *
   * @param key the stored key
   * @param digest the SHA-256 of the key ({@link ValueCodec#digest})
   * @return the outputs, or null on a miss of any kind
   */
  @Nullable NamedTensors get(CacheKey key, byte[] digest);

  /** Writes an entry without waiting for it. */
  void put(CacheKey key, byte[] digest, NamedTensors outputs);

  RedisTierStats stats();

  /** Releases what the tier owns; idempotent. */
  @Override
  void close();
}
