package dev.jinfer.flink.example;

import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.flink.AsyncScoringFunction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * The Flink example: scores a generated stream of card transactions with the fraud model (batched, async)
 * and flags the frauds (probability at least 0.5), on a local MiniCluster.
 *
 * <pre>
 * flink/run.sh dev.jinfer.flink.example.FraudStreamJob fixtures/onnx/fraud.onnx [events, default 20000] [events/s, default 2000]
 * </pre>
 */
public final class FraudStreamJob {
  private FraudStreamJob() {
  }

  public static void main(String[] args) throws Exception {
    String model = Path.of(args.length > 0 ? args[0] : "fixtures/onnx/fraud.onnx").toAbsolutePath().toString();
    long events = args.length > 1 ? Long.parseLong(args[1]) : 20_000;
    double rate = args.length > 2 ? Double.parseDouble(args[2]) : 2_000;

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    DataStream<Transaction> transactions = env.fromSource(new DataGeneratorSource<>(Transaction::generate, events,
        RateLimiterStrategy.perSecond(rate), TypeInformation.of(Transaction.class)), WatermarkStrategy.noWatermarks(),
        "transactions");
    AsyncScoringFunction<Transaction, Alert> scoring = AsyncScoringFunction.newBuilder(model,
            (Transaction t) -> NamedTensors.of("features", Tensor.ofFloats(t.features, 1, Transaction.WIDTH)),
            (t, out) -> new Alert(t.id, out.get("probabilities").getFloat(1), System.nanoTime() - t.createdNanos),
            TypeInformation.of(Alert.class))
        .batching(32, Duration.ofMillis(2)).timeout(Duration.ofSeconds(2)).maxInFlight(256).threads(1).build();
    DataStream<Alert> frauds = scoring.unorderedWait(transactions).filter(a -> a.fraudProbability >= 0.5f);

    List<Alert> flagged = new ArrayList<>();
    long start = System.nanoTime();
    CloseableIterator<Alert> it = frauds.executeAndCollect("jinfer fraud stream");
    try {
      while (it.hasNext()) {
        Alert a = it.next();
        if (flagged.size() < 5) {
          System.out.println("FRAUD " + a);
        }
        flagged.add(a);
      }
    } finally {
      it.close();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("scored %,d transactions in %.1f s; flagged %,d as fraud (p >= 0.5)%n", events, seconds,
        flagged.size());
  }
}
