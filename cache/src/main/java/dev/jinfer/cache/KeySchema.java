package dev.jinfer.cache;

import dev.jinfer.DType;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Turns a request's inputs into cache key material: one canonical stream of 64-bit words that is hashed
 * (128 bits, for lookup), stored (as the exact key of an entry) and compared (so that a hit is exact).
 *
 * <p>The stream takes the model's inputs in signature order; for each: a header word (dtype code, rank,
 * name length), the UTF-8 name packed 8 bytes a word, one word per dimension, then the data packed 8 bytes a
 * word in little-endian order, zero-padded to a word. Float data is canonicalized on the way: every NaN
 * becomes the canonical quiet NaN and -0.0 becomes 0.0, after the input's {@link KeyPolicy} rounding. STRING
 * data is one length word and the packed UTF-8 bytes per element. The stream is a prefix-free encoding of
 * (name, dtype, shape, canonical values) per input, so two requests have equal streams exactly when they
 * have equal canonical inputs.
 *
 * <p>Immutable and thread-safe.
 */
final class KeySchema {
  private static final int CANONICAL_NAN_F = 0x7fc00000;
  private static final long CANONICAL_NAN_D = 0x7ff8000000000000L;
  private static final short CANONICAL_NAN_H = 0x7e00;

  /** One input of the signature. */
  record Slot(String name, long[] nameWords, int nameLength, KeyPolicy policy) {}

  private final Slot[] slots;
  private final long hashMask;

  /**
   * @param names the model's inputs in signature order
   * @param policies policy by input name (absent: exact)
   * @param hashMask ANDed into both hash halves; all ones except in tests that force collisions
   */
  KeySchema(List<String> names, Map<String, KeyPolicy> policies, long hashMask) {
    this.slots = new Slot[names.size()];
    for (int i = 0; i < slots.length; i++) {
      String n = names.get(i);
      byte[] utf8 = n.getBytes(StandardCharsets.UTF_8);
      slots[i] = new Slot(n, pack(utf8), utf8.length, policies.getOrDefault(n, KeyPolicy.exact()));
    }
    this.hashMask = hashMask;
  }

  /** Whether the inputs are exactly the signature's input names (each once) and fit in the byte limit. */
  boolean accepts(NamedTensors inputs, long maxInputBytes) {
    if (inputs.size() != slots.length) {
      return false;
    }
    Map<String, Tensor> map = inputs.asMap();
    long bytes = 0;
    for (Slot s : slots) {
      Tensor t = map.get(s.name);
      if (t == null) {
        return false;
      }
      bytes += t.byteSize();
      if (bytes > maxInputBytes) {
        return false;
      }
    }
    return true;
  }

  /** A lookup key over the caller's tensors: hashed now, not copied. Inputs must pass {@link #accepts}. */
  CacheKey probe(ModelId model, NamedTensors inputs) {
    Hasher h = new Hasher();
    walk(inputs, h);
    return new CacheKey(this, model, h.h1() & hashMask, h.h2() & hashMask, inputs, null);
  }

  /** The canonical words of the inputs. */
  long[] encode(NamedTensors inputs) {
    Encoder e = new Encoder();
    walk(inputs, e);
    return e.words();
  }

  /** Whether the inputs' canonical words are exactly these. */
  boolean matches(NamedTensors inputs, long[] words) {
    Matcher m = new Matcher(words);
    return walk(inputs, m) && m.atEnd();
  }

  /**
   * Rebuilds tensors from canonical words: the canonical (possibly rounded) values, not necessarily the
   * caller's exact bits. Used to recompute an entry on refresh.
   */
  NamedTensors decode(long[] words) {
    NamedTensors.Builder b = NamedTensors.newBuilder();
    int at = 0;
    for (Slot s : slots) {
      long header = words[at++];
      DType dtype = DTypeCodes.dtype((int) (header & 0xff));
      int rank = (int) ((header >>> 8) & 0xff);
      at += s.nameWords.length;
      long[] dims = Arrays.copyOfRange(words, at, at + rank);
      at += rank;
      long count = 1;
      for (long d : dims) {
        count *= d;
      }
      if (dtype == DType.STRING) {
        String[] values = new String[(int) count];
        for (int i = 0; i < values.length; i++) {
          int len = (int) words[at++];
          int n = (len + 7) >>> 3;
          values[i] = new String(unpack(words, at, len), StandardCharsets.UTF_8);
          at += n;
        }
        b.put(s.name, Tensor.ofStrings(values, dims));
      } else {
        int len = (int) (count * dtype.byteSize());
        int n = (len + 7) >>> 3;
        ByteBuffer buf = ByteBuffer.allocateDirect(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
          buf.putLong(words[at + i]);
        }
        at += n;
        b.put(s.name, Tensor.fromBuffer(dtype, buf.clear().limit(len), dims));
      }
    }
    return b.build();
  }

