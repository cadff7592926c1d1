package dev.jinfer.spark;

import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;

/**
 * A scored dataset (lazy, like every Spark dataset) and the accumulator that counts the rows the
 * {@link InvalidRowPolicy} kept with null outputs or skipped. The count is complete once an action over
 * {@link #rows()} has finished (and, as with every Spark accumulator, counts again if the action reruns).
 *
 * <p>Immutable; thread-safety is that of Spark's {@code Dataset} and {@code LongAccumulator}.
 *
 * @param rows the input columns followed by one column per model output
 * @param invalidRows rows kept with null outputs or skipped
 */
public record ScoredDataset(Dataset<Row> rows, LongAccumulator invalidRows) {
  /**
   * @throws NullPointerException if an argument is null
   */
  public ScoredDataset {
    Objects.requireNonNull(rows, "rows");
    Objects.requireNonNull(invalidRows, "invalidRows");
  }
}
