package dev.jinfer.spark.example;

import dev.jinfer.spark.JinferTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The Spark example: scores a Parquet file of card transactions with the fraud model and writes a new Parquet
 * file of (id, fraud probability, flagged). Writes the input first (synthetic transactions) if it is missing.
 *
 * <pre>
 * spark/run.sh dev.jinfer.spark.example.FraudParquetJob fixtures/onnx/fraud.onnx /tmp/transactions.parquet /tmp/scored.parquet [rows]
 * </pre>
 */
public final class FraudParquetJob {
  private FraudParquetJob() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: FraudParquetJob <model> <input.parquet> <output.parquet> [rows to generate, default 100000]");
      System.exit(2);
    }
    String model = Path.of(args[0]).toAbsolutePath().toString();
    String input = args[1];
    String output = args[2];
    long rows = args.length > 3 ? Long.parseLong(args[3]) : 100_000;
    SparkSession spark = SparkSession.builder().master(System.getProperty("spark.master", "local[2]"))
        .appName("jinfer fraud scoring").config("spark.ui.enabled", "false").getOrCreate();
    try {
      if (!Files.exists(Path.of(input))) {
        FraudTransactions.generate(spark, rows, 4).write().parquet(input);
        System.out.printf("wrote %,d synthetic transactions to %s%n", rows, input);
      }
      Dataset<Row> transactions = spark.read().parquet(input);
      JinferTransformer scorer = new JinferTransformer().setModelLocation(model)
          .setInputCols(FraudTransactions.featureColumns()).setOutputNames("probabilities").setOutputCols("probabilities")
          .setBatchSize(256).setHandleInvalid("keep");
      PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {scorer}).fit(transactions);
      long start = System.nanoTime();
      pipeline.transform(transactions)
          .select(functions.col("id"),
              functions.element_at(functions.col("probabilities"), 2).as("fraud_probability"))
          .withColumn("flagged", functions.col("fraud_probability").geq(0.5))
          .write().mode("overwrite").parquet(output);
      double seconds = (System.nanoTime() - start) / 1e9;
      Dataset<Row> scored = spark.read().parquet(output);
      long total = scored.count();
      long flagged = scored.filter("flagged").count();
      System.out.printf("scored %,d transactions in %.1f s (%,.0f rows/s) into %s; flagged %,d as fraud (p >= 0.5)%n",
          total, seconds, total / seconds, output, flagged);
      scored.orderBy(functions.col("fraud_probability").desc()).show(5);
    } finally {
      spark.stop();
    }
  }
}