  // ------------------------------------------------------------------ the word stream

  /** Receives the stream; returns false to stop it. */
  private interface WordSink {
    boolean word(long w);
  }

  private boolean walk(NamedTensors inputs, WordSink sink) {
    Map<String, Tensor> map = inputs.asMap();
    for (Slot s : slots) {
      Tensor t = map.get(s.name);
      DType dtype = t.dtype();
      int rank = t.shape().rank();
      if (!sink.word(DTypeCodes.code(dtype) | (long) rank << 8 | (long) s.nameLength << 32)) {
        return false;
      }
      for (long w : s.nameWords) {
        if (!sink.word(w)) {
          return false;
        }
      }
      for (int i = 0; i < rank; i++) {
        if (!sink.word(t.shape().dim(i))) {
          return false;
        }
      }
      if (!data(t, dtype, s.policy, sink)) {
        return false;
      }
    }
    return true;
  }

  private static boolean data(Tensor t, DType dtype, KeyPolicy policy, WordSink sink) {
    if (dtype == DType.STRING) {
      for (String v : t.toStringArray()) {
        byte[] utf8 = v.getBytes(StandardCharsets.UTF_8);
        if (!sink.word(utf8.length)) {
          return false;
        }
        for (long w : pack(utf8)) {
          if (!sink.word(w)) {
            return false;
          }
        }
      }
      return true;
    }
    ByteBuffer b = t.buffer();
    int n = b.limit();
    switch (dtype) {
      case FLOAT32:
        return policy.isExact() ? float32(b, n, sink) : float32Rounded(b, n, policy, sink);
      case FLOAT64:
        for (int i = 0; i < n; i += 8) {
          double v = b.getDouble(i);
          if (!policy.isExact()) {
            v = policy.round(v);
          }
          if (!sink.word(canonical(Double.doubleToRawLongBits(v)))) {
            return false;
          }
        }
        return true;
      case FLOAT16:
        return float16(b, n, sink);
      default:
        return raw(b, n, sink);
    }
  }

