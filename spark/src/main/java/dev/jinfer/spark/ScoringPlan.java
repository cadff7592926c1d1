package dev.jinfer.spark;

import dev.jinfer.DType;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

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

  List<String> outputNames() {
    return outputs.stream().map(OutputColumn::output).toList();
  }
}
