package dev.jinfer.spark.example;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.spark.DatasetScorer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.SpecificInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;

/**
 * The Spark benchmark of issue 19 (not a test): rows/s of {@code local[2]} scoring 1,000,000 rows against an
 * in-process loop over the same rows, in one run (same model, batch size, one engine thread per call).
 *
 * <p>The rows are held once in memory as Spark's own row form, an {@link UnsafeRow} per transaction ({@code id}
 * and {@code f0..f31}), in one array of this JVM. The loop reads them from that array: 32 {@code getFloat}s per
 * row into a reused batch, one engine call per batch, and the scored row ({@code UnsafeRow} of the input and the
 * probabilities) built per row, as a Spark task does. Spark reads the same array through an
 * {@code RDD[InternalRow]} whose two partitions are its two halves ({@code local[2]}: same JVM), scores it with
 * {@link DatasetScorer} and writes to the {@code noop} sink. Also measured: the loop on 2 threads (what the 2
 * cores give when nothing else is in the way), the model alone over a {@code float[]} of the features, and Spark
 * from a Parquet file and from its in-memory cache. Each figure is the median of 3 timed runs after a warm-up.
 *
 * <pre>
 * flock /tmp/jinfer-build.lock spark/run.sh dev.jinfer.spark.example.SparkScoringBench fixtures/onnx/fraud.onnx [rows] [batch]
 * </pre>
 */
public final class SparkScoringBench {
  /** The rows in memory, read by the loop and (same JVM in local mode) by Spark's tasks. */
  static volatile UnsafeRow[] memory = new UnsafeRow[0];

