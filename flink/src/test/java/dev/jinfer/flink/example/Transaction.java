package dev.jinfer.flink.example;

import java.util.SplittableRandom;

/** A card transaction of the generated stream (a Flink POJO): an id, 32 features and when it was generated. */
public final class Transaction {
  public static final int WIDTH = 32;

  public long id;
  public long createdNanos;
  public float[] features = new float[0];

  public Transaction() {
  }

  /** Transaction {@code id}: standard normal features from a generator seeded by the id, stamped now. */
  public static Transaction generate(long id) {
    Transaction t = new Transaction();
    t.id = id;
    SplittableRandom random = new SplittableRandom(id * 1_000_003L + 19);
    t.features = new float[WIDTH];
    for (int j = 0; j < WIDTH; j++) {
      double u = 1 - random.nextDouble();
      double v = random.nextDouble();
      t.features[j] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    }
    t.createdNanos = System.nanoTime();
    return t;
  }
}
