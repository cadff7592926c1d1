package dev.jinfer.batching;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.DType;
import dev.jinfer.FakeTicker;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A pure-Java delegate for exact tests. Input {@code x} FLOAT32 [-1, -1]; outputs {@code y} = 2x + 1 of the
 * same shape and {@code sum} FLOAT32 [-1], the sum of each row. Tests steer it through public volatile
 * fields: block on latches, fail on a poison value, fail every call, advance a fake ticker by a linear
 * cost, or return an output without the batch dimension.
 */
class FakePredictor implements Predictor {
  static final ModelSignature SIGNATURE = ModelSignature.of(
      List.of(TensorSpec.of("x", DType.FLOAT32, Shape.DYNAMIC, Shape.DYNAMIC)),
      List.of(TensorSpec.of("y", DType.FLOAT32, Shape.DYNAMIC, Shape.DYNAMIC), TensorSpec.of("sum", DType.FLOAT32, Shape.DYNAMIC)));

  /** Rows of every call, in order. */
  final Queue<Integer> batchRows = new ConcurrentLinkedQueue<>();
  /** Every call's input, in order (only when {@link #recordInputs}). */
  final Queue<Tensor> inputs = new ConcurrentLinkedQueue<>();
  final AtomicInteger calls = new AtomicInteger();
  volatile boolean recordInputs = true;
  /** A call whose input holds this value fails with a BackendException naming it. */
  volatile float poison = Float.NaN;
  /** Thrown by every call while set. */
  volatile @Nullable RuntimeException failure;
  /** When set, a call counts this down, then waits for {@link #release}. */
  volatile @Nullable CountDownLatch entered;
  volatile @Nullable CountDownLatch release;
  /** When set, a call advances it by {@code fixed + perRow * rows}. */
  volatile @Nullable FakeTicker ticker;
  volatile Duration fixed = Duration.ZERO;
  volatile Duration perRow = Duration.ZERO;
  /** When set, {@code sum} is one number for the whole call, shape [1]: not splittable. */
  volatile boolean dropBatchDimension;

  @Override
  public ModelId modelId() {
    return new ModelId("fake", "1");
  }

  @Override
  public ModelSignature signature() {
    return SIGNATURE;
  }

  @Override
  public NamedTensors predict(NamedTensors in, List<String> outputNames, CallOptions options) {
    calls.incrementAndGet();
    Tensor x = in.get("x");
    int rows = (int) x.rows();
    batchRows.add(rows);
    if (recordInputs) {
      inputs.add(x);
    }
    CountDownLatch wait = release;
    if (wait != null) {
      entered.countDown();
      try {
        wait.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BackendException("interrupted", e);
      }
    }
    FakeTicker t = ticker;
    if (t != null) {
      t.advance(fixed.plus(perRow.multipliedBy(rows)));
    }
    RuntimeException f = failure;
    if (f != null) {
      throw f;
    }
    float[] v = x.toFloatArray();
    int cols = (int) x.shape().dim(1);
    float p = poison;
    float[] y = new float[v.length];
    float[] sums = new float[rows];
    for (int i = 0; i < v.length; i++) {
      if (v[i] == p) {
        throw new BackendException("poison value " + p + " in row " + (i / cols) + " of " + rows);
      }
      y[i] = 2 * v[i] + 1;
      sums[i / cols] += v[i];
    }
    Tensor sum = dropBatchDimension ? Tensor.ofFloats(new float[] {total(sums)}, 1) : Tensor.ofFloats(sums, rows);
    NamedTensors all = NamedTensors.of("y", Tensor.ofFloats(y, rows, cols), "sum", sum);
    return outputNames.isEmpty() ? all : all.select(outputNames);
  }

  private static float total(float[] values) {
    float s = 0;
    for (float f : values) {
      s += f;
    }
    return s;
  }

  @Override
  public void close() {}

  /** A request of {@code rows} rows of {@code cols} columns, every element {@code value + row}. */
  static NamedTensors request(float value, int rows, int cols) {
    float[] v = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        v[r * cols + c] = value + r;
      }
    }
    return NamedTensors.of("x", Tensor.ofFloats(v, rows, cols));
  }

  /** The output the fake gives for {@link #request}. */
  static void check(NamedTensors out, float value, int rows, int cols) {
    Tensor y = out.get("y");
    Tensor sum = out.get("sum");
    if (!y.shape().equals(Shape.of(rows, cols)) || !sum.shape().equals(Shape.of(rows))) {
      throw new AssertionError("request " + value + ": expected y [" + rows + ", " + cols + "] and sum [" + rows + "] but got "
          + out);
    }
    for (int r = 0; r < rows; r++) {
      float x = value + r;
      for (int c = 0; c < cols; c++) {
        if (y.getFloat(r * cols + c) != 2 * x + 1) {
          throw new AssertionError("request " + value + " row " + r + ": expected y " + (2 * x + 1) + " but got " + y);
        }
      }
      float s = 0;
      for (int c = 0; c < cols; c++) {
        s += x;
      }
      if (sum.getFloat(r) != s) {
        throw new AssertionError("request " + value + " row " + r + ": expected sum " + s + " but got " + sum);
      }
    }
  }
}
