package dev.jinfer.spark;

import java.util.Arrays;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@code Transformer} that scores a dataset with a jinfer model, for use alone or as a stage of a
 * {@code Pipeline}. It is a set of params over {@link DatasetScorer}, which does the work (batches per
 * partition, one model per executor JVM, checks on the driver); it can be saved and loaded with a pipeline
 * ({@code DefaultParamsWritable}; the model file itself is not copied, only its location).
 *
 * <pre>{@code
 * JinferTransformer scorer = new JinferTransformer()
 *     .setModelLocation("/models/fraud.onnx")
 *     .setInputCol("features")
 *     .setOutputCols("probabilities")
 *     .setBatchSize(256);
 * Dataset<Row> scored = new Pipeline().setStages(new PipelineStage[] {assembler, scorer}).fit(df).transform(df);
 * }</pre>
 *
 * <p>Params: {@code modelLocation} (required), {@code modelVersion}, {@code inputCols} or {@code inputCol}
 * (exactly one), {@code inputName}, {@code outputNames}, {@code outputCols}, {@code batchSize} (256),
 * {@code threads} (1), {@code handleInvalid} ({@code error}, {@code keep} or {@code skip}; default
 * {@code error}). Rows kept or skipped as invalid are counted in a Spark accumulator named
 * {@code jinfer invalid rows: <location>} (shown in the Spark UI); {@link DatasetScorer#score} returns it.
 *
 * <p>Thread safety: like every Spark ML stage, a transformer is configured on one thread; {@link #transform}
 * may then be called from any thread.
 */
public final class JinferTransformer extends Transformer implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> modelLocation;
  private final Param<String> modelVersion;
  private final StringArrayParam inputCols;
  private final Param<String> inputCol;
  private final Param<String> inputName;
  private final StringArrayParam outputNames;
  private final StringArrayParam outputCols;
  private final IntParam batchSize;
  private final IntParam threads;
  private final Param<String> handleInvalid;

  /** A transformer with a random uid. */
  public JinferTransformer() {
    this(Identifiable$.MODULE$.randomUID("jinfer"));
  }

  /**
   * A transformer with a given uid (Spark's copy and load use it).
   *
   * @param uid the stage's unique id
   */
  public JinferTransformer(String uid) {
    this.uid = uid;
    modelLocation = new Param<>(this, "modelLocation", "model file or directory every executor can read, or a file name added with SparkContext.addFile");
    modelVersion = new Param<>(this, "modelVersion", "model version (default: the file's size and modification time)");
    inputCols = new StringArrayParam(this, "inputCols", "numeric feature columns, in the model input's order");
    inputCol = new Param<>(this, "inputCol", "one array<float>, array<double> or vector column of features");
    inputName = new Param<>(this, "inputName", "the model input to feed (needed when the model has several)");
    outputNames = new StringArrayParam(this, "outputNames", "model outputs to write (default: all)");
    outputCols = new StringArrayParam(this, "outputCols", "column names of the outputs (default: the output names)");
    batchSize = new IntParam(this, "batchSize", "rows per engine call (> 0)");
    threads = new IntParam(this, "threads", "engine intra-op threads per executor JVM (> 0)");
    handleInvalid = new Param<>(this, "handleInvalid", "null or wrong-length rows: error, keep (null outputs, counted) or skip (counted)");
    setDefault(batchSize, DatasetScorer.DEFAULT_BATCH_SIZE);
    setDefault(threads, 1);
    setDefault(handleInvalid, InvalidRowPolicy.ERROR.paramValue());
  }

  @Override
  public String uid() {
    return uid;
  }

  /** @return the param: model location */
  public Param<String> modelLocation() {
    return modelLocation;
  }

  /** @return the param: model version */
  public Param<String> modelVersion() {
    return modelVersion;
  }

  /** @return the param: numeric feature columns */
  public StringArrayParam inputCols() {
    return inputCols;
  }

  /** @return the param: one array or vector feature column */
  public Param<String> inputCol() {
    return inputCol;
  }

  /** @return the param: the model input to feed */
  public Param<String> inputName() {
    return inputName;
  }

  /** @return the param: model outputs to write */
  public StringArrayParam outputNames() {
    return outputNames;
  }

  /** @return the param: output column names */
  public StringArrayParam outputCols() {
    return outputCols;
  }

  /** @return the param: rows per engine call */
  public IntParam batchSize() {
    return batchSize;
  }

  /** @return the param: engine intra-op threads */
  public IntParam threads() {
    return threads;
  }

  /** @return the param: invalid-row policy */
  public Param<String> handleInvalid() {
    return handleInvalid;
  }

  /**
   * @param value a path every executor can read, or a file name added with {@code SparkContext.addFile}
   * @return this transformer
   */
  public JinferTransformer setModelLocation(String value) {
    set(modelLocation, value);
    return this;
  }

  /**
   * @param value the model version
   * @return this transformer
   */
  public JinferTransformer setModelVersion(String value) {
    set(modelVersion, value);
    return this;
  }

  /**
   * @param value numeric feature columns
   * @return this transformer
   */
  public JinferTransformer setInputCols(String... value) {
    set(inputCols, value);
    return this;
  }

  /**
   * @param value an array or vector column of features
   * @return this transformer
   */
  public JinferTransformer setInputCol(String value) {
    set(inputCol, value);
    return this;
  }

  /**
   * @param value the model input to feed
   * @return this transformer
   */
  public JinferTransformer setInputName(String value) {
    set(inputName, value);
    return this;
  }

  /**
   * @param value model outputs to write
   * @return this transformer
   */
  public JinferTransformer setOutputNames(String... value) {
    set(outputNames, value);
    return this;
  }

  /**
   * @param value output column names, one per output
   * @return this transformer
   */
  public JinferTransformer setOutputCols(String... value) {
    set(outputCols, value);
    return this;
  }

  /**
   * @param value rows per engine call
   * @return this transformer
   */
  public JinferTransformer setBatchSize(int value) {
    set(batchSize, value);
    return this;
  }

  /**
   * @param value engine intra-op threads per executor JVM
   * @return this transformer
   */
  public JinferTransformer setThreads(int value) {
    set(threads, value);
    return this;
  }

  /**
   * @param value {@code error}, {@code keep} or {@code skip}
   * @return this transformer
   * @throws IllegalArgumentException if it is another value
   */
  public JinferTransformer setHandleInvalid(String value) {
    set(handleInvalid, InvalidRowPolicy.ofParam(value).paramValue());
    return this;
  }

  /**
   * The {@link DatasetScorer} these params describe.
   *
   * @return a scorer
   * @throws IllegalArgumentException if modelLocation is not set, or a value is out of range
   * @throws IllegalStateException if both or neither of inputCols and inputCol are set
   */
  public DatasetScorer scorer() {
    if (!isDefined(modelLocation)) {
      throw new IllegalArgumentException("modelLocation must be set on " + uid);
    }
    DatasetScorer.Builder b = DatasetScorer.newBuilder($(modelLocation));
    if (isDefined(modelVersion)) {
      b.modelVersion($(modelVersion));
    }
    if (isDefined(inputCols)) {
      b.inputCols(Arrays.asList($(inputCols)));
    }
    if (isDefined(inputCol)) {
      b.inputCol($(inputCol));
    }
    if (isDefined(inputName)) {
      b.inputName($(inputName));
    }
    if (isDefined(outputNames)) {
      b.outputNames($(outputNames));
    }
    if (isDefined(outputCols)) {
      b.outputCols($(outputCols));
    }
    return b.batchSize((Integer) $(batchSize)).threads((Integer) $(threads))
        .handleInvalid(InvalidRowPolicy.ofParam($(handleInvalid))).build();
  }

  /**
   * Scores the dataset; see {@link DatasetScorer#score}.
   *
   * @param dataset the rows to score
   * @return the input columns followed by the output columns
   * @throws dev.jinfer.InvalidInputException if a column is missing, of the wrong type, or does not fit the model
   * @throws dev.jinfer.ModelLoadException if the driver cannot read or load the model
   */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    return scorer().score(dataset.toDF()).rows();
  }

  /**
   * The output schema, after the driver-side checks (the driver loads the model once to read its signature).
   *
   * @param schema the input schema
   * @return the input fields followed by the output fields
   * @throws dev.jinfer.InvalidInputException if the schema does not fit the model
   * @throws dev.jinfer.ModelLoadException if the driver cannot read or load the model
   */
  @Override
  public StructType transformSchema(StructType schema) {
    return scorer().outputSchema(schema);
  }

  @Override
  public JinferTransformer copy(ParamMap extra) {
    return (JinferTransformer) defaultCopy(extra);
  }

  /**
   * The reader of saved transformers (Spark's {@code DefaultParamsReadable} for Java).
   *
   * @return a reader
   */
  public static MLReader<JinferTransformer> read() {
    return new DefaultParamsReader<>();
  }

  /**
   * Loads a transformer saved with {@code write().save(path)}.
   *
   * @param path where it was saved
   * @return the transformer
   */
  public static JinferTransformer load(String path) {
    return read().load(path);
  }
}
