package dev.jinfer.spark;

import dev.jinfer.DType;
import dev.jinfer.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.jspecify.annotations.Nullable;

/**
 * A task's input memory: one little-endian direct buffer of {@code batchSize} rows, which every batch of the
 * task is copied into and which the engine reads in place (no copy in the ONNX backend, no allocation per batch:
 * a new direct buffer per batch is freed only at a GC and, in a stretch without one, faults in fresh native
 * memory page by page; a new heap buffer per batch is garbage the backend copies again).
 *
 * <p>The tensor of a batch is valid until the next batch is made: it goes only to the synchronous
 * {@code predict} of the model's own predictor ({@link SharedModels}: no cache or batcher that could keep it),
 * which is done with it when it returns. Not thread-safe: one per task iterator.
 */
final class InputBuffer {
  private final ScoringPlan plan;
  private final ByteBuffer bytes;
  private final @Nullable FloatBuffer floats;
  private final @Nullable DoubleBuffer doubles;

  InputBuffer(ScoringPlan plan) {
    this.plan = plan;
    boolean f32 = plan.inputType() == DType.FLOAT32;
    this.bytes = ByteBuffer.allocateDirect(plan.batchSize() * plan.width() * (f32 ? 4 : 8)).order(ByteOrder.LITTLE_ENDIAN);
    this.floats = f32 ? bytes.asFloatBuffer() : null;
    this.doubles = f32 ? null : bytes.asDoubleBuffer();
  }

  /**
   * The batch's input tensor over this buffer: the first {@code n} rows of the task's feature array.
   *
   * @param featureFloats the features when the model takes FLOAT32, else null
   * @param featureDoubles the features when it takes FLOAT64, else null
   * @param n the rows in the batch
   * @return the tensor, {@code [n]} or {@code [n, width]}, valid until the next call
   */
  Tensor batch(float @Nullable [] featureFloats, double @Nullable [] featureDoubles, int n) {
    long[] shape = plan.rankOne() ? new long[] {n} : new long[] {n, plan.width()};
    int count = n * plan.width();
    if (floats != null && featureFloats != null) {
      floats.clear();
      floats.put(featureFloats, 0, count);
      return Tensor.fromBuffer(DType.FLOAT32, bytes.clear().limit(count * 4), shape);
    }
    if (doubles != null && featureDoubles != null) {
      doubles.clear();
      doubles.put(featureDoubles, 0, count);
      return Tensor.fromBuffer(DType.FLOAT64, bytes.clear().limit(count * 8), shape);
    }
    throw new IllegalStateException("features of the wrong type for a model input of " + plan.inputType());
  }
}
