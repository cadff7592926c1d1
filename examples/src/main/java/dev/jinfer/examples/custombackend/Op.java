package dev.jinfer.examples.custombackend;

import dev.jinfer.DType;
import dev.jinfer.Tensor;
import java.util.List;
import java.util.Map;

/**
 * One step of a {@code .jmodel.json} graph: reads named tensors, writes one. Ops are immutable and keep
 * no per-call state, so one model serves any number of threads. The float ops take FLOAT32 tensors of
 * rank 2 ({@code [rows, columns]}) and accumulate in a fixed order, so a row's result does not depend on
 * the batch it came in.
 */
sealed interface Op {
  /** @return the tensors this op reads, by name */
  List<String> inputs();

  /** @return the tensor this op writes */
  String output();

  /**
   * Runs the op.
   *
   * @param values the tensors computed so far, by name; holds every name in {@link #inputs()}
   * @return the output tensor
   * @throws IllegalArgumentException if an input has the wrong dtype or shape
   */
  Tensor apply(Map<String, Tensor> values);

  /** {@code y = x W^T + b}, W in PyTorch layout {@code [out, in]}. */
  record Dense(List<String> inputs, String output, float[] weight, float[] bias, int in, int out) implements Op {
    @Override
    public Tensor apply(Map<String, Tensor> values) {
      Tensor xt = values.get(inputs.get(0));
      int rows = rows(xt, in, this);
      float[] x = xt.toFloatArray();
      float[] y = new float[rows * out];
      for (int r = 0; r < rows; r++) {
        int xo = r * in;
        for (int o = 0; o < out; o++) {
          int wo = o * in;
          float sum = 0f;
          for (int i = 0; i < in; i++) {
            sum += x[xo + i] * weight[wo + i];
          }
          y[r * out + o] = sum + bias[o];
        }
      }
      return Tensor.ofFloats(y, rows, out);
    }
  }

  /** {@code y = max(x, 0)}, NaN kept. */
  record Relu(List<String> inputs, String output) implements Op {
    @Override
    public Tensor apply(Map<String, Tensor> values) {
      Tensor xt = values.get(inputs.get(0));
      int rows = rows(xt, -1, this);
      float[] x = xt.toFloatArray();
      for (int i = 0; i < x.length; i++) {
        x[i] = x[i] < 0f ? 0f : x[i];
      }
      return Tensor.ofFloats(x, rows, xt.shape().dim(1));
    }
  }

  /** Softmax over each row (max subtracted first, sums in double). */
  record Softmax(List<String> inputs, String output) implements Op {
    @Override
    public Tensor apply(Map<String, Tensor> values) {
      Tensor xt = values.get(inputs.get(0));
      int rows = rows(xt, -1, this);
      int cols = (int) xt.shape().dim(1);
      float[] x = xt.toFloatArray();
      for (int r = 0; r < rows; r++) {
        int o = r * cols;
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
          max = Math.max(max, x[o + c]);
        }
        double[] e = new double[cols];
        double sum = 0;
        for (int c = 0; c < cols; c++) {
          e[c] = Math.exp((double) x[o + c] - max);
          sum += e[c];
        }
        for (int c = 0; c < cols; c++) {
          x[o + c] = (float) (e[c] / sum);
        }
      }
      return Tensor.ofFloats(x, rows, cols);
    }
  }

  /** {@code y = x}, any dtype and shape (tensors are immutable, so no copy). */
  record Identity(List<String> inputs, String output) implements Op {
    @Override
    public Tensor apply(Map<String, Tensor> values) {
      return values.get(inputs.get(0));
    }
  }

  /** {@code y = a + b}, element-wise, same shape. */
  record Add(List<String> inputs, String output) implements Op {
    @Override
    public Tensor apply(Map<String, Tensor> values) {
      Tensor at = values.get(inputs.get(0));
      Tensor bt = values.get(inputs.get(1));
      int rows = rows(at, -1, this);
      rows(bt, (int) at.shape().dim(1), this);
      if (bt.shape().dim(0) != rows) {
        throw new IllegalArgumentException("op add: expected inputs of one shape but got " + at.shape() + " and " + bt.shape());
      }
      float[] a = at.toFloatArray();
      float[] b = bt.toFloatArray();
      for (int i = 0; i < a.length; i++) {
        a[i] += b[i];
      }
      return Tensor.ofFloats(a, rows, at.shape().dim(1));
    }
  }

  /** {@code y[r, 0] = sum_c a[r, c] * b[r, c]}. */
  record RowDot(List<String> inputs, String output) implements Op {
    @Override
    public Tensor apply(Map<String, Tensor> values) {
      Tensor at = values.get(inputs.get(0));
      Tensor bt = values.get(inputs.get(1));
      int rows = rows(at, -1, this);
      int cols = (int) at.shape().dim(1);
      rows(bt, cols, this);
      if (bt.shape().dim(0) != rows) {
        throw new IllegalArgumentException("op rowdot: expected inputs of one shape but got " + at.shape() + " and " + bt.shape());
      }
      float[] a = at.toFloatArray();
      float[] b = bt.toFloatArray();
      float[] y = new float[rows];
      for (int r = 0; r < rows; r++) {
        float sum = 0f;
        for (int c = 0; c < cols; c++) {
          sum += a[r * cols + c] * b[r * cols + c];
        }
        y[r] = sum;
      }
      return Tensor.ofFloats(y, rows, 1);
    }
  }

  /** {@code y[r] = } the index of the first largest value of row r, as INT64 {@code [rows]}. */
  record ArgMax(List<String> inputs, String output) implements Op {
    @Override
    public Tensor apply(Map<String, Tensor> values) {
      Tensor xt = values.get(inputs.get(0));
      int rows = rows(xt, -1, this);
      int cols = (int) xt.shape().dim(1);
      float[] x = xt.toFloatArray();
      long[] y = new long[rows];
      for (int r = 0; r < rows; r++) {
        int best = 0;
        for (int c = 1; c < cols; c++) {
          if (x[r * cols + c] > x[r * cols + best]) {
            best = c;
          }
        }
        y[r] = best;
      }
      return Tensor.ofLongs(y, rows);
    }
  }

  /** Checks a float op's input is FLOAT32 {@code [rows, columns]} and returns the rows. */
  private static int rows(Tensor t, int columns, Op op) {
    if (t.dtype() != DType.FLOAT32 || t.shape().rank() != 2 || (columns >= 0 && t.shape().dim(1) != columns)) {
      throw new IllegalArgumentException("op " + op.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)
          + " -> '" + op.output() + "': expected FLOAT32 [rows, " + (columns >= 0 ? columns : "columns") + "] but got "
          + t.dtype() + " " + t.shape());
    }
    return (int) t.shape().dim(0);
  }
}
