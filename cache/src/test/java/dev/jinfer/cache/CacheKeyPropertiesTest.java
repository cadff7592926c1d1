package dev.jinfer.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.CallOptions;
import dev.jinfer.DType;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Property-based fuzzing (jqwik) of the cache key: random dtypes, shapes and bytes, with NaN payloads and
 * -0.0 mixed in. Equal inputs (the same values in another buffer) give equal keys and equal hashes; inputs
 * that differ in dtype, shape or canonical value (NaN payloads and -0.0 are the documented canonical
 * equalities) give keys that are not equal; a cache whose hashes all collide still answers every input
 * with that input's own answer. Building a key never throws.
 */
class CacheKeyPropertiesTest {
  private static final ModelId MODEL = new ModelId("fuzz", "1");
  private static final KeySchema SCHEMA = new KeySchema(List.of("x"), Map.of(), -1L);
  private static final int[] FLOAT_SPECIALS = {0x7fc00000, 0x7f800001, 0xffc00001, 0x80000000, 0, 0x7f800000};
  private static final long[] DOUBLE_SPECIALS = {0x7ff8000000000000L, 0x7ff0000000000001L, 0xfff8000000000123L,
      0x8000000000000000L, 0L, 0x7ff0000000000000L};
  private static final short[] HALF_SPECIALS = {0x7e00, 0x7c01, (short) 0xfe01, (short) 0x8000, 0, 0x7c00};

  /** A tensor as the fuzzer made it: dtype, dims and little-endian bytes (or strings). */
  record Input(DType dtype, long[] dims, byte[] bytes, String[] strings) {
    Tensor tensor(boolean direct) {
      if (dtype == DType.STRING) {
        return Tensor.ofStrings(strings.clone(), dims);
      }
      ByteBuffer b = direct ? ByteBuffer.allocateDirect(bytes.length) : ByteBuffer.allocate(bytes.length);
      b.order(ByteOrder.LITTLE_ENDIAN).put(bytes).flip();
      return Tensor.fromBuffer(dtype, b, dims);
    }

    long count() {
      long n = 1;
      for (long d : dims) {
        n *= d;
      }
      return n;
    }

    /** The same tensor with one byte (or one string) changed, or this input if it has no element. */
    Input flipped(int at, int bit) {
      if (count() == 0) {
        return this;
      }
      if (dtype == DType.STRING) {
        String[] s = strings.clone();
        int i = Math.floorMod(at, s.length);
        s[i] = s[i] + (char) ('a' + bit);
        return new Input(dtype, dims, bytes, s);
      }
      byte[] b = bytes.clone();
      int i = Math.floorMod(at, b.length);
      b[i] ^= (byte) (dtype == DType.BOOL ? 1 : 1 << bit);
      return new Input(dtype, dims, b, strings);
    }

    @Override
    public String toString() {
      return dtype + Arrays.toString(dims) + " " + (dtype == DType.STRING ? Arrays.toString(strings) : Arrays.toString(bytes));
    }
  }

