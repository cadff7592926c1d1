package dev.jinfer.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeySchemaTest {
  private static final ModelId ID = new ModelId("m", "1");
  private final KeySchema schema = new KeySchema(List.of("a", "b"), Map.of(), -1L);

  private static NamedTensors in(Tensor a, Tensor b) {
    return NamedTensors.of("a", a, "b", b);
  }

  @Test
  void equalCanonicalInputs_giveEqualKeys_inAnyInputOrder() {
    NamedTensors x = in(Tensor.ofFloats(new float[] {1, -0.0f, Float.NaN}, 3), Tensor.ofLongs(new long[] {7}, 1));
    NamedTensors y = NamedTensors.of("b", Tensor.ofLongs(new long[] {7}, 1), "a",
        Tensor.ofFloats(new float[] {1, 0.0f, Float.intBitsToFloat(0xff800001)}, 3));
    CacheKey kx = schema.probe(ID, x);
    CacheKey ky = schema.probe(ID, y);
    assertThat(kx).isEqualTo(ky).hasSameHashCodeAs(ky);
    assertThat(kx.stored()).isEqualTo(ky).isEqualTo(ky.stored());
    assertThat(ky).isEqualTo(kx.stored());
  }

  @Test
  void everyDtype_roundTripsThroughTheWords() {
    KeySchema all = new KeySchema(List.of("f", "d", "h", "i8", "u8", "i16", "i32", "i64", "b", "s"), Map.of(), -1L);
    NamedTensors in = NamedTensors.newBuilder()
        .put("f", Tensor.ofFloats(new float[] {1.5f, 2, 3}, 3))
        .put("d", Tensor.ofDoubles(new double[] {1e300, -2}, 2, 1))
        .put("h", Tensor.ofFloat16(new float[] {0.5f, 1, 2, 3, 4}, 5))
        .put("i8", Tensor.ofBytes(new byte[] {-1, 2, 3}, 3))
        .put("u8", Tensor.ofUnsignedBytes(new byte[] {(byte) 200}, 1))
        .put("i16", Tensor.ofShorts(new short[] {-300, 5, 6}, 3))
        .put("i32", Tensor.ofInts(new int[] {1, 2, 3, 4, 5}, 5))
        .put("i64", Tensor.ofLongs(new long[] {Long.MIN_VALUE}))
        .put("b", Tensor.ofBooleans(new boolean[] {true, false, true}, 3))
        .put("s", Tensor.ofStrings(new String[] {"héllo", "", "a longer string than eight bytes"}, 3))
        .build();
    long[] words = all.encode(in);
    assertThat(all.decode(words)).isEqualTo(in);
    assertThat(all.matches(in, words)).isTrue();
    assertThat(all.probe(ID, in)).isEqualTo(all.probe(ID, all.decode(words)).stored());
  }

  @Test
  void differentNamesShapesDtypesOrValues_differ() {
    NamedTensors base = in(Tensor.ofInts(new int[] {1, 2}, 2), Tensor.ofInts(new int[] {3}, 1));
    long[] words = schema.encode(base);
    assertThat(schema.matches(in(Tensor.ofInts(new int[] {1, 2}, 1, 2), Tensor.ofInts(new int[] {3}, 1)), words)).isFalse();
    assertThat(schema.matches(in(Tensor.ofFloats(new float[] {Float.intBitsToFloat(1), Float.intBitsToFloat(2)}, 2),
        Tensor.ofInts(new int[] {3}, 1)), words)).isFalse();
    assertThat(schema.matches(in(Tensor.ofInts(new int[] {1, 2}, 2), Tensor.ofInts(new int[] {4}, 1)), words)).isFalse();
    assertThat(schema.matches(in(Tensor.ofInts(new int[] {1, 2, 0}, 3), Tensor.ofInts(new int[] {3}, 1)), words)).isFalse();
    assertThat(schema.probe(ID, base)).isNotEqualTo(schema.probe(new ModelId("m", "2"), base));
  }

  @Test
  void slicedViews_keyLikeTheirCopies() {
    Tensor batch = Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
    KeySchema one = new KeySchema(List.of("x"), Map.of(), -1L);
    NamedTensors view = NamedTensors.of("x", batch.row(1));
    NamedTensors copy = NamedTensors.of("x", Tensor.ofFloats(new float[] {3, 4}, 1, 2));
    assertThat(one.probe(ID, view)).isEqualTo(one.probe(ID, copy).stored());
  }

  @Test
  void rounding_isAppliedBeforeCanonicalization() {
    KeyPolicy d2 = KeyPolicy.roundToDecimals(2);
    assertThat(d2.round(0.1249)).isEqualTo(0.12);
    assertThat(d2.round(0.125)).isEqualTo(0.13);
    assertThat(d2.round(-0.001)).isEqualTo(0.0);
    assertThat(d2.round(Double.NaN)).isNaN();
    assertThat(d2.round(1e300)).isEqualTo(1e300);
    assertThat(KeyPolicy.roundToQuantum(0.25).round(0.3)).isEqualTo(0.25);
    KeySchema rounded = new KeySchema(List.of("x"), Map.of("x", d2), -1L);
    assertThat(rounded.probe(ID, NamedTensors.of("x", Tensor.ofDoubles(new double[] {-0.004}, 1))))
        .isEqualTo(rounded.probe(ID, NamedTensors.of("x", Tensor.ofDoubles(new double[] {0.0}, 1))).stored());
  }
}