  private SparkScoringBench() {
  }

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args.length > 0 ? args[0] : "fixtures/onnx/fraud.onnx").toAbsolutePath();
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 256;
    int width = FraudTransactions.WIDTH;

    float[] all = new float[rows * width];
    UnsafeRow[] mem = new UnsafeRow[rows];
    UnsafeProjection toUnsafe = UnsafeProjection.create(FraudTransactions.schema());
    for (int id = 0; id < rows; id++) {
      float[] f = FraudTransactions.features(id);
      System.arraycopy(f, 0, all, id * width, width);
      Object[] values = new Object[width + 1];
      values[0] = (long) id;
      for (int j = 0; j < width; j++) {
        values[j + 1] = f[j];
      }
      mem[id] = toUnsafe.apply(new GenericInternalRow(values)).copy();
    }
    memory = mem;
    LoadOptions options = LoadOptions.newBuilder().intraOpThreads(1).interOpThreads(1).build();

    double modelOnly;
    double loop;
    double loop2;
    try (Model m = Model.load(model, options); Predictor p = m.predictor()) {
      modelOnly = median(() -> {
        double sum = 0;
        long start = System.nanoTime();
        for (int from = 0; from < rows; from += batch) {
          int n = Math.min(batch, rows - from);
          Tensor in = Tensor.ofFloats(Arrays.copyOfRange(all, from * width, (from + n) * width), n, width);
          sum += p.predict(NamedTensors.of("features", in)).get("probabilities").getFloat(1);
        }
        return check(sum, rows, start);
      });
      loop = median(() -> {
        long start = System.nanoTime();
        return check(scoreRows(p, mem, 0, rows, batch), rows, start);
      });
      ExecutorService two = Executors.newFixedThreadPool(2);
      try {
        loop2 = median(() -> {
          long start = System.nanoTime();
          List<Future<Double>> halves = new ArrayList<>();
          halves.add(two.submit(() -> scoreRows(p, mem, 0, rows / 2, batch)));
          halves.add(two.submit(() -> scoreRows(p, mem, rows / 2, rows, batch)));
          double sum = 0;
          for (Future<Double> h : halves) {
            sum += h.get();
          }
          return check(sum, rows, start);
        });
      } finally {
        two.shutdown();
      }
    }
    System.out.printf("in-process loop, 1 thread, model only (float[] features), batch %d: %,.0f rows/s%n", batch, modelOnly);
    System.out.printf("in-process loop, 1 thread, UnsafeRow[] -> scored UnsafeRows, batch %d: %,.0f rows/s%n", batch, loop);
    System.out.printf("in-process loop, 2 threads, UnsafeRow[] -> scored UnsafeRows, batch %d: %,.0f rows/s (%.2fx the loop)%n",
        batch, loop2, loop2 / loop);

    SparkSession spark = SparkSession.builder().master("local[2]").appName("jinfer spark bench")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      DatasetScorer scorer = DatasetScorer.newBuilder(model.toString()).inputCols(FraudTransactions.featureColumns())
          .outputCols("p").batchSize(batch).build();
      JavaRDD<InternalRow> halves = JavaSparkContext.fromSparkContext(spark.sparkContext())
          .parallelize(List.of(0, 1), 2).mapPartitions((FlatMapFunction<java.util.Iterator<Integer>, InternalRow>) part -> {
            UnsafeRow[] in = memory;
            int half = part.next();
            int from = half == 0 ? 0 : in.length / 2;
            int to = half == 0 ? in.length / 2 : in.length;
            return Arrays.<InternalRow>asList(Arrays.copyOfRange(in, from, to)).iterator();
          });
      Dataset<Row> inMemory = ((org.apache.spark.sql.classic.SparkSession) spark)
          .internalCreateDataFrame(halves.rdd(), FraudTransactions.schema(), false);
      double sparkMemory = median(() -> timeSpark(scorer, inMemory, rows));
      System.out.printf("Spark local[2], the same UnsafeRow[] -> score -> noop, batch %d: %,.0f rows/s (%.2fx the loop,"
          + " %.2fx the model alone)%n", batch, sparkMemory, sparkMemory / loop, sparkMemory / modelOnly);

      String parquet = Path.of(System.getProperty("java.io.tmpdir"), "jinfer-spark-bench-" + rows + ".parquet").toString();
      FraudTransactions.generate(spark, rows, 4).write().mode("overwrite").parquet(parquet);
      Dataset<Row> fromFile = spark.read().parquet(parquet);
      double sparkFile = median(() -> timeSpark(scorer, fromFile, rows));
      System.out.printf("Spark local[2], Parquet -> score -> noop, batch %d: %,.0f rows/s (%.2fx the loop)%n", batch,
          sparkFile, sparkFile / loop);
      Dataset<Row> cached = fromFile.repartition(2).cache();
      cached.count();
      double sparkCached = median(() -> timeSpark(scorer, cached, rows));
      System.out.printf("Spark local[2], cached rows -> score -> noop, batch %d: %,.0f rows/s (%.2fx the loop)%n", batch,
          sparkCached, sparkCached / loop);
    } finally {
      spark.stop();
    }
  }

  /**
   * What a Spark task does, on one thread: reads rows {@code [from, to)}'s features into a reused batch, scores
   * each batch with one call, builds each scored row ({@code UnsafeRow} of the input row and {@code p}).
   */
  static double scoreRows(Predictor p, UnsafeRow[] rows, int from, int to, int batch) {
    int width = FraudTransactions.WIDTH;
    StructType out = FraudTransactions.schema().add("p", DataTypes.createArrayType(DataTypes.FloatType, false), true);
    UnsafeProjection project = UnsafeProjection.create(out);
    SpecificInternalRow outputs = new SpecificInternalRow(new StructType().add("p",
        DataTypes.createArrayType(DataTypes.FloatType, false), true));
    JoinedRow joined = new JoinedRow();
    float[] features = new float[batch * width];
    double sum = 0;
    for (int start = from; start < to; start += batch) {
      // one method call per batch, as a Spark task's iterator makes: the JIT compiles it as a whole method
      // rather than only through on-stack replacement of one long loop, which made the baseline slower
      sum += scoreBatch(p, rows, start, Math.min(batch, to - start), features, project, outputs, joined);
    }
    return sum;
  }

  private static double scoreBatch(Predictor p, UnsafeRow[] rows, int start, int n, float[] features,
      UnsafeProjection project, SpecificInternalRow outputs, JoinedRow joined) {
    int width = FraudTransactions.WIDTH;
    for (int r = 0; r < n; r++) {
      UnsafeRow row = rows[start + r];
      for (int j = 0; j < width; j++) {
        features[r * width + j] = row.getFloat(j + 1);
      }
    }
    Tensor in = Tensor.ofFloats(n * width == features.length ? features : Arrays.copyOf(features, n * width), n, width);
    float[] probabilities = p.predict(NamedTensors.of("features", in)).get("probabilities").toFloatArray();
    double sum = 0;
    for (int r = 0; r < n; r++) {
      outputs.update(0, UnsafeArrayData.fromPrimitiveArray(probabilities, Platform.FLOAT_ARRAY_OFFSET + r * 8, 2, 4));
      sum += project.apply(joined.apply(rows[start + r], outputs)).getArray(width + 1).getFloat(1);
    }
    return sum;
  }

  private static double check(double sum, int rows, long start) {
    double seconds = (System.nanoTime() - start) / 1e9;
    if (Double.isNaN(sum)) {
      throw new IllegalStateException("NaN");
    }
    return rows / seconds;
  }

  private static double timeSpark(DatasetScorer scorer, Dataset<Row> input, int rows) {
    long start = System.nanoTime();
    scorer.score(input).rows().write().format("noop").mode("overwrite").save();
    return rows / ((System.nanoTime() - start) / 1e9);
  }

  interface Run {
    double rowsPerSecond() throws Exception;
  }

  private static double median(Run run) throws Exception {
    run.rowsPerSecond();
    double[] r = {run.rowsPerSecond(), run.rowsPerSecond(), run.rowsPerSecond()};
    Arrays.sort(r);
    return r[1];
  }
}
