package dev.jinfer.kit;

import dev.jinfer.DType;
import dev.jinfer.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Heap-backed test inputs: what another model's outputs, a parsed request or a caller's own bytes are, and what a
 * backend has to copy into native memory (the {@code Tensor.of*} factories make direct ones instead).
 */
public final class HeapTensors {
  private HeapTensors() {}

  /**
   * A FLOAT32 tensor over a little-endian heap buffer.
   *
   * @param values the data, row-major
   * @param shape the dimensions, whose product is {@code values.length}
   * @return the tensor, {@link Tensor#isDirect()} false
   */
  public static Tensor floats(float[] values, long... shape) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return Tensor.fromBuffer(DType.FLOAT32, bytes, shape);
  }

  /**
   * Standard-normal values.
   *
   * @param random the source
   * @param n how many
   * @return the values
   */
  public static float[] gaussian(Random random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }
}
