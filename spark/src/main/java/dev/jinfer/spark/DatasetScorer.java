package dev.jinfer.spark;

import dev.jinfer.DType;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelSignature;
import dev.jinfer.Shape;
import dev.jinfer.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.jspecify.annotations.Nullable;

/**
 * Scores a {@code Dataset<Row>} with a jinfer model, batch by batch inside each partition: the plain Java API
 * that {@link JinferTransformer} is built on.
 *
 * <pre>{@code
 * DatasetScorer scorer = DatasetScorer.newBuilder("/models/fraud.onnx")
 *     .inputCol("features")                  // array<float>, array<double> or an ML vector; or inputCols(..)
 *     .outputCols("probabilities")           // one column per model output, default: the output names
 *     .batchSize(256)
 *     .handleInvalid(InvalidRowPolicy.KEEP)  // null outputs for a null or wrong-length row, counted
 *     .build();
 * ScoredDataset scored = scorer.score(transactions);
 * scored.rows().write().parquet("/out/scored");
 * long invalid = scored.invalidRows().value();
 * }</pre>
 *
 * <p><b>On the driver</b>, {@link #score} checks everything it can before any task runs: the model location is
 * readable (the driver loads the model once, through {@link SharedModels}, to read its signature), every
 * column exists with a usable type, the number of feature columns or the model input's width fits, and the
 * outputs exist with a dtype Spark can hold. Each failure is an {@link InvalidInputException} or a
 * {@link dev.jinfer.ModelLoadException} naming the column or location, what was expected and what came.
 *
 * <p><b>On the executors</b>, each task reads up to {@code batchSize} rows, makes one tensor and one engine
 * call, and appends the outputs to the rows. The model is loaded once per executor JVM and shared by its
 * tasks ({@link SharedModels}); it reaches the executors as a path every executor can read, or as a file
 * added with {@code SparkContext.addFile} (give its file name, or its original path, as the location).
 *
 * <p>Thread-safe and immutable once built; its {@link Builder} is not thread-safe.
 */
public final class DatasetScorer {
  /** Rows per engine call when none is set. */
  public static final int DEFAULT_BATCH_SIZE = 256;

  private final String location;
  private final @Nullable String version;
  private final List<String> inputCols;
  private final @Nullable String inputCol;
  private final @Nullable String inputName;
  private final List<String> outputNames;
  private final List<String> outputCols;
  private final int batchSize;
  private final int threads;
  private final InvalidRowPolicy policy;

  private DatasetScorer(Builder b) {
    this.location = b.location;
    this.version = b.version;
    this.inputCols = b.inputCols;
    this.inputCol = b.inputCol;
    this.inputName = b.inputName;
    this.outputNames = b.outputNames;
    this.outputCols = b.outputCols;
    this.batchSize = b.batchSize;
    this.threads = b.threads;
    this.policy = b.policy;
  }

  /**
   * A builder for a scorer of the model at a location.
   *
   * @param modelLocation a model file or directory every executor can read, or the name of a file added
   *     with {@code SparkContext.addFile}
   * @return a builder
   * @throws NullPointerException if the location is null
   */
  public static Builder newBuilder(String modelLocation) {
    return new Builder(Objects.requireNonNull(modelLocation, "modelLocation"));
  }

  /**
   * Scores a dataset: checks it on the driver, then returns the lazy scored dataset (the input columns
   * followed by one column per output) and the counter of invalid rows. The input is planned now and scored
   * as Catalyst's internal rows; as with {@code Dataset.rdd()}, with adaptive query execution the stages below a
   * shuffle in the input's plan run now rather than at the action.
   *
   * @param dataset the rows to score
   * @return the scored rows (computed when an action runs) and the invalid-row counter
   * @throws InvalidInputException if a column is missing or of the wrong type, or the columns do not fit the
   *     model's signature
   * @throws dev.jinfer.ModelLoadException if the driver cannot read or load the model
   */
  public ScoredDataset score(Dataset<Row> dataset) {
    LongAccumulator invalid = dataset.sparkSession().sparkContext().longAccumulator("jinfer invalid rows: " + location);
    ScoringPlan plan = plan(dataset.schema(), invalid);
    if (dataset instanceof org.apache.spark.sql.classic.Dataset<Row> classic) {
      return new ScoredDataset(scoreInternalRows(classic, plan), invalid);
    }
    return new ScoredDataset(scoreRows(dataset, plan), invalid);
  }