  @Provide
  Arbitrary<Input> inputs() {
    Arbitrary<DType> dtypes = Arbitraries.of(DType.values());
    Arbitrary<long[]> dims = Arbitraries.longs().between(0, 4).array(long[].class).ofMinSize(0).ofMaxSize(3);
    return Combinators.combine(dtypes, dims, Arbitraries.randomValue(r -> r.nextLong())).as((dtype, d, seed) -> {
      java.util.Random r = new java.util.Random(seed);
      long n = 1;
      for (long x : d) {
        n *= x;
      }
      if (dtype == DType.STRING) {
        String[] s = new String[(int) n];
        for (int i = 0; i < s.length; i++) {
          s[i] = r.nextInt(4) == 0 ? "" : Long.toString(r.nextLong(), 36).substring(0, 1 + r.nextInt(6)) + (r.nextBoolean() ? "é" : "");
        }
        return new Input(dtype, d, new byte[0], s);
      }
      byte[] bytes = new byte[(int) n * dtype.byteSize()];
      r.nextBytes(bytes);
      ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        if (dtype == DType.BOOL) {
          bytes[i] &= 1;
        } else if (r.nextInt(3) == 0) {
          switch (dtype) {
            case FLOAT32 -> b.putInt(i * 4, FLOAT_SPECIALS[r.nextInt(FLOAT_SPECIALS.length)]);
            case FLOAT64 -> b.putLong(i * 8, DOUBLE_SPECIALS[r.nextInt(DOUBLE_SPECIALS.length)]);
            case FLOAT16 -> b.putShort(i * 2, HALF_SPECIALS[r.nextInt(HALF_SPECIALS.length)]);
            default -> { }
          }
        }
      }
      return new Input(dtype, d, bytes, new String[0]);
    });
  }

  private static CacheKey probe(Tensor t) {
    return SCHEMA.probe(MODEL, NamedTensors.of("x", t));
  }

  @Property(tries = 400)
  void equalInputs_inAnotherBuffer_giveEqualKeysAndHashes(@ForAll("inputs") Input in) {
    CacheKey a = probe(in.tensor(true));
    CacheKey b = probe(in.tensor(false));
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.hex()).isEqualTo(b.hex());
    assertThat(a.stored()).isEqualTo(b).isEqualTo(b.stored());
    assertThat(b).isEqualTo(a.stored());
  }

  @Property(tries = 600)
  void inputsThatDiffer_giveKeysThatDiffer(@ForAll("inputs") Input x, @ForAll("inputs") Input y) {
    assertKeysEqualExactlyWhenCanonicallyEqual(x, y);
  }

  @Property(tries = 600)
  void oneChangedByte_changesTheKey_unlessOnlyNaNPayloadOrZeroSignChanged(@ForAll("inputs") Input x,
      @ForAll int at, @ForAll("bits") int bit) {
    assertKeysEqualExactlyWhenCanonicallyEqual(x, x.flipped(at, bit));
  }

  @Provide
  Arbitrary<Integer> bits() {
    return Arbitraries.integers().between(0, 7);
  }

  private static void assertKeysEqualExactlyWhenCanonicallyEqual(Input x, Input y) {
    boolean same = canonicallyEqual(x, y);
    CacheKey a = probe(x.tensor(true));
    CacheKey b = probe(y.tensor(true));
    assertThat(a.equals(b)).as("probe keys of %s and %s", x, y).isEqualTo(same);
    assertThat(a.stored().equals(b.stored())).as("stored keys").isEqualTo(same);
    assertThat(a.stored().equals(b)).as("stored key against probe").isEqualTo(same);
    if (same) {
      assertThat(a.hex()).isEqualTo(b.hex());
    }
  }

  /**
   * Through a cache whose hashes all collide (every key lands on one hash, so only the word comparison
   * tells them apart): each input, asked in a random order with repeats, gets its own answer.
   */
  @Property(tries = 150)
  void collidingHashes_neverServeAnotherInputsAnswer(@ForAll @Size(min = 1, max = 12) List<@From("inputs") Input> ins,
      @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 0, max = 1000) Integer> order) {
    Echo echo = new Echo();
    try (CachedPredictor cache = CachedPredictor.newBuilder(echo).maximumSize(100).hashMaskForTesting(0).build()) {
      for (int i : order) {
        Input in = ins.get(i % ins.size());
        Tensor answer = cache.predict(NamedTensors.of("x", in.tensor(i % 2 == 0)), List.of(), CallOptions.defaults()).get("y");
        Input got = new Input(answer.dtype(), answer.shape().toArray(), answer.dtype() == DType.STRING ? new byte[0] : bytes(answer),
            answer.dtype() == DType.STRING ? answer.toStringArray() : new String[0]);
        assertThat(canonicallyEqual(in, got)).as("answer to %s was %s", in, got).isTrue();
      }
      long distinct = ins.stream().map(x -> probe(x.tensor(true)).stored()).distinct().count();
      assertThat(echo.calls.get()).as("one model call per distinct input at most").isLessThanOrEqualTo((int) distinct);
    }
  }

  private static byte[] bytes(Tensor t) {
    ByteBuffer b = t.buffer();
    byte[] out = new byte[b.limit()];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.get(i);
    }
    return out;
  }

  /** Same dtype, dims and values, where every NaN equals every NaN and -0.0 equals 0.0. */
  static boolean canonicallyEqual(Input x, Input y) {
    if (x.dtype != y.dtype || !Arrays.equals(x.dims, y.dims)) {
      return false;
    }
    if (x.dtype == DType.STRING) {
      return Arrays.equals(x.strings, y.strings);
    }
    ByteBuffer a = ByteBuffer.wrap(x.bytes).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer b = ByteBuffer.wrap(y.bytes).order(ByteOrder.LITTLE_ENDIAN);
    int size = x.dtype.byteSize();
    for (int i = 0; i < x.bytes.length; i += size) {
      boolean same = switch (x.dtype) {
        case FLOAT32 -> {
          float p = a.getFloat(i);
          float q = b.getFloat(i);
          yield p == q || (Float.isNaN(p) && Float.isNaN(q));
        }
        case FLOAT64 -> {
          double p = a.getDouble(i);
          double q = b.getDouble(i);
          yield p == q || (Double.isNaN(p) && Double.isNaN(q));
        }
        case FLOAT16 -> {
          short p = a.getShort(i);
          short q = b.getShort(i);
          boolean nanP = (p & 0x7fff) > 0x7c00;
          boolean nanQ = (q & 0x7fff) > 0x7c00;
          yield (nanP && nanQ) || (!nanP && !nanQ && (p == q || ((p | q) & 0x7fff) == 0));
        }
        default -> Arrays.equals(x.bytes, i, i + size, y.bytes, i, i + size);
      };
      if (!same) {
        return false;
      }
    }
    return true;
  }

  /** Answers {@code y = x}, whatever its dtype and shape, and counts its calls. */
  static final class Echo implements Predictor {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public ModelId modelId() {
      return MODEL;
    }

    @Override
    public ModelSignature signature() {
      return ModelSignature.of(List.of(TensorSpec.of("x", DType.FLOAT32, Shape.DYNAMIC)),
          List.of(TensorSpec.of("y", DType.FLOAT32, Shape.DYNAMIC)));
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
      calls.incrementAndGet();
      return NamedTensors.of("y", inputs.get("x"));
    }

    @Override
    public void close() {
      // owns nothing
    }
  }
}
