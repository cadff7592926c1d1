package dev.jinfer.flink;

import java.util.Random;

/** The test's events: deterministic transactions, the features drawn from a generator seeded by the id. */
final class Transactions {
  static final int WIDTH = 32;

  private Transactions() {
  }

  /** A transaction (a Flink POJO). */
  public static final class Txn {
    public long id;
    public float[] features = new float[0];

    public Txn() {
    }

    Txn(long id) {
      this.id = id;
      this.features = features(id);
    }
  }

  /** A scored transaction (a Flink POJO). */
  public static final class Scored {
    public long id;
    public float fraudProbability;

    public Scored() {
    }

    Scored(long id, float fraudProbability) {
      this.id = id;
      this.fraudProbability = fraudProbability;
    }
  }

  static float[] features(long id) {
    Random random = new Random(id * 31 + 7);
    float[] f = new float[WIDTH];
    for (int j = 0; j < WIDTH; j++) {
      f[j] = (float) random.nextGaussian();
    }
    return f;
  }
}