  /**
   * The fast path, on Catalyst's internal rows: the input's physical plan as an {@code RDD[InternalRow]},
   * scored partition by partition ({@link InternalRowScorer}), as a new DataFrame over that RDD. Planning the
   * input happens here, on the driver; nothing runs until an action.
   */
  private static Dataset<Row> scoreInternalRows(org.apache.spark.sql.classic.Dataset<Row> dataset, ScoringPlan plan) {
    RDD<InternalRow> input = dataset.queryExecution().toRdd();
    RDD<InternalRow> scored = input.toJavaRDD().mapPartitions(new InternalRowScorer(plan)).rdd();
    return dataset.sparkSession().internalCreateDataFrame(scored, plan.outputSchema(), false);
  }

  /** The path for a dataset that is not Spark's classic one (Spark Connect): public {@code Row}s. */
  static Dataset<Row> scoreRows(Dataset<Row> dataset, ScoringPlan plan) {
    return dataset.mapPartitions(new PartitionScorer(plan), Encoders.row(plan.outputSchema()));
  }

  /** The plan {@link #score} checks and runs, for tests of the {@code Row} path. */
  ScoringPlan planFor(Dataset<Row> dataset) {
    return plan(dataset.schema(), dataset.sparkSession().sparkContext().longAccumulator("jinfer invalid rows: " + location));
  }

  /**
   * The schema {@link #score} produces for an input schema, after the same driver-side checks.
   *
   * @param input the dataset's schema
   * @return the input fields followed by one nullable field per output
   * @throws InvalidInputException if the schema does not fit the model
   * @throws dev.jinfer.ModelLoadException if the driver cannot read or load the model
   */
  public StructType outputSchema(StructType input) {
    return plan(input, new LongAccumulator()).outputSchema();
  }

