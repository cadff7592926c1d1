package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HalfTest {

  private static final int QUIET_BIT = 0x0200;

  private static short h(int bits) {
    return (short) bits;
  }

  private static int bits(float f) {
    return Half.fromFloat(f) & 0xffff;
  }

  @Test
  void everyNonNaNHalf_roundTripsExactly_andNaNsComeBackQuieted() {
    for (int bits = 0; bits <= 0xffff; bits++) {
      float f = Half.toFloat(h(bits));
      int back = bits(f);
      boolean nan = (bits & 0x7c00) == 0x7c00 && (bits & 0x03ff) != 0;
      if (nan) {
        assertThat(Float.isNaN(f)).as("half %04x widens to NaN", bits).isTrue();
        // quiet NaNs keep their payload; signalling ones come back with the quiet bit set
        assertThat(back).as("half NaN %04x", bits).isEqualTo(bits | QUIET_BIT);
      } else {
        assertThat(back).as("half %04x via %s", bits, f).isEqualTo(bits);
      }
    }
  }

  @Test
  void toFloat_isExact_onKnownValues() {
    assertThat(Half.toFloat(h(0x3c00))).isEqualTo(1f);
    assertThat(Half.toFloat(h(0xc000))).isEqualTo(-2f);
    assertThat(Half.toFloat(h(0x7bff))).isEqualTo(65504f);
    assertThat(Half.toFloat(h(0x0400))).isEqualTo(0x1p-14f);
    assertThat(Half.toFloat(h(0x03ff))).isEqualTo(1023 * 0x1p-24f);
    assertThat(Half.toFloat(h(0x0001))).isEqualTo(0x1p-24f);
    assertThat(Half.toFloat(h(0x8001))).isEqualTo(-0x1p-24f);
    assertThat(Float.floatToRawIntBits(Half.toFloat(h(0x8000)))).isEqualTo(Float.floatToRawIntBits(-0f));
    assertThat(Half.toFloat(h(0x7c00))).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Half.toFloat(h(0xfc00))).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(Half.toFloat(h(0x7e00))).isNaN();
  }

  @Test
  void toFloat_isStrictlyIncreasing_overThePositiveHalves() {
    for (int bits = 0; bits < 0x7c00; bits++) {
      assertThat(Half.toFloat(h(bits + 1))).as("after %04x", bits).isGreaterThan(Half.toFloat(h(bits)));
    }
  }

  @Test
  void fromFloat_roundsTiesToEven() {
    assertThat(bits(1f + 0x1p-11f)).isEqualTo(0x3c00); // tie between 0x3c00 (even) and 0x3c01
    assertThat(bits(1f + 3 * 0x1p-11f)).isEqualTo(0x3c02); // tie between 0x3c01 and 0x3c02 (even)
    assertThat(bits(1f + 0x1p-11f + 0x1p-20f)).isEqualTo(0x3c01); // just above the tie
    assertThat(bits(2049f)).isEqualTo(0x6800); // 2048 and 2050 are the neighbours
    assertThat(bits(2051f)).isEqualTo(0x6802);
    assertThat(bits(0.1f)).isEqualTo(0x2e66);
    assertThat(bits(-0.1f)).isEqualTo(0xae66);
  }

  @Test
  void fromFloat_overflowsToInfinity_pastTheLargestHalf() {
    assertThat(bits(65504f)).isEqualTo(0x7bff);
    assertThat(bits(65519f)).isEqualTo(0x7bff);
    assertThat(bits(65520f)).isEqualTo(0x7c00); // the tie with 65536 rounds to even: infinity
    assertThat(bits(65536f)).isEqualTo(0x7c00);
    assertThat(bits(100000f)).isEqualTo(0x7c00); // same binade as 65536: must not leak mantissa bits into a NaN
    assertThat(bits(-131000f)).isEqualTo(0xfc00);
    assertThat(bits(1e6f)).isEqualTo(0x7c00);
    assertThat(bits(-1e6f)).isEqualTo(0xfc00);
    assertThat(bits(Float.MAX_VALUE)).isEqualTo(0x7c00);
    assertThat(bits(Float.POSITIVE_INFINITY)).isEqualTo(0x7c00);
    assertThat(bits(Float.NEGATIVE_INFINITY)).isEqualTo(0xfc00);
  }

  @Test
  void fromFloat_keepsNaNAndSignedZero() {
    assertThat(bits(Float.NaN)).isEqualTo(0x7e00);
    assertThat(Half.toFloat(Half.fromFloat(Float.intBitsToFloat(0x7f800001)))).isNaN(); // low payload only
    assertThat(bits(-0f)).isEqualTo(0x8000);
    assertThat(bits(0f)).isEqualTo(0x0000);
  }

  @Test
  void fromFloat_handlesSubnormals() {
    assertThat(bits(0x1p-14f)).isEqualTo(0x0400); // smallest normal
    assertThat(bits(1023 * 0x1p-24f)).isEqualTo(0x03ff); // largest subnormal
    assertThat(bits(0x1p-14f - 0x1p-25f)).isEqualTo(0x0400); // tie between 0x03ff and 0x0400 (even)
    assertThat(bits(0x1p-24f)).isEqualTo(0x0001); // smallest subnormal
    assertThat(bits(-0x1p-24f)).isEqualTo(0x8001);
    assertThat(bits(0x1p-25f)).isEqualTo(0x0000); // tie between 0 (even) and 0x0001
    assertThat(bits(0x1.8p-25f)).isEqualTo(0x0001);
    assertThat(bits(3 * 0x1p-25f)).isEqualTo(0x0002); // tie between 0x0001 and 0x0002 (even)
    assertThat(bits(5 * 0x1p-25f)).isEqualTo(0x0002); // tie between 0x0002 (even) and 0x0003
    assertThat(bits(0x1p-26f)).isEqualTo(0x0000);
    assertThat(bits(Float.MIN_VALUE)).isEqualTo(0x0000);
    assertThat(bits(-Float.MIN_VALUE)).isEqualTo(0x8000);
  }

  @Test
  void fromFloat_picksTheNearestHalf_forFloatsAcrossTheWholeRange() {
    List<String> wrong = new ArrayList<>();
    int largest = Float.floatToRawIntBits(65504f);
    for (int fb = 0; fb <= largest && wrong.size() < 10; fb += 331) {
      float f = Float.intBitsToFloat(fb);
      int h = bits(f);
      double error = Math.abs((double) Half.toFloat(h(h)) - f);
      for (int neighbour : new int[] {h - 1, h + 1}) {
        if (neighbour < 0 || neighbour > 0x7bff) {
          continue;
        }
        double other = Math.abs((double) Half.toFloat(h(neighbour)) - f);
        if (error > other || (error == other && (h & 1) != 0)) {
          wrong.add(f + " -> " + Integer.toHexString(h) + " but " + Integer.toHexString(neighbour) + " is nearer or even");
        }
      }
      if (bits(-f) != (h | 0x8000)) {
        wrong.add(-f + " -> " + Integer.toHexString(bits(-f)) + ", not the negation of " + Integer.toHexString(h));
      }
    }
    assertThat(wrong).isEmpty();
  }
}
