package dev.jinfer.benchmarks;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.batching.BatchingPredictor;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A closed-loop load test of dynamic batching: N caller threads each send one-row requests back to back
 * (every caller cycles through its own seeded rows) for a warmup and then a measured period, and we report
 * throughput and p50/p99 latency of
 * <ul>
 *   <li>{@code direct}: the model's predictor, called concurrently (the ONNX backend's session pool),</li>
 *   <li>{@code batching}: {@link BatchingPredictor} with {@code maxBatchSize} (default 32), {@code maxQueueDelay}
 *       (default 2 ms) and {@code workers} (default the CPUs: as many batches in flight as the backend has
 *       sessions),</li>
 *   <li>{@code adaptive}: greedy batching with {@code latencyTarget} (default 5 ms), 4 x {@code maxBatchSize}
 *       as the upper bound of its limit, and the same workers,</li>
 * </ul>
 * at 1, 16 and 64 callers, on the fraud MLP ({@code fixtures/onnx/fraud.onnx}, 32-256-256-2) and on a wider
 * MLP 256-1024-1024-128 that {@link MlpOnnxWriter} writes to a temporary file at start-up (seeded; no
 * committed fixture needed); {@code identity} ({@code fixtures/onnx/dtype_float32.onnx}, y = x, 3 floats a row)
 * leaves only the batcher's own cost per request, for comparison. Every configuration runs in the same JVM, one after another, on one loaded
 * model per model file, with the default {@link LoadOptions} (on a 2-CPU machine: two sessions of one
 * intra-op thread). For each batching row it also prints the mean batch size, the mean engine time per
 * batch, and whether p99 is under {@code maxQueueDelay + 2 x} that time (the issue's latency goal).
 *
 * <p>Before the callers, it measures the engine's own ceiling ({@code ceiling@32}, {@code ceiling@128}):
 * {@code workers} threads each sending whole prebuilt batches of {@code batch} (and {@code 4 x batch}) rows
 * straight to the model's predictor, reported in rows per second. No batcher can beat it, since it is the same
 * engine call with the queueing, concatenation and splitting taken away; the last table puts the best batcher
 * at the highest caller count against it.
 *
 * <p>This is a load tool, not a JMH benchmark: JMH measures one operation per thread, while what matters
 * here is the whole system's throughput and tail latency at a fixed concurrency. Build, then run from the
 * repository root:
 *
 * <pre>
 * mvn -B -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar dev.jinfer.benchmarks.BatchingLoadBenchmark \
 *     seconds=10 warmup=3 callers=1,16,64 models=fraud,wide,identity target=5 batch=32 delay=2 workers=2
 * </pre>
 */
public final class BatchingLoadBenchmark {
  private static final int ROWS_PER_CALLER = 64;

  private BatchingLoadBenchmark() {}

  /** One measured configuration. */
  private record Result(String model, String mode, int callers, double throughput, double p50Ms, double p99Ms,
      double meanBatchRows, double meanComputeMs, double boundMs) {}

  /**
   * Runs the benchmark.
   *
   * @param args {@code key=value}: seconds, warmup, callers, models, target (ms), batch (rows), delay (ms), workers,
   *     sessions (the ONNX backend's {@code onnx.sessions}), intra (intra-op threads in all)
   * @throws Exception if a model cannot be written or loaded, or a caller fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>(Map.of("seconds", "10", "warmup", "3", "callers", "1,16,64",
        "models", "fraud,wide", "target", "5", "batch", "32", "delay", "2",
        "workers", Integer.toString(LoadOptions.availableCpus()), "sessions", "default", "intra", "default"));
    for (String a : args) {
      String[] kv = a.split("=", 2);
      if (kv.length != 2 || !opts.containsKey(kv[0])) {
        throw new IllegalArgumentException("expected key=value with key in " + opts.keySet() + " but got '" + a + "'");
      }
      opts.put(kv[0], kv[1]);
    }
    int seconds = Integer.parseInt(opts.get("seconds"));
    int warmup = Integer.parseInt(opts.get("warmup"));
    int[] callerCounts = Arrays.stream(opts.get("callers").split(",")).mapToInt(Integer::parseInt).toArray();
    Duration target = Duration.ofMillis(Long.parseLong(opts.get("target")));
    int maxBatch = Integer.parseInt(opts.get("batch"));
    Duration maxDelay = Duration.ofMillis(Long.parseLong(opts.get("delay")));
    int workers = Integer.parseInt(opts.get("workers"));
    int cpus = LoadOptions.availableCpus();
    System.out.printf(Locale.ROOT, "# %d CPUs, %s %s, measured %d s after %d s warmup per row; %s%n", cpus,
        System.getProperty("java.vm.name"), System.getProperty("java.version"), seconds, warmup, opts);

    List<Result> results = new ArrayList<>();
    List<Result> ceilings = new ArrayList<>();
    for (String name : opts.get("models").split(",")) {
      Path path;
      if (name.equals("fraud")) {
        path = BenchmarkModels.fraud();
      } else if (name.equals("wide")) {
        path = MlpOnnxWriter.write(Files.createTempFile("wide_mlp", ".onnx"), 42, 256, 1024, 1024, 128);
        path.toFile().deleteOnExit();
      } else if (name.equals("identity")) {
        // an engine call that costs almost nothing: what is left is the batcher's own cost per request
        path = BenchmarkModels.fraud().resolveSibling("dtype_float32.onnx");
      } else {
        throw new IllegalArgumentException("models: expected fraud, wide or identity but got " + name);
      }
      LoadOptions.Builder load = LoadOptions.newBuilder();
      if (!opts.get("sessions").equals("default")) {
        load.property("onnx.sessions", opts.get("sessions"));
      }
      if (!opts.get("intra").equals("default")) {
        load.intraOpThreads(Integer.parseInt(opts.get("intra")));
      }
      try (Model model = Model.load(path, load.build())) {
        String input = model.signature().inputs().get(0).name();
        int width = (int) model.signature().inputs().get(0).shape().dim(1);
        // the engine's own ceiling: `workers` threads each sending whole prebuilt batches straight to the
        // predictor; no batcher can serve more rows per second than this
        for (int rows : new int[] {maxBatch, 4 * maxBatch}) {
          long[] measured = run(model.predictor(), input, width, rows, workers, warmup, seconds);
          Result r = result(name, "ceiling@" + rows, workers, seconds, measured, rows, Double.NaN, Double.NaN);
          r = new Result(r.model(), r.mode(), r.callers(), r.throughput() * rows, r.p50Ms(), r.p99Ms(), rows,
              r.p50Ms(), Double.NaN);
          ceilings.add(r);
          print(r);
        }
        for (int callers : callerCounts) {
          for (String mode : List.of("direct", "batching", "adaptive")) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            Predictor p = switch (mode) {
              case "direct" -> model.predictor();
              case "batching" -> BatchingPredictor.newBuilder(model.predictor()).maxBatchSize(maxBatch).maxQueueDelay(maxDelay)
                  .maxQueueSize(10_000).workers(workers).meterRegistry(registry).build();
              default -> BatchingPredictor.newBuilder(model.predictor()).maxBatchSize(4 * maxBatch).maxQueueSize(10_000)
                  .workers(workers).latencyTarget(target).meterRegistry(registry).build();
            };
            try {
              long[] measured = run(p, input, width, 1, callers, warmup, seconds);
              double meanRows = 0;
              double computeMs = 0;
              double bound = Double.NaN;
              DistributionSummary size = registry.find("jinfer.batch.size").summary();
              Timer compute = registry.find("jinfer.batch.compute").timer();
              if (size != null && compute != null) {
                meanRows = size.mean();
                computeMs = compute.mean(TimeUnit.NANOSECONDS) / 1e6;
                bound = maxDelay.toNanos() / 1e6 + 2 * computeMs;
              }
              Result r = result(name, mode, callers, seconds, measured, meanRows, computeMs, bound);
              results.add(r);
              print(r);
            } finally {
              p.close();
            }
          }
        }
      }
    }
    System.out.println();
    System.out.println("| model | callers | mode | throughput (req/s) | vs direct | p50 (ms) | p99 (ms) | mean batch (rows) "
        + "| mean batch time (ms) | p99 <= delay + 2 batch times |");
    System.out.println("|---|---:|---|---:|---:|---:|---:|---:|---:|---|");
    for (Result r : results) {
      Result direct = results.stream().filter(d -> d.model().equals(r.model()) && d.callers() == r.callers()
          && d.mode().equals("direct")).findFirst().orElseThrow();
      System.out.printf(Locale.ROOT, "| %s | %d | %s | %,.0f | %.2fx | %.3f | %.3f | %s | %s | %s |%n", r.model(), r.callers(),
          r.mode(), r.throughput(), r.throughput() / direct.throughput(), r.p50Ms(), r.p99Ms(),
          r.mode().equals("direct") ? "" : String.format(Locale.ROOT, "%.1f", r.meanBatchRows()),
          r.mode().equals("direct") ? "" : String.format(Locale.ROOT, "%.3f", r.meanComputeMs()),
          r.mode().equals("direct") ? "" : (r.p99Ms() <= r.boundMs() ? "yes" : "no")
              + String.format(Locale.ROOT, " (%.2f ms)", r.boundMs()));
    }
    System.out.println();
    System.out.println("| model | engine ceiling | threads | rows/s | vs direct at " + callerCounts[callerCounts.length - 1]
        + " callers | best batcher / ceiling | p50 per batch (ms) |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|");
    int most = callerCounts[callerCounts.length - 1];
    for (Result c : ceilings) {
      Result direct = results.stream().filter(d -> d.model().equals(c.model()) && d.callers() == most
          && d.mode().equals("direct")).findFirst().orElseThrow();
      double best = results.stream().filter(d -> d.model().equals(c.model()) && d.callers() == most
          && !d.mode().equals("direct")).mapToDouble(Result::throughput).max().orElse(Double.NaN);
      System.out.printf(Locale.ROOT, "| %s | %s | %d | %,.0f | %.2fx | %.0f%% | %.3f |%n", c.model(), c.mode(),
          c.callers(), c.throughput(), c.throughput() / direct.throughput(), 100 * best / c.throughput(), c.p50Ms());
    }
  }

  /** Runs the callers, each sending requests of {@code rowsPerCall} rows; returns every latency in nanoseconds. */
  private static long[] run(Predictor p, String input, int width, int rowsPerCall, int callers, int warmupSeconds,
      int seconds)
      throws Exception {
    CyclicBarrier ready = new CyclicBarrier(callers + 1);
    AtomicReference<Throwable> error = new AtomicReference<>();
    long[][] latencies = new long[callers][];
    int[] counts = new int[callers];
    Flags flags = new Flags();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      int caller = c;
      NamedTensors[] rows = new NamedTensors[ROWS_PER_CALLER];
      float[] values = BenchmarkModels.gaussian(ROWS_PER_CALLER * rowsPerCall, width, 1_000 + caller);
      int floats = rowsPerCall * width;
      for (int r = 0; r < ROWS_PER_CALLER; r++) {
        rows[r] = NamedTensors.of(input,
            Tensor.ofFloats(Arrays.copyOfRange(values, r * floats, (r + 1) * floats), rowsPerCall, width));
      }
      Thread t = new Thread(() -> {
        long[] mine = new long[1 << 16];
        int n = 0;
        try {
          ready.await();
          for (int i = 0; !flags.stop; i++) {
            long start = System.nanoTime();
            p.predict(rows[i & (ROWS_PER_CALLER - 1)]);
            long took = System.nanoTime() - start;
            if (flags.measuring && !flags.stop) {
              if (n == mine.length) {
                mine = Arrays.copyOf(mine, n * 2);
              }
              mine[n++] = took;
            }
          }
        } catch (Throwable e) {
          error.compareAndSet(null, e);
        }
        latencies[caller] = mine;
        counts[caller] = n;
      }, "load-caller-" + c);
      threads.add(t);
      t.start();
    }
    ready.await();
    Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));
    flags.measuring = true;
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    flags.stop = true;
    for (Thread t : threads) {
      t.join();
    }
    if (error.get() != null) {
      throw new IllegalStateException("a caller failed", error.get());
    }
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int c = 0; c < callers; c++) {
      System.arraycopy(latencies[c], 0, all, at, counts[c]);
      at += counts[c];
    }
    Arrays.sort(all);
    return all;
  }

  private static final class Flags {
    volatile boolean measuring;
    volatile boolean stop;
  }

  private static Result result(String model, String mode, int callers, int seconds, long[] sorted, double meanRows,
      double computeMs, double bound) {
    double p50 = sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.50) - 1)] / 1e6;
    double p99 = sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] / 1e6;
    return new Result(model, mode, callers, sorted.length / (double) seconds, p50, p99, meanRows, computeMs, bound);
  }

  private static void print(Result r) {
    System.out.printf(Locale.ROOT, "%-6s %-9s callers=%-3d %,10.0f req/s  p50 %8.3f ms  p99 %8.3f ms  batch %6.1f rows"
        + "  %7.3f ms%n", r.model(), r.mode(), r.callers(), r.throughput(), r.p50Ms(), r.p99Ms(), r.meanBatchRows(),
        r.meanComputeMs());
  }
}