  private ScoringPlan plan(StructType schema, LongAccumulator invalid) {
    String v = version != null ? version : ModelFiles.version(ModelFiles.resolve(location));
    ModelSignature signature;
    try (SharedModels.Lease lease = SharedModels.acquire(location, v, threads)) {
      signature = lease.predictor().signature();
    }
    TensorSpec input = input(signature);
    DType type = input.dtype();
    if (type != DType.FLOAT32 && type != DType.FLOAT64) {
      throw new InvalidInputException("model input '" + input.name() + "' is " + input.dtype() + " " + input.shape()
          + "; expected FLOAT32 or FLOAT64 features to score Spark rows");
    }
    Shape shape = input.shape();
    if (shape.rank() < 1 || shape.rank() > 2 || shape.dim(0) != Shape.DYNAMIC) {
      throw new InvalidInputException("model input '" + input.name() + "' is " + input.dtype() + " " + shape
          + "; expected [-1] or [-1, n]: a dynamic batch dimension and at most one feature dimension");
    }
    boolean rankOne = shape.rank() == 1;
    long modelWidth = rankOne ? 1 : shape.dim(1);
    List<ScoringPlan.InputColumn> columns = new ArrayList<>();
    int width;
    if (inputCol != null) {
      ScoringPlan.InputColumn col = column(schema, inputCol, true);
      columns.add(col);
      if (modelWidth == Shape.DYNAMIC || rankOne) {
        throw new InvalidInputException("column '" + inputCol + "': an array or vector column needs a model input of a"
            + " known width, but input '" + input.name() + "' is " + input.dtype() + " " + shape + "; use inputCols");
      }
      width = (int) modelWidth;
    } else {
      for (String name : inputCols) {
        columns.add(column(schema, name, false));
      }
      if (modelWidth != Shape.DYNAMIC && modelWidth != inputCols.size()) {
        throw new InvalidInputException("inputCols: model input '" + input.name() + "' is " + input.dtype() + " " + shape
            + ", expected " + modelWidth + " feature columns but got " + inputCols.size() + " " + inputCols);
      }
      width = inputCols.size();
    }
    List<String> wanted = outputNames.isEmpty() ? signature.outputNames() : outputNames;
    if (!outputCols.isEmpty() && outputCols.size() != wanted.size()) {
      throw new InvalidInputException("outputCols: expected one column per output " + wanted + " but got "
          + outputCols.size() + " " + outputCols);
    }
    List<ScoringPlan.OutputColumn> outputs = new ArrayList<>();
    List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
    for (int i = 0; i < wanted.size(); i++) {
      String name = wanted.get(i);
      TensorSpec spec = signature.output(name).orElseThrow(() -> new InvalidInputException("output '" + name
          + "': not an output of model " + location + "; expected one of " + signature.outputNames()));
      String column = outputCols.isEmpty() ? name : outputCols.get(i);
      if (Arrays.asList(schema.fieldNames()).contains(column)) {
        throw new InvalidInputException("output column '" + column + "': expected a new column name but the dataset"
            + " already has a column of that name; set outputCols");
      }
      DataType element = sparkType(spec);
      boolean scalar = spec.shape().rank() == 1;
      outputs.add(new ScoringPlan.OutputColumn(name, column, spec.dtype(), scalar));
      fields.add(DataTypes.createStructField(column, scalar ? element : DataTypes.createArrayType(element, false), true));
    }
    return new ScoringPlan(location, v, threads, input.name(), type, rankOne, width, List.copyOf(columns),
        List.copyOf(outputs), batchSize, policy, invalid, DataTypes.createStructType(fields));
  }

  private TensorSpec input(ModelSignature signature) {
    if (inputName != null) {
      return signature.input(inputName).orElseThrow(() -> new InvalidInputException("inputName '" + inputName
          + "': not an input of model " + location + "; expected one of " + signature.inputs()));
    }
    if (signature.inputs().size() != 1) {
      throw new InvalidInputException("model " + location + " has inputs " + signature.inputs()
          + "; expected exactly one input (Spark scoring feeds one), or set inputName");
    }
    return signature.inputs().get(0);
  }

  private static ScoringPlan.InputColumn column(StructType schema, String name, boolean whole) {
    String expected = whole ? "an array<float>, array<double> or ML vector column" : "a numeric column";
    if (!Arrays.asList(schema.fieldNames()).contains(name)) {
      throw new InvalidInputException("column '" + name + "': missing; expected " + expected + " but the dataset has "
          + Arrays.toString(schema.fieldNames()));
    }
    int index = schema.fieldIndex(name);
    DataType type = schema.fields()[index].dataType();
    ScoringPlan.Kind kind = kind(type);
    if (kind == null || whole != (kind == ScoringPlan.Kind.FLOAT_ARRAY || kind == ScoringPlan.Kind.DOUBLE_ARRAY
        || kind == ScoringPlan.Kind.VECTOR)) {
      throw new InvalidInputException("column '" + name + "': expected " + expected + " but it is " + type.simpleString());
    }
    return new ScoringPlan.InputColumn(name, index, kind);
  }

