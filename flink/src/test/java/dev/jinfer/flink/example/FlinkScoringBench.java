package dev.jinfer.flink.example;

import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.flink.AsyncScoringFunction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * The Flink benchmark of issue 19 (not a test), on a local MiniCluster at parallelism 2, batching off (2 engine
 * threads), on ({@code batching(32, 2 ms)}, one worker) and adaptive ({@code adaptiveBatching(32, 5 ms)}, two workers):
 * events/s with an unthrottled source, and events/s with p50/p99 per-event latency (from the event's
 * generation to its result) at a fixed rate. One run per setting, after a warm-up job.
 *
 * <pre>
 * flock /tmp/jinfer-build.lock flink/run.sh dev.jinfer.flink.example.FlinkScoringBench fixtures/onnx/fraud.onnx [events/s] [seconds]
 * </pre>
 */
public final class FlinkScoringBench {
  private FlinkScoringBench() {
  }

  public static void main(String[] args) throws Exception {
    String model = Path.of(args.length > 0 ? args[0] : "fixtures/onnx/fraud.onnx").toAbsolutePath().toString();
    double rate = args.length > 1 ? Double.parseDouble(args[1]) : 2_000;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    run(model, "off", 20_000, 0, "warm-up");
    for (String batching : new String[] {"off", "on", "adaptive"}) {
      run(model, batching, 200_000, 0, "unthrottled");
      run(model, batching, (long) (rate * seconds), rate, "fixed rate " + (long) rate + "/s");
    }
  }

  private static void run(String model, String batching, long events, double rate, String label) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    RateLimiterStrategy<?> limit = rate > 0 ? RateLimiterStrategy.perSecond(rate) : RateLimiterStrategy.noOp();
    DataStream<Transaction> transactions = env.fromSource(new DataGeneratorSource<>(Transaction::generate, events,
        limit, TypeInformation.of(Transaction.class)), WatermarkStrategy.noWatermarks(), "transactions");
    AsyncScoringFunction.Builder<Transaction, Alert> b = AsyncScoringFunction.newBuilder(model,
            (Transaction t) -> NamedTensors.of("features", Tensor.ofFloats(t.features, 1, Transaction.WIDTH)),
            (t, out) -> new Alert(t.id, out.get("probabilities").getFloat(1), System.nanoTime() - t.createdNanos),
            TypeInformation.of(Alert.class))
        .timeout(Duration.ofSeconds(10)).maxInFlight(256).threads(batching.equals("on") ? 1 : 2);
    if (batching.equals("on")) {
      b.batching(32, Duration.ofMillis(2));
    } else if (batching.equals("adaptive")) {
      b.adaptiveBatching(32, Duration.ofMillis(5));
    }
    long[] latencies = new long[(int) events];
    int n = 0;
    long start = System.nanoTime();
    CloseableIterator<Alert> it = b.build().unorderedWait(transactions).executeAndCollect("jinfer flink bench");
    try {
      while (it.hasNext()) {
        latencies[n++] = it.next().latencyNanos;
      }
    } finally {
      it.close();
    }
    double wall = (System.nanoTime() - start) / 1e9;
    Arrays.sort(latencies, 0, n);
    System.out.printf("batching %-8s %-22s %,9d events in %5.1f s: %,8.0f events/s, latency p50 %6.2f ms, p99 %7.2f ms%n",
        batching, label, n, wall, n / wall, latencies[n / 2] / 1e6, latencies[(int) (n * 0.99)] / 1e6);
  }
}
