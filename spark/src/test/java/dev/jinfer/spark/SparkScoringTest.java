package dev.jinfer.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelClosedException;
import dev.jinfer.Model;
import dev.jinfer.ModelLoadException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.spark.SparkException;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scores a real Parquet file (written by the test) in Spark's {@code local[2]} and compares every row with
 * {@link Predictor#predict} on that row alone. One Spark session for the class.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SparkScoringTest {
  private static final int ROWS = 3_000;
  private static final int WIDTH = 32;
  private static final Path FRAUD = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"), "onnx", "fraud.onnx");

  @TempDir
  static Path dir;
  private static SparkSession spark;
  private static Model reference;
  private static Dataset<Row> transactions;
  private static Map<Long, float[]> expected;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("jinfer-spark-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    reference = Model.load(FRAUD);
    Random random = new Random(19);
    List<Row> rows = new ArrayList<>();
    expected = new HashMap<>();
    Predictor predictor = reference.predictor();
    for (long id = 0; id < ROWS; id++) {
      Object[] values = new Object[WIDTH + 2];
      float[] features = new float[WIDTH];
      values[0] = id;
      for (int j = 0; j < WIDTH; j++) {
        features[j] = (float) random.nextGaussian();
        values[j + 1] = features[j];
      }
      values[WIDTH + 1] = floatList(features);
      rows.add(RowFactory.create(values));
      expected.put(id, predictor.predict(NamedTensors.of("features", Tensor.ofFloats(features, 1, WIDTH)))
          .get("probabilities").toFloatArray());
    }
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField("id", DataTypes.LongType, false));
    for (int j = 0; j < WIDTH; j++) {
      fields.add(DataTypes.createStructField("f" + j, DataTypes.FloatType, true));
    }
    fields.add(DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, true), true));
    String parquet = dir.resolve("transactions.parquet").toString();
    spark.createDataFrame(rows, DataTypes.createStructType(fields)).repartition(3).write().parquet(parquet);
    transactions = spark.read().parquet(parquet);
  }

  @AfterAll
  static void stop() {
    SharedModels.closeAll();
    reference.close();
    spark.stop();
  }

  @BeforeEach
  void forgetModels() {
    SharedModels.closeAll();
  }

  private static List<Float> floatList(float[] values) {
    List<Float> list = new ArrayList<>();
    for (float v : values) {
      list.add(v);
    }
    return list;
  }

  private static String[] featureColumns(int n) {
    return IntStream.range(0, n).mapToObj(j -> "f" + j).toArray(String[]::new);
  }

  /** Every id exactly once, and each row's probabilities equal to predict on that row alone. */
  private static void assertScoredLikePredict(List<Row> scored, String column, int expectedRows) {
    assertThat(scored).hasSize(expectedRows);
    Map<Long, Integer> seen = new HashMap<>();
    for (Row row : scored) {
      long id = row.getLong(row.fieldIndex("id"));
      seen.merge(id, 1, Integer::sum);
      List<Float> got = row.getList(row.fieldIndex(column));
      float[] want = expected.get(id);
      assertThat(got).as("row %d", id).hasSize(want.length);
      for (int k = 0; k < want.length; k++) {
        assertThat(got.get(k)).as("row %d, probability %d", id, k).isCloseTo(want[k], org.assertj.core.data.Offset.offset(1e-6f));
      }
    }
    assertThat(seen.values()).as("times each row was scored").allMatch(n -> n == 1);
  }

  @Test
  void transformer_scoresEveryParquetRowOnce_likePredict_inBatches_withOneModelLoadPerJvm() {
    long loads = SharedModels.loads();
    long batches = SharedModels.batches();
    JinferTransformer scorer = new JinferTransformer().setModelLocation(FRAUD.toString())
        .setInputCols(featureColumns(WIDTH)).setOutputCols("p").setBatchSize(100);

    List<Row> scored = scorer.transform(transactions).collectAsList();

    assertScoredLikePredict(scored, "p", ROWS);
    assertThat(SharedModels.loads() - loads).as("model loads in this JVM (driver and both task threads)").isEqualTo(1);
    int partitions = transactions.rdd().getNumPartitions();
    assertThat(SharedModels.batches() - batches).as("engine calls for %d rows in %d partitions", ROWS, partitions)
        .isBetween((long) ROWS / 100, (long) ROWS / 100 + partitions);
  }

  @Test
  void rowPath_forADatasetThatIsNotClassic_scoresAlike() {
    DatasetScorer scorer = DatasetScorer.newBuilder(FRAUD.toString()).inputCols(featureColumns(WIDTH)).outputCols("p")
        .batchSize(100).build();

    List<Row> scored = DatasetScorer.scoreRows(transactions, scorer.planFor(transactions)).collectAsList();

    assertScoredLikePredict(scored, "p", ROWS);
  }

  @Test
  void aNewModelVersion_retiresTheOld_whichClosesWhenItsLastLeaseEnds() throws Exception {
    Path file = dir.resolve("fraud-versions.onnx");
    Files.copy(FRAUD, file, StandardCopyOption.REPLACE_EXISTING);
    NamedTensors one = NamedTensors.of("features", Tensor.ofFloats(new float[WIDTH], 1, WIDTH));
    long closes = SharedModels.closes();

    SharedModels.Lease v1 = SharedModels.acquire(file.toString(), "1", 1);
    SharedModels.Lease v2 = SharedModels.acquire(file.toString(), "2", 1);

    assertThat(SharedModels.size()).as("versions given to new tasks").isEqualTo(1);
    assertThat(SharedModels.closes() - closes).as("v1 is still leased").isZero();
    assertThat(v1.predictor().predict(one).get("probabilities").elementCount()).isEqualTo(2);
    v1.close();
    assertThat(SharedModels.closes() - closes).as("v1 closed by its last release").isEqualTo(1);
    assertThatThrownBy(() -> v1.predictor().predict(one)).isInstanceOf(ModelClosedException.class);
    v2.close();
    assertThat(SharedModels.closes() - closes).as("v2 is current: stays open without leases").isEqualTo(1);
    assertThat(v2.predictor().predict(one).get("probabilities").elementCount()).isEqualTo(2);
  }

  @Test
  void jobsOnANewVersion_closeTheOldVersionsModel() {
    long loads = SharedModels.loads();
    long closes = SharedModels.closes();
    for (String version : new String[] {"a", "b"}) {
      ScoredDataset scored = DatasetScorer.newBuilder(FRAUD.toString()).modelVersion(version).inputCol("features")
          .outputCols("p").build().score(transactions);
      assertScoredLikePredict(scored.rows().collectAsList(), "p", ROWS);
    }

    assertThat(SharedModels.loads() - loads).isEqualTo(2);
    assertThat(SharedModels.closes() - closes).as("version a closed once b loaded").isEqualTo(1);
    assertThat(SharedModels.size()).isEqualTo(1);
  }

  @Test
  void aFloat64Model_getsDoubleIntAndLongColumnsAsDoubles_andWritesEachRowsSliceOfTheOutput() {
    Path identity = FRAUD.resolveSibling("dtype_float64.onnx");
    StructType schema = DataTypes.createStructType(new StructField[] {
        DataTypes.createStructField("x0", DataTypes.DoubleType, false),
        DataTypes.createStructField("x1", DataTypes.IntegerType, false),
        DataTypes.createStructField("x2", DataTypes.LongType, false)});
    List<Row> rows = new ArrayList<>();
    for (int id = 0; id < 100; id++) {
      rows.add(RowFactory.create(id * 0.5, -id, (1L << 53) - id));
    }
    Dataset<Row> input = spark.createDataFrame(rows, schema).repartition(2);

    List<Row> scored = DatasetScorer.newBuilder(identity.toString()).inputCols("x0", "x1", "x2").batchSize(16).build()
        .score(input).rows().collectAsList();

    assertThat(scored).hasSize(100);
    for (Row row : scored) {
      List<Double> y = row.getList(row.fieldIndex("y"));
      assertThat(y).as("y of row %s", row).containsExactly(row.getDouble(0), (double) row.getInt(1), (double) row.getLong(2));
    }
  }

  @Test
  void pipeline_feedsAnAssembledVector_andAnArrayColumnScoresAlike() {
    VectorAssembler assembler = new VectorAssembler().setInputCols(featureColumns(WIDTH)).setOutputCol("vec");
    JinferTransformer scorer = new JinferTransformer().setModelLocation(FRAUD.toString()).setInputCol("vec")
        .setOutputCols("p");
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {assembler, scorer}).fit(transactions);

    assertScoredLikePredict(model.transform(transactions).collectAsList(), "p", ROWS);

    ScoredDataset fromArray = DatasetScorer.newBuilder(FRAUD.toString()).inputCol("features").outputCols("p").build()
        .score(transactions);
    assertScoredLikePredict(fromArray.rows().collectAsList(), "p", ROWS);
    assertThat(fromArray.invalidRows().value()).isZero();
  }

  @Test
  void savedPipeline_loadsWithTheSameParams_andScoresAlike() throws Exception {
    JinferTransformer scorer = new JinferTransformer().setModelLocation(FRAUD.toString()).setInputCol("features")
        .setOutputCols("p").setBatchSize(64).setHandleInvalid("keep");
    String path = dir.resolve("saved-pipeline").toString();
    new Pipeline().setStages(new PipelineStage[] {scorer}).fit(transactions).write().overwrite().save(path);

    PipelineModel loaded = PipelineModel.load(path);
    JinferTransformer stage = (JinferTransformer) loaded.stages()[0];

    assertThat((Integer) stage.getOrDefault(stage.batchSize())).isEqualTo(64);
    assertThat(stage.getOrDefault(stage.handleInvalid())).isEqualTo("keep");
    assertScoredLikePredict(loaded.transform(transactions).collectAsList(), "p", ROWS);
  }

  @Test
  void aFileAddedWithAddFile_isFoundByItsName() throws Exception {
    Path copy = dir.resolve("fraud-distributed.onnx");
    Files.copy(FRAUD, copy);
    spark.sparkContext().addFile(copy.toString());
    Files.delete(copy);

    ScoredDataset scored = DatasetScorer.newBuilder("fraud-distributed.onnx").inputCol("features").outputCols("p")
        .build().score(transactions);

    assertScoredLikePredict(scored.rows().collectAsList(), "p", ROWS);
  }

  private static Dataset<Row> withBadRows() {
    StructType schema = DataTypes.createStructType(new StructField[] {
        DataTypes.createStructField("id", DataTypes.LongType, false),
        DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, true), true)});
    List<Row> rows = new ArrayList<>();
    for (Row r : transactions.select("id", "features").orderBy("id").limit(50).collectAsList()) {
      long id = r.getLong(0);
      List<Float> features = new ArrayList<>(r.getList(1));
      if (id == 7) {
        features = null;
      } else if (id == 20) {
        features.remove(0);
      } else if (id == 33) {
        features.set(5, null);
      }
      rows.add(RowFactory.create(id, features));
    }
    return spark.createDataFrame(rows, schema).coalesce(1);
  }

  @Test
  void badRows_failTheJob_namingThePartitionRowAndColumn_byDefault() {
    Dataset<Row> scored = DatasetScorer.newBuilder(FRAUD.toString()).inputCol("features").build()
        .score(withBadRows()).rows();

    assertThatThrownBy(scored::collectAsList).isInstanceOf(SparkException.class)
        .hasMessageContaining("partition 0, row 7 of the partition: column 'features' is null; expected 32 numbers");
  }

  @Test
  void badRows_keep_writeNullOutputs_andAreCounted() {
    ScoredDataset scored = DatasetScorer.newBuilder(FRAUD.toString()).inputCol("features").outputCols("p")
        .handleInvalid(InvalidRowPolicy.KEEP).batchSize(16).build().score(withBadRows());

    List<Row> rows = scored.rows().collectAsList();

    assertThat(rows).hasSize(50);
    for (Row row : rows) {
      long id = row.getLong(0);
      if (id == 7 || id == 20 || id == 33) {
        assertThat(row.isNullAt(2)).as("row %d", id).isTrue();
      } else {
        assertThat(row.<Float>getList(2).get(1)).as("row %d", id).isEqualTo(expected.get(id)[1], org.assertj.core.data.Offset.offset(1e-6f));
      }
    }
    assertThat(scored.invalidRows().value()).isEqualTo(3);
  }

  @Test
  void badRows_skip_areDropped_andCounted() {
    ScoredDataset scored = DatasetScorer.newBuilder(FRAUD.toString()).inputCol("features")
        .handleInvalid(InvalidRowPolicy.SKIP).build().score(withBadRows());

    List<Row> rows = scored.rows().collectAsList();

    assertThat(rows).extracting(r -> r.getLong(0)).hasSize(47).doesNotContain(7L, 20L, 33L);
    assertThat(scored.invalidRows().value()).isEqualTo(3);
  }

  @Test
  void driver_rejectsAMissingColumn_beforeAnyTask() {
    DatasetScorer scorer = DatasetScorer.newBuilder(FRAUD.toString()).inputCols("f0", "nope").build();

    assertThatThrownBy(() -> scorer.score(transactions)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("column 'nope': missing; expected a numeric column but the dataset has [id, f0,");
  }

  @Test
  void driver_rejectsAColumnOfTheWrongType() {
    Dataset<Row> withText = transactions.withColumn("text", transactions.col("f1").cast("string"));
    DatasetScorer scorer = DatasetScorer.newBuilder(FRAUD.toString()).inputCol("text").build();

    assertThatThrownBy(() -> scorer.score(withText)).isInstanceOf(InvalidInputException.class)
        .hasMessage("column 'text': expected an array<float>, array<double> or ML vector column but it is string");
  }

  @Test
  void driver_rejectsColumnsThatDoNotFitTheSignature() {
    DatasetScorer scorer = DatasetScorer.newBuilder(FRAUD.toString()).inputCols(featureColumns(31)).build();

    assertThatThrownBy(() -> scorer.score(transactions)).isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("inputCols: model input 'features' is FLOAT32 [-1, 32], expected 32 feature columns but got 31");
  }

  @Test
  void driver_rejectsAnOutputColumnThatExists_andAnUnknownOutput() {
    assertThatThrownBy(() -> DatasetScorer.newBuilder(FRAUD.toString()).inputCol("features").outputCols("f3").build()
        .score(transactions)).isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("output column 'f3': expected a new column name");
    assertThatThrownBy(() -> DatasetScorer.newBuilder(FRAUD.toString()).inputCol("features").outputNames("logits").build()
        .score(transactions)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("output 'logits': not an output of model").hasMessageContaining("expected one of [probabilities]");
  }

  @Test
  void driver_rejectsAnUnreadableModelLocation() {
    String missing = dir.resolve("no-such-model.onnx").toString();
    DatasetScorer scorer = DatasetScorer.newBuilder(missing).inputCol("features").build();

    assertThatThrownBy(() -> scorer.score(transactions)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("model location '" + missing + "': expected a model file or directory that this JVM");
  }

  @Test
  void transformer_rejectsABadHandleInvalid_andMissingParams() {
    assertThatThrownBy(() -> new JinferTransformer().setHandleInvalid("ignore"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("handleInvalid must be one of error, keep, skip but was 'ignore'");
    assertThatThrownBy(() -> new JinferTransformer().setInputCol("features").transform(transactions))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("modelLocation must be set");
    assertThatThrownBy(() -> new JinferTransformer().setModelLocation(FRAUD.toString()).transform(transactions))
        .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("set inputCols");
  }
}