  private static ScoringPlan.@Nullable Kind kind(DataType type) {
    if (type.equals(DataTypes.FloatType)) {
      return ScoringPlan.Kind.FLOAT;
    } else if (type.equals(DataTypes.DoubleType)) {
      return ScoringPlan.Kind.DOUBLE;
    } else if (type.equals(DataTypes.IntegerType)) {
      return ScoringPlan.Kind.INT;
    } else if (type.equals(DataTypes.LongType)) {
      return ScoringPlan.Kind.LONG;
    } else if (type.equals(DataTypes.ShortType)) {
      return ScoringPlan.Kind.SHORT;
    } else if (type.equals(DataTypes.ByteType)) {
      return ScoringPlan.Kind.BYTE;
    } else if (type.equals(SQLDataTypes.VectorType())) {
      return ScoringPlan.Kind.VECTOR;
    } else if (type instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType)) {
      return ScoringPlan.Kind.FLOAT_ARRAY;
    } else if (type instanceof ArrayType a && a.elementType().equals(DataTypes.DoubleType)) {
      return ScoringPlan.Kind.DOUBLE_ARRAY;
    }
    return null;
  }

  private DataType sparkType(TensorSpec spec) {
    return switch (spec.dtype()) {
      case FLOAT32 -> DataTypes.FloatType;
      case FLOAT64 -> DataTypes.DoubleType;
      case INT32 -> DataTypes.IntegerType;
      case INT64 -> DataTypes.LongType;
      default -> throw new InvalidInputException("output '" + spec.name() + "' of model " + location + " is "
          + spec.dtype() + " " + spec.shape() + "; expected FLOAT32, FLOAT64, INT32 or INT64 to write it to Spark");
    };
  }

  @Override
  public String toString() {
    return "DatasetScorer[" + location + ", inputs " + (inputCol != null ? inputCol : inputCols) + ", batch " + batchSize
        + ", handleInvalid " + policy.paramValue() + "]";
  }

  /**
   * Builds a {@link DatasetScorer}. Set exactly one of {@link #inputCols(List)} and {@link #inputCol(String)};
   * each option may be set once. Not thread-safe.
   */
  public static final class Builder {
    private final String location;
    private @Nullable String version;
    private List<String> inputCols = List.of();
    private @Nullable String inputCol;
    private @Nullable String inputName;
    private List<String> outputNames = List.of();
    private List<String> outputCols = List.of();
    private int batchSize = DEFAULT_BATCH_SIZE;
    private int threads = 1;
    private InvalidRowPolicy policy = InvalidRowPolicy.ERROR;
    private boolean batchSizeSet;
    private boolean threadsSet;
    private boolean policySet;

    private Builder(String location) {
      this.location = location;
    }

    /**
     * The model's version, the key (with the location) of the model each executor loads once. Default: the
     * file's size and modification time as the driver sees them, so a new file at the same path loads anew.
     *
     * @param version any stable string
     * @return this builder
     * @throws IllegalStateException if set twice
     */
    public Builder modelVersion(String version) {
      requireUnset(this.version, "modelVersion");
      this.version = requireText(version, "modelVersion");
      return this;
    }

    /**
     * Numeric columns (float, double, int, long, short, byte), one feature each, in the model input's order.
     *
     * @param columns the columns
     * @return this builder
     * @throws IllegalStateException if inputCols or inputCol was set before
     * @throws IllegalArgumentException if the list is empty or holds a blank name
     */
    public Builder inputCols(List<String> columns) {
      requireNoInput();
      Objects.requireNonNull(columns, "inputCols");
      if (columns.isEmpty()) {
        throw new IllegalArgumentException("inputCols must name at least one column but was empty");
      }
      columns.forEach(c -> requireText(c, "inputCols"));
      this.inputCols = List.copyOf(columns);
      return this;
    }

    /**
     * Numeric columns, one feature each; see {@link #inputCols(List)}.
     *
     * @param columns the columns
     * @return this builder
     * @throws IllegalStateException if inputCols or inputCol was set before
     * @throws IllegalArgumentException if there are none or one is blank
     */
    public Builder inputCols(String... columns) {
      return inputCols(Arrays.asList(columns));
    }

    /**
     * One column holding each row's features: {@code array<float>}, {@code array<double>} or an ML vector, of
     * the model input's width.
     *
     * @param column the column
     * @return this builder
     * @throws IllegalStateException if inputCols or inputCol was set before
     * @throws IllegalArgumentException if it is blank
     */
    public Builder inputCol(String column) {
      requireNoInput();
      this.inputCol = requireText(column, "inputCol");
      return this;
    }

    /**
     * The model input the features feed; needed only when the model has several inputs.
     *
     * @param name an input of the model's signature
     * @return this builder
     * @throws IllegalStateException if set twice
     */
    public Builder inputName(String name) {
      requireUnset(this.inputName, "inputName");
      this.inputName = requireText(name, "inputName");
      return this;
    }

    /**
     * The model outputs to write, in order; default: all, in signature order.
     *
     * @param names outputs of the model's signature
     * @return this builder
     * @throws IllegalStateException if set twice
     */
    public Builder outputNames(String... names) {
      if (!outputNames.isEmpty()) {
        throw new IllegalStateException("outputNames was already set to " + outputNames);
      }
      Arrays.stream(names).forEach(n -> requireText(n, "outputNames"));
      this.outputNames = List.of(names);
      return this;
    }

    /**
     * The column names of the outputs, one per output; default: the output names.
     *
     * @param columns new column names
     * @return this builder
     * @throws IllegalStateException if set twice
     */
    public Builder outputCols(String... columns) {
      if (!outputCols.isEmpty()) {
        throw new IllegalStateException("outputCols was already set to " + outputCols);
      }
      Arrays.stream(columns).forEach(c -> requireText(c, "outputCols"));
      this.outputCols = List.of(columns);
      return this;
    }

    /**
     * Rows per engine call (default {@value DatasetScorer#DEFAULT_BATCH_SIZE}).
     *
     * @param rows at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     * @throws IllegalStateException if set twice
     */
    public Builder batchSize(int rows) {
      if (batchSizeSet) {
        throw new IllegalStateException("batchSize was already set to " + batchSize);
      }
      if (rows < 1) {
        throw new IllegalArgumentException("batchSize must be > 0 but was " + rows);
      }
      this.batchSize = rows;
      this.batchSizeSet = true;
      return this;
    }

    /**
     * Intra-op threads of the model's engine session in each executor JVM (default 1: Spark already runs one
     * task per core, and the tasks of an executor share the model).
     *
     * @param threads at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     * @throws IllegalStateException if set twice
     */
    public Builder threads(int threads) {
      if (threadsSet) {
        throw new IllegalStateException("threads was already set to " + this.threads);
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be > 0 but was " + threads);
      }
      this.threads = threads;
      this.threadsSet = true;
      return this;
    }

    /**
     * What to do with a row that has a null feature or an array or vector of the wrong length (default
     * {@link InvalidRowPolicy#ERROR}).
     *
     * @param policy the policy
     * @return this builder
     * @throws IllegalStateException if set twice
     */
    public Builder handleInvalid(InvalidRowPolicy policy) {
      if (policySet) {
        throw new IllegalStateException("handleInvalid was already set to " + this.policy.paramValue());
      }
      this.policy = Objects.requireNonNull(policy, "handleInvalid");
      this.policySet = true;
      return this;
    }

    /**
     * @return the scorer
     * @throws IllegalStateException if neither inputCols nor inputCol is set
     */
    public DatasetScorer build() {
      if (inputCol == null && inputCols.isEmpty()) {
        throw new IllegalStateException("set inputCols (numeric columns) or inputCol (an array or vector column)");
      }
      return new DatasetScorer(this);
    }

    private void requireNoInput() {
      if (inputCol != null || !inputCols.isEmpty()) {
        throw new IllegalStateException("inputCols and inputCol were already set: " + (inputCol != null ? inputCol : inputCols)
            + "; set exactly one, once");
      }
    }

    private static void requireUnset(@Nullable Object value, String option) {
      if (value != null) {
        throw new IllegalStateException(option + " was already set to " + value);
      }
    }

    private static String requireText(String value, String option) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(option + " must be a non-blank name but was '" + value + "'");
      }
      return value;
    }
  }
}
