package dev.jinfer.spark.example;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Synthetic card transactions for the example and the benchmark: an id and 32 float features f0..f31. */
final class FraudTransactions {
  static final int WIDTH = 32;

  private FraudTransactions() {
  }

  static StructType schema() {
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField("id", DataTypes.LongType, false));
    for (int j = 0; j < WIDTH; j++) {
      fields.add(DataTypes.createStructField("f" + j, DataTypes.FloatType, false));
    }
    return DataTypes.createStructType(fields);
  }

  static String[] featureColumns() {
    String[] names = new String[WIDTH];
    for (int j = 0; j < WIDTH; j++) {
      names[j] = "f" + j;
    }
    return names;
  }

  /** The features of transaction {@code id}: standard normal, from a generator seeded by the id. */
  static float[] features(long id) {
    SplittableRandom random = new SplittableRandom(id * 1_000_003L + 19);
    float[] f = new float[WIDTH];
    for (int j = 0; j < WIDTH; j++) {
      // Box-Muller from two uniforms: deterministic per id, no shared state between partitions
      double u = 1 - random.nextDouble();
      double v = random.nextDouble();
      f[j] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    }
    return f;
  }

  /** {@code rows} transactions generated inside Spark's tasks (nothing collected on the driver). */
  static Dataset<Row> generate(SparkSession spark, long rows, int partitions) {
    return spark.range(0, rows, 1, partitions).map((org.apache.spark.api.java.function.MapFunction<Long, Row>) id -> {
      float[] f = features(id);
      Object[] values = new Object[WIDTH + 1];
      values[0] = id;
      for (int j = 0; j < WIDTH; j++) {
        values[j + 1] = f[j];
      }
      return RowFactory.create(values);
    }, Encoders.row(schema()));
  }
}
