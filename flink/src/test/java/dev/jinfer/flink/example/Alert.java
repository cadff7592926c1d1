package dev.jinfer.flink.example;

/** A scored transaction (a Flink POJO): its fraud probability and the time from generation to score. */
public final class Alert {
  public long id;
  public float fraudProbability;
  public long latencyNanos;

  public Alert() {
  }

  Alert(long id, float fraudProbability, long latencyNanos) {
    this.id = id;
    this.fraudProbability = fraudProbability;
    this.latencyNanos = latencyNanos;
  }

  @Override
  public String toString() {
    return String.format("transaction %d: fraud probability %.3f", id, fraudProbability);
  }
}
