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
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.SpecificInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.UserDefinedType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.util.TaskCompletionListener;
import org.jspecify.annotations.Nullable;

/**
 * Scores one partition on Spark's internal rows: reads the features of up to {@code batchSize} rows straight
 * from each {@link InternalRow} (an {@code UnsafeRow} from a scan: no {@code Row}, no boxing) into one reused
 * array, keeps the rows' bytes in one reused arena until the batch is out, makes one tensor and one engine
 * call, and hands out each input row joined with a row of its outputs (primitive fields, arrays as
 * {@link UnsafeArrayData}), lazily. The returned rows are reused between calls to {@code next()}, as Spark
 * allows for an {@code RDD[InternalRow]}: the scan over it ({@code RDDScanExec}) projects each one into an
 * {@code UnsafeRow} at once. The model comes from {@link SharedModels}, never from the closure; a task holds
 * its lease until it completes.
 */
final class InternalRowScorer implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;
  private final ScoringPlan plan;

  InternalRowScorer(ScoringPlan plan) {
    this.plan = plan;
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> input) {
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
  private static final class Batches implements Iterator<InternalRow> {
    private final ScoringPlan plan;
    private final Predictor predictor;
    private final Iterator<InternalRow> input;
    private final int partition;
    private final List<String> outputNames;
    private final int outputCount;
    private final InternalRow[] rows;
    private final @Nullable UnsafeRow[] keptRows;
    private byte[] arena = new byte[1 << 16];
    private int arenaUsed;
    private final boolean[] valid;
    private final int[] validIndex;
    private final float @Nullable [] floats;
    private final double @Nullable [] doubles;
    private final InputBuffer inputBuffer;
    private final int @Nullable [] floatColumns;
    private final @Nullable UnsafeArrayData[] arrays;
    private final long @Nullable [][] arrayWords;
    private final Object[] outputs;
    private final int[] perRow;
    private final SpecificInternalRow outRow;
    private final JoinedRow joined = new JoinedRow();
    private final @Nullable UserDefinedType<?> vectorType;
    private int count;
    private int next;
    private long position;

    Batches(ScoringPlan plan, Predictor predictor, Iterator<InternalRow> input, int partition) {
      this.plan = plan;
      this.predictor = predictor;
      this.input = input;
      this.partition = partition;
      this.outputNames = plan.outputNames();
      this.outputCount = outputNames.size();
      this.rows = new InternalRow[plan.batchSize()];
      this.keptRows = new UnsafeRow[plan.batchSize()];
      this.valid = new boolean[plan.batchSize()];
      this.validIndex = new int[plan.batchSize()];
      boolean f32 = plan.inputType() == DType.FLOAT32;
      this.floats = f32 ? new float[plan.batchSize() * plan.width()] : null;
      this.doubles = f32 ? null : new double[plan.batchSize() * plan.width()];
      this.inputBuffer = new InputBuffer(plan);
      this.floatColumns = f32 && plan.columns().stream().allMatch(c -> c.kind() == ScoringPlan.Kind.FLOAT)
          ? plan.columns().stream().mapToInt(ScoringPlan.InputColumn::index).toArray() : null;
      this.arrays = new UnsafeArrayData[outputCount];
      this.arrayWords = new long[outputCount][];
      this.outputs = new Object[outputCount];
      this.perRow = new int[outputCount];
      this.outRow = new SpecificInternalRow(outputFields(plan));
      boolean vectors = plan.columns().stream().anyMatch(c -> c.kind() == ScoringPlan.Kind.VECTOR);
      this.vectorType = vectors ? (UserDefinedType<?>) SQLDataTypes.VectorType() : null;
    }

    @Override
    public boolean hasNext() {
      while (next == count) {
        if (!input.hasNext()) {
          return false;
        }
        scoreNextBatch();
      }
      return true;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException("partition " + partition + " has no more rows");
      }
      int i = next++;
      InternalRow row = rows[i];
      rows[i] = null;
      if (!valid[i]) {
        for (int o = 0; o < outputCount; o++) {
          outRow.setNullAt(o);
        }
      } else {
        int v = validIndex[i];
        for (int o = 0; o < outputCount; o++) {
          write(o, v);
        }
      }
      return joined.apply(row, outRow);
    }

    /** Reads the next batch (skipped rows dropped here) and scores its valid rows in one engine call. */
    private void scoreNextBatch() {
      count = 0;
      next = 0;
      int validCount = 0;
      boolean skip = plan.policy() == InvalidRowPolicy.SKIP;
      while (count < rows.length && input.hasNext()) {
        InternalRow row = input.next();
        boolean ok = readFeatures(row, validCount, position++);
        if (!ok && skip) {
          continue;
        }
        rows[count] = keep(row, count);
        valid[count] = ok;
        validIndex[count++] = ok ? validCount++ : -1;
      }
      if (validCount > 0) {
        run(validCount);
      }
    }

    /**
     * A copy of the row for slot {@code slot} (the upstream iterator may reuse its row object), valid until the
     * batch has been handed out. An {@code UnsafeRow}'s bytes go into one arena per batch, read through a reused
     * {@code UnsafeRow} per slot: no allocation per row.
     */
    private InternalRow keep(InternalRow row, int slot) {
      if (!(row instanceof UnsafeRow u)) {
        return row.copy();
      }
      if (slot == 0) {
        arenaUsed = 0;
      }
      int size = u.getSizeInBytes();
      if (arenaUsed + size > arena.length) {
        // the rows already kept point into the old arena, which they keep alive
        arena = new byte[Math.max(arena.length * 2, arenaUsed + size)];
        arenaUsed = 0;
      }
      Object base = u.getBaseObject();
      if (base instanceof byte[] bytes) {
        System.arraycopy(bytes, (int) (u.getBaseOffset() - Platform.BYTE_ARRAY_OFFSET), arena, arenaUsed, size);
      } else {
        Platform.copyMemory(base, u.getBaseOffset(), arena, Platform.BYTE_ARRAY_OFFSET + arenaUsed, size);
      }
      UnsafeRow kept = kept(slot, u.numFields());
      kept.pointTo(arena, Platform.BYTE_ARRAY_OFFSET + arenaUsed, size);
      arenaUsed += size;
      return kept;
    }

    private UnsafeRow kept(int slot, int fields) {
      UnsafeRow r = keptRows[slot];
      if (r == null || r.numFields() != fields) {
        r = new UnsafeRow(fields);
        keptRows[slot] = r;
      }
      return r;
    }

    private void run(int n) {
      Tensor features = inputBuffer.batch(floats, doubles, n);
      NamedTensors out = predictor.predict(NamedTensors.of(plan.inputName(), features), outputNames);
      SharedModels.countBatch();
      for (int o = 0; o < outputCount; o++) {
        Tensor t = out.get(outputNames.get(o));
        perRow[o] = t.elementCount() / n;
        outputs[o] = switch (t.dtype()) {
          case FLOAT32 -> t.toFloatArray();
          case FLOAT64 -> t.toDoubleArray();
          case INT32 -> t.toIntArray();
          case INT64 -> t.toLongArray();
          default -> throw new IllegalStateException("output dtype " + t.dtype() + " passed the driver's check");
        };
      }
    }

    /** Writes output {@code o} of valid row {@code v} into the output row: a scalar, or its slice as an array. */
    private void write(int o, int v) {
      int per = perRow[o];
      boolean scalar = plan.outputs().get(o).scalar();
      Object all = outputs[o];
      if (all instanceof float[] f) {
        if (scalar) {
          outRow.setFloat(o, f[v]);
        } else {
          outRow.update(o, array(o, f, Platform.FLOAT_ARRAY_OFFSET + (long) v * per * 4, per, 4));
        }
      } else if (all instanceof double[] d) {
        if (scalar) {
          outRow.setDouble(o, d[v]);
        } else {
          outRow.update(o, array(o, d, Platform.DOUBLE_ARRAY_OFFSET + (long) v * per * 8, per, 8));
        }
      } else if (all instanceof int[] ints) {
        if (scalar) {
          outRow.setInt(o, ints[v]);
        } else {
          outRow.update(o, array(o, ints, Platform.INT_ARRAY_OFFSET + (long) v * per * 4, per, 4));
        }
      } else {
        long[] longs = (long[]) all;
        if (scalar) {
          outRow.setLong(o, longs[v]);
        } else {
          outRow.update(o, array(o, longs, Platform.LONG_ARRAY_OFFSET + (long) v * per * 8, per, 8));
        }
      }
    }

    /**
     * Output {@code o}'s array for one row, in {@link UnsafeArrayData}'s layout (as {@code fromPrimitiveArray}
     * makes it) in words reused for every row: valid until the next row, like the row it goes into (Spark's scan
     * projects each row into its own {@code UnsafeRow} at once).
     */
    private UnsafeArrayData array(int o, Object values, long offset, int per, int elementSize) {
      int header = UnsafeArrayData.calculateHeaderPortionInBytes(per);
      long[] words = arrayWords[o];
      UnsafeArrayData array = arrays[o];
      if (words == null || array == null || Platform.getLong(words, Platform.LONG_ARRAY_OFFSET) != per) {
        words = new long[(int) ((header + (long) per * elementSize + 7) / 8)]; // zeros: null bits and padding stay 0
        arrayWords[o] = words;
        array = new UnsafeArrayData();
        arrays[o] = array;
        Platform.putLong(words, Platform.LONG_ARRAY_OFFSET, per);
        array.pointTo(words, Platform.LONG_ARRAY_OFFSET, words.length * 8);
      }
      Platform.copyMemory(values, offset, words, Platform.LONG_ARRAY_OFFSET + header, (long) per * elementSize);
      return array;
    }

    /** Writes a row's features at slot {@code at}; false (or a failure, by policy) if the row cannot be scored. */
    private boolean readFeatures(InternalRow row, int at, long rowPosition) {
      int base = at * plan.width();
      if (floatColumns != null && floats != null && row instanceof UnsafeRow u && !u.anyNull()) {
        // the common case (float columns into a FLOAT32 model, no null in the row): no per-column dispatch
        int[] indexes = floatColumns;
        for (int c = 0; c < indexes.length; c++) {
          floats[base + c] = u.getFloat(indexes[c]);
        }
        return true;
      }
      List<ScoringPlan.InputColumn> columns = plan.columns();
      for (int c = 0; c < columns.size(); c++) {
        ScoringPlan.InputColumn col = columns.get(c);
        int index = col.index();
        if (row.isNullAt(index)) {
          return invalid(rowPosition, col, "is null; expected " + (col.isWhole() ? plan.width() + " numbers" : "a number"));
        }
        switch (col.kind()) {
          case FLOAT -> put(base + c, row.getFloat(index));
          case DOUBLE -> put(base + c, row.getDouble(index));
          case INT -> put(base + c, (double) row.getInt(index));
          case LONG -> put(base + c, (double) row.getLong(index));
          case SHORT -> put(base + c, row.getShort(index));
          case BYTE -> put(base + c, row.getByte(index));
          case VECTOR -> {
            Vector vector = (Vector) vectorType.deserialize(row.getStruct(index, 4));
            if (vector.size() != plan.width()) {
              return invalid(rowPosition, col, "has " + vector.size() + " values; expected " + plan.width());
            }
            for (int j = 0; j < plan.width(); j++) {
              put(base + j, vector.apply(j));
            }
          }
          case FLOAT_ARRAY, DOUBLE_ARRAY -> {
            ArrayData values = row.getArray(index);
            if (values.numElements() != plan.width()) {
              return invalid(rowPosition, col, "has " + values.numElements() + " values; expected " + plan.width());
            }
            boolean f32 = col.kind() == ScoringPlan.Kind.FLOAT_ARRAY;
            for (int j = 0; j < plan.width(); j++) {
              if (values.isNullAt(j)) {
                return invalid(rowPosition, col, "has a null at index " + j + "; expected " + plan.width() + " numbers");
              }
              if (f32) {
                put(base + j, values.getFloat(j));
              } else {
                put(base + j, values.getDouble(j));
              }
            }
          }
          default -> throw new IllegalStateException(col.kind().toString());
        }
      }
      return true;
    }

    private void put(int index, float f) {
      if (floats != null) {
        floats[index] = f;
      } else if (doubles != null) {
        doubles[index] = f;
      }
    }

    private void put(int index, double d) {
      if (floats != null) {
        floats[index] = (float) d;
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

  /** The fields of the row of outputs appended to each input row. */
  private static StructType outputFields(ScoringPlan plan) {
    StructField[] fields = plan.outputSchema().fields();
    return DataTypes.createStructType(Arrays.copyOfRange(fields, fields.length - plan.outputs().size(), fields.length));
  }
}
