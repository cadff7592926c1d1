package dev.jinfer.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ValueCodecTest {
  private static final byte[] DIGEST = ValueCodec.digest(new ModelId("m", "1"), new long[] {1, 2, 3});
  private static final NamedTensors OUT = NamedTensors.newBuilder()
      .put("y", Tensor.ofFloats(new float[] {1, 2, 3, 4}, 2, 2))
      .put("label", Tensor.ofStrings(new String[] {"fraud"}, 1))
      .put("scalar", Tensor.ofLongs(new long[] {42}))
      .build();

  @Test
  void roundTrips() throws Exception {
    assertThat(ValueCodec.decode(ValueCodec.encode(DIGEST, OUT), DIGEST)).isEqualTo(OUT);
  }

  @Test
  void roundTrips_zeroRowOutputs() throws Exception {
    // issue 14: a zero-row request's outputs are empty tensors; the second tier stores them like any other
    NamedTensors empty = NamedTensors.newBuilder().put("y", Tensor.ofFloats(new float[0], 0, 4))
        .put("label", Tensor.ofLongs(new long[0], 0)).put("name", Tensor.ofStrings(new String[0], 0)).build();
    NamedTensors back = ValueCodec.decode(ValueCodec.encode(DIGEST, empty), DIGEST);
    assertThat(back).isEqualTo(empty);
    assertThat(back.get("y").shape().toArray()).containsExactly(0, 4);
  }

  @Test
  void anotherKeysValue_isAMissNotAHit() throws Exception {
    byte[] other = ValueCodec.digest(new ModelId("m", "2"), new long[] {1, 2, 3});
    assertThat(ValueCodec.decode(ValueCodec.encode(other, OUT), DIGEST)).isNull();
  }

  @Test
  void everyFlippedByte_andEveryTruncation_isDetected() {
    byte[] value = ValueCodec.encode(DIGEST, OUT);
    for (int i = 0; i < value.length; i++) {
      byte[] bad = value.clone();
      bad[i] ^= 0x10;
      assertThatThrownBy(() -> ValueCodec.decode(bad, DIGEST)).as("byte %d", i).isInstanceOf(ValueCodec.Corrupt.class);
    }
    for (int n = 0; n < value.length; n++) {
      byte[] cut = Arrays.copyOf(value, n);
      assertThatThrownBy(() -> ValueCodec.decode(cut, DIGEST)).as("length %d", n).isInstanceOf(ValueCodec.Corrupt.class);
    }
    assertThatThrownBy(() -> ValueCodec.decode("not a cache value at all, just text".getBytes(java.nio.charset.StandardCharsets.UTF_8), DIGEST))
        .isInstanceOf(ValueCodec.Corrupt.class);
  }
}
