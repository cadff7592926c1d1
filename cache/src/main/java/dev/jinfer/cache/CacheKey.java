package dev.jinfer.cache;

import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The key of one cache entry: the model id (name and version), a 128-bit hash of the canonical input
 * words, and either the words themselves (a stored key) or the caller's tensors (a probe, which is hashed
 * but not copied). Equality compares id, hash and then every canonical word, so a hash collision never
 * makes two different requests equal.
 *
 * <p>Immutable and thread-safe, provided the probe's tensors are (they are immutable).
 */
final class CacheKey {
  private final KeySchema schema;
  final ModelId model;
  final long h1;
  final long h2;
  private final @Nullable NamedTensors probe;
  private final long @Nullable [] words;

  CacheKey(KeySchema schema, ModelId model, long h1, long h2, @Nullable NamedTensors probe, long @Nullable [] words) {
    this.schema = schema;
    this.model = model;
    this.h1 = h1;
    this.h2 = h2;
    this.probe = probe;
    this.words = words;
  }

  /** This key with its canonical words copied out of the probe's tensors: what the cache stores. */
  CacheKey stored() {
    return words != null ? this : new CacheKey(schema, model, h1, h2, null, schema.encode(requireProbe()));
  }

  /** The canonical words (computed for a probe). */
  long[] words() {
    return words != null ? words : schema.encode(requireProbe());
  }

  /** Bytes this key holds on the heap, for the weigher. */
  long retainedBytes() {
    return 64L + (words == null ? 0 : 16L + 8L * words.length);
  }

  private NamedTensors requireProbe() {
    if (probe == null) {
      throw new AssertionError("a key holds either words or a probe");
    }
    return probe;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CacheKey)) {
      return false;
    }
    CacheKey k = (CacheKey) o;
    if (h1 != k.h1 || h2 != k.h2 || !model.equals(k.model)) {
      return false;
    }
    if (words != null && k.words != null) {
      return Arrays.equals(words, k.words);
    }
    if (words != null) {
      return schema.matches(k.requireProbe(), words);
    }
    return schema.matches(requireProbe(), k.words());
  }

  @Override
  public int hashCode() {
    return (int) (h1 ^ (h1 >>> 32));
  }

  /** Formats as {@code fraud:1#<32 hex digits>}. */
  @Override
  public String toString() {
    return model + "#" + hex();
  }

  String hex() {
    return String.format("%016x%016x", h1, h2);
  }
}
