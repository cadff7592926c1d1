package dev.jinfer.spark;

import dev.jinfer.DType;
import dev.jinfer.InvalidInputException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;
import org.jspecify.annotations.Nullable;

/**
 * Scores one partition: reads up to {@code batchSize} rows, makes one tensor of their features, makes one
 * engine call, and hands out the rows with their outputs appended; lazily, so a partition never sits in
 * memory whole. The model comes from {@link SharedModels}, never from the closure.
 */
final class PartitionScorer implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  private final ScoringPlan plan;

  PartitionScorer(ScoringPlan plan) {
    this.plan = plan;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    TaskContext task = TaskContext.get();
    int partition = task == null ? -1 : task.partitionId();
    SharedModels.Lease lease = SharedModels.acquire(plan.location(), plan.version(), plan.threads());
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) done -> lease.close());
    }
    Predictor predictor = lease.predictor();
    return new Batches(plan, predictor, input, partition);
  }

  /** The lazy iterator of scored rows of one partition. */
  private static final class Batches implements Iterator<Row> {
    private final ScoringPlan plan;
    private final Predictor predictor;
    private final Iterator<Row> input;
    private final int partition;
    private final List<String> outputNames;
    private final Row[] rows;
    private final boolean[] valid;
    private final float @Nullable [] floats;
    private final double @Nullable [] doubles;
    private final InputBuffer inputBuffer;
    private final Row[] ready;
    private int readyCount;
    private int next;
    private long position;

    Batches(ScoringPlan plan, Predictor predictor, Iterator<Row> input, int partition) {
      this.plan = plan;
      this.predictor = predictor;
      this.input = input;
      this.partition = partition;
      this.outputNames = plan.outputNames();
      this.rows = new Row[plan.batchSize()];
      this.valid = new boolean[plan.batchSize()];
      boolean f32 = plan.inputType() == DType.FLOAT32;
      this.floats = f32 ? new float[plan.batchSize() * plan.width()] : null;
      this.doubles = f32 ? null : new double[plan.batchSize() * plan.width()];
      this.inputBuffer = new InputBuffer(plan);
      this.ready = new Row[plan.batchSize()];
    }

    @Override
    public boolean hasNext() {
      while (next == readyCount) {
        if (!input.hasNext()) {
          return false;
        }
        scoreNextBatch();
      }
      return true;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException("partition " + partition + " has no more rows");
      }
      Row r = ready[next];
      ready[next++] = null;
      return r;
    }

    private void scoreNextBatch() {
      int count = 0;
      int validCount = 0;
      while (count < rows.length && input.hasNext()) {
        Row row = input.next();
        rows[count] = row;
        boolean ok = readFeatures(row, validCount, position++);
        valid[count++] = ok;
        if (ok) {
          validCount++;
        }
      }
      Object[][] outputs = validCount == 0 ? new Object[outputNames.size()][0] : run(validCount);
      readyCount = 0;
      next = 0;
      int v = 0;
      for (int i = 0; i < count; i++) {
        Row row = rows[i];
        rows[i] = null;
        if (!valid[i] && plan.policy() == InvalidRowPolicy.SKIP) {
          continue;
        }
        Object[] values = new Object[row.length() + outputNames.size()];
        for (int c = 0; c < row.length(); c++) {
          values[c] = row.get(c);
        }
        if (valid[i]) {
          for (int o = 0; o < outputNames.size(); o++) {
            values[row.length() + o] = outputs[o][v];
          }
          v++;
        }
        ready[readyCount++] = RowFactory.create(values);
      }
    }

    private Object[][] run(int n) {
      Tensor features = inputBuffer.batch(floats, doubles, n);
      NamedTensors out = predictor.predict(NamedTensors.of(plan.inputName(), features), outputNames);
      SharedModels.countBatch();
      Object[][] columns = new Object[outputNames.size()][];
      for (int o = 0; o < outputNames.size(); o++) {
        columns[o] = split(out.get(outputNames.get(o)), n, plan.outputs().get(o).scalar());
      }
      return columns;
    }

    /** One value per row: a boxed scalar for a [-1] output, else the row's elements as a primitive array. */
    private static Object[] split(Tensor t, int n, boolean scalar) {
      int per = n == 0 ? 0 : t.elementCount() / n;
      Object[] values = new Object[n];
      switch (t.dtype()) {
        case FLOAT32 -> {
          float[] all = t.toFloatArray();
          for (int r = 0; r < n; r++) {
            values[r] = scalar ? (Object) all[r] : Arrays.copyOfRange(all, r * per, (r + 1) * per);
          }
        }
        case FLOAT64 -> {
          double[] all = t.toDoubleArray();
          for (int r = 0; r < n; r++) {
            values[r] = scalar ? (Object) all[r] : Arrays.copyOfRange(all, r * per, (r + 1) * per);
          }
        }
        case INT32 -> {
          int[] all = t.toIntArray();
          for (int r = 0; r < n; r++) {
            values[r] = scalar ? (Object) all[r] : Arrays.copyOfRange(all, r * per, (r + 1) * per);
          }
        }
        case INT64 -> {
          long[] all = t.toLongArray();
          for (int r = 0; r < n; r++) {
            values[r] = scalar ? (Object) all[r] : Arrays.copyOfRange(all, r * per, (r + 1) * per);
          }
        }
        default -> throw new IllegalStateException("output dtype " + t.dtype() + " passed the driver's check");
      }
      return values;
    }

    /** Writes a row's features at slot {@code at}; false (or a failure, by policy) if the row cannot be scored. */
    private boolean readFeatures(Row row, int at, long rowPosition) {
      int base = at * plan.width();
      List<ScoringPlan.InputColumn> columns = plan.columns();
      for (int c = 0; c < columns.size(); c++) {
        ScoringPlan.InputColumn col = columns.get(c);
        if (row.isNullAt(col.index())) {
          return invalid(rowPosition, col, "is null; expected " + (col.isWhole() ? plan.width() + " numbers" : "a number"));
        }
        if (!col.isWhole()) {
          double d = switch (col.kind()) {
            case FLOAT -> row.getFloat(col.index());
            case DOUBLE -> row.getDouble(col.index());
            case INT -> row.getInt(col.index());
            case LONG -> row.getLong(col.index());
            case SHORT -> row.getShort(col.index());
            case BYTE -> row.getByte(col.index());
            default -> throw new IllegalStateException(col.kind().toString());
          };
          put(base + c, d, (float) d);
          continue;
        }
        if (col.kind() == ScoringPlan.Kind.VECTOR) {
          Vector vector = (Vector) row.get(col.index());
          if (vector.size() != plan.width()) {
            return invalid(rowPosition, col, "has " + vector.size() + " values; expected " + plan.width());
          }
          for (int j = 0; j < plan.width(); j++) {
            double d = vector.apply(j);
            put(base + j, d, (float) d);
          }
          continue;
        }
        List<Object> values = row.getList(col.index());
        if (values.size() != plan.width()) {
          return invalid(rowPosition, col, "has " + values.size() + " values; expected " + plan.width());
        }
        for (int j = 0; j < plan.width(); j++) {
          Object v = values.get(j);
          if (v == null) {
            return invalid(rowPosition, col, "has a null at index " + j + "; expected " + plan.width() + " numbers");
          }
          Number num = (Number) v;
          put(base + j, num.doubleValue(), num.floatValue());
        }
      }
      return true;
    }

    private void put(int index, double d, float f) {
      if (floats != null) {
        floats[index] = f;
      } else if (doubles != null) {
        doubles[index] = d;
      }
    }

    private boolean invalid(long rowPosition, ScoringPlan.InputColumn col, String what) {
      if (plan.policy() == InvalidRowPolicy.ERROR) {
        throw new InvalidInputException("model " + plan.location() + ", partition " + partition + ", row " + rowPosition
            + " of the partition: column '" + col.name() + "' " + what
            + " (handleInvalid=error; 'keep' writes null outputs, 'skip' drops the row)");
      }
      plan.invalidRows().add(1);
      return false;
    }
  }
}
