package dev.jinfer.flink.example;

import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.flink.AsyncScoringFunction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * generation to its result) at a fixed rate. After a warm-up job, {@code -Dbench.rounds} (3) rounds each run all
 * six variants once, the order rotated by one each round (so no variant always runs first or after the same
 * one); per variant the median of the rounds is reported, and each batching mode's ratio to batching off as the
 * median of the ratios within a round.
 *
 * <pre>
 * flock /tmp/jinfer-build.lock flink/run.sh dev.jinfer.flink.example.FlinkScoringBench fixtures/onnx/fraud.onnx [events/s] [seconds]
 * </pre>
 */
public final class FlinkScoringBench {
  private FlinkScoringBench() {
  }

  /** One job's figures. */
  record Sample(double eventsPerSecond, double p50Millis, double p99Millis) {
  }

  /** A batching mode on a source: unthrottled ({@code rate} 0) or at a fixed rate. */
  record Variant(String batching, long events, double rate, String label) {
    String name() {
      return batching + " / " + label;
    }
  }

  public static void main(String[] args) throws Exception {
    String model = Path.of(args.length > 0 ? args[0] : "fixtures/onnx/fraud.onnx").toAbsolutePath().toString();
    double rate = args.length > 1 ? Double.parseDouble(args[1]) : 2_000;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int rounds = Integer.getInteger("bench.rounds", 3);
    List<Variant> variants = new ArrayList<>();
    for (String batching : new String[] {"off", "on", "adaptive"}) {
      variants.add(new Variant(batching, 200_000, 0, "unthrottled"));
    }
    for (String batching : new String[] {"off", "on", "adaptive"}) {
      variants.add(new Variant(batching, (long) (rate * seconds), rate, "fixed rate " + (long) rate + "/s"));
    }
    run(model, new Variant("off", 20_000, 0, "warm-up"));
    Map<String, List<Sample>> samples = new LinkedHashMap<>();
    List<Map<String, Sample>> byRound = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      Map<String, Sample> round = new LinkedHashMap<>();
      for (int i = 0; i < variants.size(); i++) {
        Variant v = variants.get((i + r) % variants.size());
        Sample s = run(model, v);
        samples.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(s);
        round.put(v.name(), s);
      }
      byRound.add(round);
    }
    System.out.printf(Locale.ROOT, "%nmedians of %d rounds (order rotated each round):%n", rounds);
    System.out.printf(Locale.ROOT, "%-36s %12s %10s %10s %22s%n", "variant", "events/s", "p50 ms", "p99 ms",
        "events/s vs off (range)");
    for (Variant v : variants) {
      List<Sample> list = samples.get(v.name());
      String off = "off / " + v.label();
      List<Double> ratios = new ArrayList<>();
      for (Map<String, Sample> round : byRound) {
        ratios.add(round.get(v.name()).eventsPerSecond() / round.get(off).eventsPerSecond());
      }
      System.out.printf(Locale.ROOT, "%-36s %,12.0f %10.2f %10.2f %9.2fx (%.2f-%.2f)%n", v.name(),
          median(list.stream().map(Sample::eventsPerSecond).toList()), median(list.stream().map(Sample::p50Millis).toList()),
          median(list.stream().map(Sample::p99Millis).toList()), median(ratios), Collections.min(ratios),
          Collections.max(ratios));
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static Sample run(String model, Variant variant) throws Exception {
    String batching = variant.batching();
    long events = variant.events();
    double rate = variant.rate();
    String label = variant.label();
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
    Sample sample = new Sample(n / wall, latencies[n / 2] / 1e6, latencies[(int) (n * 0.99)] / 1e6);
    System.out.printf(Locale.ROOT, "batching %-8s %-22s %,9d events in %5.1f s: %,8.0f events/s, latency p50 %6.2f ms,"
        + " p99 %7.2f ms%n", batching, label, n, wall, sample.eventsPerSecond(), sample.p50Millis(), sample.p99Millis());
    return sample;
  }
}
