package dev.jinfer.cache;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.DType;
import dev.jinfer.Deadline;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A pure-Java delegate for exact tests. Input {@code x} FLOAT32 [-1, -1]; outputs {@code y} = 2x + v
 * (v = the version number, so versions give different answers) and {@code sum} FLOAT32 [-1], the sum of each
 * row. Tests steer it through volatile fields. Thread-safe.
 */
final class FakeModel implements Predictor {
  static final ModelSignature SIGNATURE = ModelSignature.of(
      List.of(TensorSpec.of("x", DType.FLOAT32, Shape.DYNAMIC, Shape.DYNAMIC)),
      List.of(TensorSpec.of("y", DType.FLOAT32, Shape.DYNAMIC, Shape.DYNAMIC), TensorSpec.of("sum", DType.FLOAT32, Shape.DYNAMIC)));

  final AtomicInteger calls = new AtomicInteger();
  volatile String version = "1";
  /** Thrown by every call while set. */
  volatile @Nullable RuntimeException failure;
  /** When set, a call counts {@link #entered} down and waits for this. */
  volatile @Nullable CountDownLatch release;
  final CountDownLatch entered = new CountDownLatch(1);

  @Override
  public ModelId modelId() {
    return new ModelId("fake", version);
  }

  @Override
  public ModelSignature signature() {
    return SIGNATURE;
  }

  /** The deadline the last deadline-carrying call passed in, or null if none came. */
  volatile @Nullable Deadline lastDeadline;

  /**
   * Records a deadline if the call carries one, then runs like a call that cannot stop: waits, and discards
   * a late result ({@link Deadline#enforce}).
   */
  @Override
  public NamedTensors predict(NamedTensors in, List<String> outputNames, CallOptions options) {
    Deadline deadline = options.deadlineOrNull();
    if (deadline != null) {
      lastDeadline = deadline;
    }
    return Deadline.enforce(deadline, modelId(), () -> compute(in, outputNames));
  }

  private NamedTensors compute(NamedTensors in, List<String> outputNames) {
    calls.incrementAndGet();
    CountDownLatch wait = release;
    if (wait != null) {
      entered.countDown();
      try {
        if (!wait.await(10, TimeUnit.SECONDS)) {
          throw new BackendException("release latch timed out");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BackendException("interrupted", e);
      }
    }
    RuntimeException f = failure;
    if (f != null) {
      throw f;
    }
    Tensor x = in.get("x");
    int rows = (int) x.shape().dim(0);
    int cols = (int) x.shape().dim(1);
    float[] v = x.toFloatArray();
    float add = Float.parseFloat(version);
    float[] y = new float[v.length];
    float[] sum = new float[rows];
    for (int i = 0; i < v.length; i++) {
      y[i] = 2 * v[i] + add;
      sum[i / Math.max(cols, 1)] += v[i];
    }
    NamedTensors all = NamedTensors.of("y", Tensor.ofFloats(y, rows, cols), "sum", Tensor.ofFloats(sum, rows));
    return outputNames.isEmpty() ? all : all.select(outputNames);
  }

  static NamedTensors input(float... values) {
    return NamedTensors.of("x", Tensor.ofFloats(values, 1, values.length));
  }

  @Override
  public void close() {}
}