  private static boolean float32(ByteBuffer b, int n, WordSink sink) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
      long w = b.getLong(i);
      long lo = canonical((int) w) & 0xffffffffL;
      long hi = canonical((int) (w >>> 32));
      if (!sink.word(lo | hi << 32)) {
        return false;
      }
    }
    return i == n || sink.word(canonical(b.getInt(i)) & 0xffffffffL);
  }

  private static boolean float32Rounded(ByteBuffer b, int n, KeyPolicy policy, WordSink sink) {
    long acc = 0;
    for (int i = 0; i < n; i += 4) {
      float v = (float) policy.round(b.getFloat(i));
      long bits = canonical(Float.floatToRawIntBits(v)) & 0xffffffffL;
      if ((i & 4) == 0) {
        acc = bits;
      } else if (!sink.word(acc | bits << 32)) {
        return false;
      }
    }
    return (n & 4) == 0 || sink.word(acc);
  }

  private static boolean float16(ByteBuffer b, int n, WordSink sink) {
    long acc = 0;
    for (int i = 0; i < n; i += 2) {
      acc |= (canonical(b.getShort(i)) & 0xffffL) << ((i & 6) * 8);
      if ((i & 6) == 6) {
        if (!sink.word(acc)) {
          return false;
        }
        acc = 0;
      }
    }
    return (n & 7) == 0 || sink.word(acc);
  }

  private static boolean raw(ByteBuffer b, int n, WordSink sink) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
      if (!sink.word(b.getLong(i))) {
        return false;
      }
    }
    if (i == n) {
      return true;
    }
    long acc = 0;
    for (int k = 0; i < n; i++, k++) {
      acc |= (b.get(i) & 0xffL) << (k * 8);
    }
    return sink.word(acc);
  }

  static int canonical(int floatBits) {
    if ((floatBits & 0x7fffffff) > 0x7f800000) {
      return CANONICAL_NAN_F;
    }
    return floatBits == 0x80000000 ? 0 : floatBits;
  }

  static long canonical(long doubleBits) {
    if ((doubleBits & 0x7fffffffffffffffL) > 0x7ff0000000000000L) {
      return CANONICAL_NAN_D;
    }
    return doubleBits == 0x8000000000000000L ? 0 : doubleBits;
  }

  static short canonical(short halfBits) {
    if ((halfBits & 0x7fff) > 0x7c00) {
      return CANONICAL_NAN_H;
    }
    return halfBits == (short) 0x8000 ? 0 : halfBits;
  }

  static long[] pack(byte[] bytes) {
    long[] words = new long[(bytes.length + 7) >>> 3];
    for (int i = 0; i < bytes.length; i++) {
      words[i >>> 3] |= (bytes[i] & 0xffL) << ((i & 7) * 8);
    }
    return words;
  }

  private static byte[] unpack(long[] words, int from, int length) {
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) {
      out[i] = (byte) (words[from + (i >>> 3)] >>> ((i & 7) * 8));
    }
    return out;
  }

  // ------------------------------------------------------------------ sinks

  /**
   * A 128-bit hash of the word stream: the MurmurHash3 x64 128 block function over pairs of words, with the
   * word count in the finalization. Not cryptographic; equality is always checked on the words themselves.
   */
  private static final class Hasher implements WordSink {
    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;
    private long h1 = 0x9368e53c2f6af274L;
    private long h2 = 0x586dcd208f7cd3fdL;
    private long pending;
    private boolean hasPending;
    private long count;
    private boolean finished;

    @Override
    public boolean word(long w) {
      count++;
      if (hasPending) {
        mix(pending, w);
        hasPending = false;
      } else {
        pending = w;
        hasPending = true;
      }
      return true;
    }

    private void mix(long k1, long k2) {
      k1 *= C1;
      k1 = Long.rotateLeft(k1, 31);
      k1 *= C2;
      h1 ^= k1;
      h1 = Long.rotateLeft(h1, 27);
      h1 += h2;
      h1 = h1 * 5 + 0x52dce729;
      k2 *= C2;
      k2 = Long.rotateLeft(k2, 33);
      k2 *= C1;
      h2 ^= k2;
      h2 = Long.rotateLeft(h2, 31);
      h2 += h1;
      h2 = h2 * 5 + 0x38495ab5;
    }

    private void finish() {
      if (finished) {
        return;
      }
      finished = true;
      if (hasPending) {
        mix(pending, 0);
      }
      h1 ^= count;
      h2 ^= count;
      h1 += h2;
      h2 += h1;
      h1 = fmix(h1);
      h2 = fmix(h2);
      h1 += h2;
      h2 += h1;
    }

    long h1() {
      finish();
      return h1;
    }

    long h2() {
      finish();
      return h2;
    }

    private static long fmix(long k) {
      k ^= k >>> 33;
      k *= 0xff51afd7ed558ccdL;
      k ^= k >>> 33;
      k *= 0xc4ceb9fe1a85ec53L;
      k ^= k >>> 33;
      return k;
    }
  }

  private static final class Encoder implements WordSink {
    private long[] words = new long[32];
    private int size;

    @Override
    public boolean word(long w) {
      if (size == words.length) {
        words = Arrays.copyOf(words, words.length * 2);
      }
      words[size++] = w;
      return true;
    }

    long[] words() {
      return Arrays.copyOf(words, size);
    }
  }

  private static final class Matcher implements WordSink {
    private final long[] expected;
    private int at;

    Matcher(long[] expected) {
      this.expected = expected;
    }

    @Override
    public boolean word(long w) {
      return at < expected.length && expected[at++] == w;
    }

    boolean atEnd() {
      return at == expected.length;
    }
  }
}
