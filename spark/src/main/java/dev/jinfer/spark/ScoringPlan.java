package dev.jinfer.spark;

import dev.jinfer.DType;
import dev.jinfer.Tensor;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.jspecify.annotations.Nullable;

/**
 * Everything a task needs to score a partition, checked against the schema and the model's signature on the
 * driver: it names the model (location and version), never holds it.
 */
record ScoringPlan(
    String location,
    String version,
    int threads,
    String inputName,
    DType inputType,
    boolean rankOne,
    int width,
    List<InputColumn> columns,
    List<OutputColumn> outputs,
    int batchSize,
    InvalidRowPolicy policy,
    LongAccumulator invalidRows,
    StructType outputSchema) implements Serializable {

  /** How a feature column is read. */
  enum Kind { FLOAT, DOUBLE, INT, LONG, SHORT, BYTE, FLOAT_ARRAY, DOUBLE_ARRAY, VECTOR }

  /** A column that feeds the model: one number per row, or the whole row's features. */
  record InputColumn(String name, int index, Kind kind) implements Serializable {
    boolean isWhole() {
      return kind == Kind.FLOAT_ARRAY || kind == Kind.DOUBLE_ARRAY || kind == Kind.VECTOR;
    }
  }

  /** A model output and the column it is written to: a scalar when the output is [-1], else an array. */
  record OutputColumn(String output, String column, DType dtype, boolean scalar) implements Serializable {
  }

  /**
   * A batch's input tensor: the first {@code n} rows of a task's reused feature array, copied into a new heap
   * buffer. Heap rather than direct ({@code Tensor.ofFloats}): the ONNX backend copies a heap input into a
   * direct buffer it reuses, where a new direct buffer per batch is freed only at a GC and, in a stretch without
   * one, faults in fresh native memory page by page.
   *
   * @param floats the features when the model takes FLOAT32, else null
   * @param doubles the features when it takes FLOAT64, else null
   * @param n the rows in the batch
   * @return the tensor, {@code [n]} or {@code [n, width]}
   */
  Tensor batch(float @Nullable [] floats, double @Nullable [] doubles, int n) {
    long[] shape = rankOne ? new long[] {n} : new long[] {n, width};
    int count = n * width;
    if (floats != null) {
      ByteBuffer bytes = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(floats, 0, count);
      return Tensor.fromBuffer(DType.FLOAT32, bytes, shape);
    }
    ByteBuffer bytes = ByteBuffer.allocate(count * 8).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asDoubleBuffer().put(java.util.Objects.requireNonNull(doubles, "doubles"), 0, count);
    return Tensor.fromBuffer(DType.FLOAT64, bytes, shape);
  }

  List<String> outputNames() {
    return outputs.stream().map(OutputColumn::output).toList();
  }
}
