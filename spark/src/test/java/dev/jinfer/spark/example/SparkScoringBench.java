package dev.jinfer.spark.example;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.spark.DatasetScorer;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark benchmark of issue 19 (not a test): rows/s of {@code local[2]} scoring 1,000,000 rows against a
 * single-threaded in-process loop over the same rows (same model, batch size and engine threads), in one run.
 * Spark is measured twice: from the Parquet file (read + score, {@code noop} sink) and from the rows cached
 * in memory (score only, like the loop). Each figure is the median of 3 timed runs after one warm-up run.
 *
 * <pre>
 * flock /tmp/jinfer-build.lock spark/run.sh dev.jinfer.spark.example.SparkScoringBench fixtures/onnx/fraud.onnx [rows] [batch]
 * </pre>
 */
public final class SparkScoringBench {
  private SparkScoringBench() {
  }

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args.length > 0 ? args[0] : "fixtures/onnx/fraud.onnx").toAbsolutePath();
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 256;
    int width = FraudTransactions.WIDTH;

    float[] all = new float[rows * width];
    for (int id = 0; id < rows; id++) {
      System.arraycopy(FraudTransactions.features(id), 0, all, id * width, width);
    }
    double loop = median(() -> {
      try (Model m = Model.load(model, LoadOptions.newBuilder().intraOpThreads(1).interOpThreads(1).build());
           Predictor p = m.predictor()) {
        double sum = 0;
        long start = System.nanoTime();
        for (int from = 0; from < rows; from += batch) {
          int n = Math.min(batch, rows - from);
          Tensor in = Tensor.ofFloats(Arrays.copyOfRange(all, from * width, (from + n) * width), n, width);
          sum += p.predict(NamedTensors.of("features", in)).get("probabilities").getFloat(1);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (Double.isNaN(sum)) {
          throw new IllegalStateException("NaN");
        }
        return rows / seconds;
      }
    });
    System.out.printf("in-process loop, 1 thread, batch %d: %,.0f rows/s%n", batch, loop);

    SparkSession spark = SparkSession.builder().master("local[2]").appName("jinfer spark bench")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      String parquet = Path.of(System.getProperty("java.io.tmpdir"), "jinfer-spark-bench-" + rows + ".parquet").toString();
      FraudTransactions.generate(spark, rows, 4).write().mode("overwrite").parquet(parquet);
      DatasetScorer scorer = DatasetScorer.newBuilder(model.toString()).inputCols(FraudTransactions.featureColumns())
          .outputCols("p").batchSize(batch).build();
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
