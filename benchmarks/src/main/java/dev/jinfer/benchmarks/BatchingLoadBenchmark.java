package dev.jinfer.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.batching.BatchingPredictor;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A closed-loop load test of dynamic batching: N callers each send one-row requests back to back (every caller
 * cycles through its own seeded rows, prebuilt before the run) for a warmup and then a measured period, and we
 * report throughput, p50/p99 latency and the <b>process CPU per request</b> of
 * <ul>
 *   <li>{@code direct}: the model's predictor, called concurrently (the ONNX backend's session pool),</li>
 *   <li>{@code batching}: {@link BatchingPredictor} with {@code maxBatchSize} (default 32), {@code maxQueueDelay}
 *       (default 2 ms) and {@code workers}, platform-thread callers blocked in {@code predict},</li>
 *   <li>{@code adaptive}: greedy batching with {@code latencyTarget} (default 5 ms), 4 x {@code maxBatchSize}
 *       as the upper bound of its limit, and the same workers,</li>
 *   <li>{@code async}: the fixed batcher with N logical callers that hold no thread: each completion submits the
 *       caller's next request with {@code predictAsync},</li>
 *   <li>{@code virtual}: the fixed batcher with N virtual-thread callers blocked in {@code predict} (only on a
 *       JDK with virtual threads, 21 or later; skipped on 17),</li>
 *   <li>{@code handoff}: no jinfer batcher, the floor for blocking platform-thread callers: each caller puts a bare
 *       future on a queue and blocks on it; {@code workers} threads take {@code batch} futures at a time, call the
 *       model's predictor once on a prebuilt batch of {@code batch} rows and complete them (no validation,
 *       concatenation, split or meters: the engine at that batch size plus the callers' park and wake-up),</li>
 * </ul>
 * on the fraud MLP ({@code fixtures/onnx/fraud.onnx}, 32-256-256-2), on a wider MLP 256-1024-1024-128 that
 * {@link MlpOnnxWriter} writes at start-up ({@code wide}), on the same architecture exported by PyTorch
 * ({@code widept}, {@code fixtures/generate.py --large DIR}, path in {@code widept=}), and on {@code identity}
 * ({@code fixtures/onnx/dtype_float32.onnx}, y = x), whose engine call costs almost nothing: its CPU per request
 * is the batcher's own. Every configuration runs in the same JVM, one after another, on one loaded model per
 * model file, with the default {@link LoadOptions} (on a 2-CPU machine: two sessions of one intra-op thread).
 *
 * <p>Before the callers, it measures the <b>raw engine ceiling</b> ({@code raw@1}, {@code raw@32}): {@code workers}
 * threads, each with its own ONNX Runtime session (its Java API, no jinfer), one intra-op thread, sending prebuilt
 * direct-buffer batches of 1 and {@code batch} rows, in rows per second. No batcher can beat {@code raw@batch};
 * the last table puts every mode at the highest caller count against it.
 *
 * <p>CPU per request is the process CPU time over the measured period divided by the requests completed in it
 * (all threads: callers, batcher, engine, GC, JIT); "engine" is the batcher's engine time per request in the
 * same period ({@code jinfer.batch.compute}), so the difference is the batcher's own cost (queue, hand-off,
 * park and wake of the callers, concatenation and split). On Linux it also reports the <b>system CPU</b> share
 * (kernel time over user + kernel, {@code /proc/self/stat}) over the same period.
 *
 * <p>This is a load tool, not a JMH benchmark: JMH measures one operation per thread, while what matters here
 * is the whole system's throughput and tail latency at a fixed concurrency. Build, then run from the
 * repository root (one command prints every table):
 *
 * <pre>
 * mvn -B -pl benchmarks -am package -DskipTests
 * /usr/bin/python3 fixtures/generate.py --large /tmp/jinfer-large
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -cp benchmarks/target/benchmarks.jar \
 *     dev.jinfer.benchmarks.BatchingLoadBenchmark seconds=5 warmup=2 callers=64 \
 *     models=identity,fraud,wide,widept widept=/tmp/jinfer-large/wide_mlp.onnx
 * </pre>
 */
public final class BatchingLoadBenchmark {
  private static final int ROWS_PER_CALLER = 64;
  private static final List<String> MODES = List.of("direct", "batching", "adaptive", "async", "virtual", "handoff");

  private BatchingLoadBenchmark() {}

  /** One measured configuration. */
  private record Result(String model, String mode, int callers, double throughput, double p50Ms, double p99Ms,
      double meanBatchRows, double meanComputeMs, double boundMs, double cpuUsPerRequest, double engineUsPerRequest,
      double sysShare) {}

  /** What a run measured: the latencies (sorted) and the process CPU and engine time over the measured period. */
  private record Measured(long[] sortedNanos, long cpuNanos, long engineNanos, long engineCalls, double engineRows,
      OsCounters os) {}

  /** Reads the batcher's engine timer, if there is one. */
  private interface EngineClock {
    EngineClock NONE = new EngineClock() {};

    default long totalNanos() {
      return 0;
    }

    default long calls() {
      return 0;
    }

    default double rows() {
      return 0;
    }
  }

  /**
   * Runs the benchmark.
   *
   * @param args {@code key=value}: seconds, warmup, callers, models, modes, target (ms), batch (rows), delay (ms),
   *     workers, sessions (the ONNX backend's {@code onnx.sessions}), intra (intra-op threads in all), widept (path
   *     of the PyTorch-exported wide MLP), raw (the raw ceiling's batch sizes, or {@code none}), rows (rows per request
   *     of the platform and virtual callers, default 1; the throughput column stays in requests per second)
   * @throws Exception if a model cannot be written or loaded, or a caller fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    opts.put("seconds", "10");
    opts.put("warmup", "3");
    opts.put("callers", "1,16,64");
    opts.put("models", "fraud,wide");
    opts.put("modes", String.join(",", MODES));
    opts.put("target", "5");
    opts.put("batch", "32");
    opts.put("delay", "2");
    opts.put("workers", Integer.toString(LoadOptions.availableCpus()));
    opts.put("sessions", "default");
    opts.put("intra", "default");
    opts.put("widept", "/tmp/jinfer-large/wide_mlp.onnx");
    opts.put("raw", "1,32");
    opts.put("rows", "1");
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
    List<String> modes = List.of(opts.get("modes").split(","));
    for (String m : modes) {
      if (!MODES.contains(m)) {
        throw new IllegalArgumentException("modes: expected some of " + MODES + " but got " + m);
      }
    }
    Duration target = Duration.ofMillis(Long.parseLong(opts.get("target")));
    int maxBatch = Integer.parseInt(opts.get("batch"));
    Duration maxDelay = Duration.ofMillis(Long.parseLong(opts.get("delay")));
    int workers = Integer.parseInt(opts.get("workers"));
    int rowsPerCall = Integer.parseInt(opts.get("rows"));
    int[] rawBatches = opts.get("raw").equals("none") ? new int[0]
        : Arrays.stream(opts.get("raw").split(",")).mapToInt(Integer::parseInt).toArray();
    int cpus = LoadOptions.availableCpus();
    ThreadFactory virtual = virtualThreadFactory();
    System.out.printf(Locale.ROOT, "# %d CPUs, %s %s, measured %d s after %d s warmup per row; virtual threads %s; %s%n",
        cpus, System.getProperty("java.vm.name"), System.getProperty("java.version"), seconds, warmup,
        virtual == null ? "unavailable" : "available", opts);

    List<Result> results = new ArrayList<>();
    List<Result> ceilings = new ArrayList<>();
    for (String name : opts.get("models").split(",")) {
      Path path = switch (name) {
        case "fraud" -> BenchmarkModels.fraud();
        case "wide" -> {
          Path written = MlpOnnxWriter.write(Files.createTempFile("wide_mlp", ".onnx"), 42, 256, 1024, 1024, 128);
          written.toFile().deleteOnExit();
          yield written;
        }
        case "widept" -> {
          Path p = Path.of(opts.get("widept"));
          if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("widept: no file at " + p
                + "; write it with /usr/bin/python3 fixtures/generate.py --large DIR");
          }
          yield p;
        }
        // an engine call that costs almost nothing: what is left is the batcher's own cost per request
        case "identity" -> BenchmarkModels.fraud().resolveSibling("dtype_float32.onnx");
        default -> throw new IllegalArgumentException("models: expected fraud, wide, widept or identity but got " + name);
      };
      for (int rows : rawBatches) {
        Result r = rawCeiling(name, path, rows, workers, warmup, seconds);
        ceilings.add(r);
        print(r);
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
        for (int callers : callerCounts) {
          for (String mode : modes) {
            if (mode.equals("virtual") && virtual == null) {
              continue;
            }
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            Predictor p = switch (mode) {
              case "direct", "handoff" -> model.predictor();
              case "adaptive" -> BatchingPredictor.newBuilder(model.predictor()).maxBatchSize(4 * maxBatch)
                  .maxQueueSize(10_000).workers(workers).latencyTarget(target).meterRegistry(registry).build();
              default -> BatchingPredictor.newBuilder(model.predictor()).maxBatchSize(maxBatch).maxQueueDelay(maxDelay)
                  .maxQueueSize(10_000).workers(workers).meterRegistry(registry).build();
            };
            try {
              EngineClock clock = engineClock(registry);
              Measured m = switch (mode) {
                case "async" -> runAsync((BatchingPredictor) p, input, width, callers, warmup, seconds, clock);
                case "virtual" -> run(p, input, width, rowsPerCall, callers, warmup, seconds, virtual, clock);
                case "handoff" -> runHandoff(p, input, width, maxBatch, workers, callers, warmup, seconds);
                default -> run(p, input, width, rowsPerCall, callers, warmup, seconds, platformThreads(), clock);
              };
              double meanRows = 0;
              double computeMs = 0;
              double bound = Double.NaN;
              if (m.engineCalls() > 0) {
                meanRows = m.engineRows() / m.engineCalls();
                computeMs = m.engineNanos() / 1e6 / m.engineCalls();
                bound = maxDelay.toNanos() / 1e6 + 2 * computeMs;
              }
              Result r = result(name, mode, callers, seconds, m, meanRows, computeMs, bound);
              results.add(r);
              print(r);
              if (mode.equals("adaptive")) {
                System.out.println("  adaptive verdict at the end: " + (((BatchingPredictor) p).stats().direct()
                    ? "direct (batching off for blocking callers)" : "batched"));
              }
            } finally {
              p.close();
            }
          }
        }
      }
    }
    System.out.println();
    System.out.println("| model | callers | mode | throughput (req/s) | vs direct | p50 (ms) | p99 (ms) | mean batch (rows) "
        + "| mean batch time (ms) | p99 <= delay + 2 batch times | CPU us/request | engine us/request | batcher us/request "
        + "| system CPU |");
    System.out.println("|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|");
    for (Result r : results) {
      Result direct = results.stream().filter(d -> d.model().equals(r.model()) && d.callers() == r.callers()
          && d.mode().equals("direct")).findFirst().orElse(null);
      boolean batched = !r.mode().equals("direct");
      System.out.printf(Locale.ROOT, "| %s | %d | %s | %,.0f | %s | %.3f | %.3f | %s | %s | %s | %.1f | %s | %s | %.0f%% |%n",
          r.model(),
          r.callers(), r.mode(), r.throughput(),
          direct == null ? "" : String.format(Locale.ROOT, "%.2fx", r.throughput() / direct.throughput()), r.p50Ms(),
          r.p99Ms(), batched ? String.format(Locale.ROOT, "%.1f", r.meanBatchRows()) : "",
          batched ? String.format(Locale.ROOT, "%.3f", r.meanComputeMs()) : "",
          batched ? (r.p99Ms() <= r.boundMs() ? "yes" : "no") + String.format(Locale.ROOT, " (%.2f ms)", r.boundMs()) : "",
          r.cpuUsPerRequest(), batched ? String.format(Locale.ROOT, "%.1f", r.engineUsPerRequest()) : "",
          batched ? String.format(Locale.ROOT, "%.1f", r.cpuUsPerRequest() - r.engineUsPerRequest()) : "",
          100 * r.sysShare());
    }
    if (ceilings.isEmpty()) {
      return;
    }
    int most = callerCounts[callerCounts.length - 1];
    System.out.println();
    System.out.println("Raw ONNX Runtime ceiling (its Java API, one session per thread, 1 intra-op thread, direct buffers) "
        + "and every mode at " + most + " callers against it:");
    System.out.println();
    System.out.println("| model | raw ceiling | threads | rows/s | CPU us/row | p50 per call (ms) | raw@32 / raw@1 "
        + "| direct / ceiling | best batcher / ceiling | best batcher / direct |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Result c : ceilings) {
      Result one = ceilings.stream().filter(d -> d.model().equals(c.model()) && d.mode().equals("raw@1")).findFirst()
          .orElse(null);
      Result direct = results.stream().filter(d -> d.model().equals(c.model()) && d.callers() == most
          && d.mode().equals("direct")).findFirst().orElse(null);
      double best = results.stream().filter(d -> d.model().equals(c.model()) && d.callers() == most
          && !d.mode().equals("direct") && !d.mode().equals("handoff")).mapToDouble(Result::throughput).max()
          .orElse(Double.NaN);
      System.out.printf(Locale.ROOT, "| %s | %s | %d | %,.0f | %.1f | %.3f | %s | %s | %s | %s |%n", c.model(), c.mode(),
          c.callers(), c.throughput(), c.cpuUsPerRequest(), c.p50Ms(),
          one == null ? "" : String.format(Locale.ROOT, "%.2fx", c.throughput() / one.throughput()),
          direct == null ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * direct.throughput() / c.throughput()),
          Double.isNaN(best) ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * best / c.throughput()),
          direct == null || Double.isNaN(best) ? "" : String.format(Locale.ROOT, "%.2fx", best / direct.throughput()));
    }
  }

  /**
   * The raw engine's ceiling: {@code threads} threads, each with its own session (1 intra-op thread, all graph
   * optimizations, no spinning) sending one prebuilt direct-buffer batch of {@code rows} rows back to back.
   */
  private static Result rawCeiling(String name, Path path, int rows, int threads, int warmupSeconds, int seconds)
      throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    List<OrtSession> sessions = new ArrayList<>();
    try (SessionOptions so = new SessionOptions()) {
      so.setIntraOpNumThreads(1);
      so.setInterOpNumThreads(1);
      so.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
      so.addConfigEntry("session.intra_op.allow_spinning", "0");
      so.addConfigEntry("session.inter_op.allow_spinning", "0");
      for (int i = 0; i < threads; i++) {
        sessions.add(env.createSession(path.toString(), so));
      }
      String input = sessions.get(0).getInputNames().iterator().next();
      long width = ((ai.onnxruntime.TensorInfo) sessions.get(0).getInputInfo().get(input).getInfo()).getShape()[1];
      Caller[] callers = new Caller[threads];
      for (int t = 0; t < threads; t++) {
        OrtSession session = sessions.get(t);
        float[] values = BenchmarkModels.gaussian(rows, (int) width, 7 + t);
        FloatBuffer buffer = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.nativeOrder())
            .asFloatBuffer();
        buffer.put(values).flip();
        long[] shape = {rows, width};
        callers[t] = () -> {
          try (OnnxTensor in = OnnxTensor.createTensor(env, buffer, shape);
               OrtSession.Result out = session.run(Map.of(input, in))) {
            if (out.size() == 0) {
              throw new IllegalStateException("no output");
            }
          } catch (OrtException e) {
            throw new IllegalStateException(e);
          }
        };
      }
      Measured m = drive(callers, warmupSeconds, seconds, platformThreads(), EngineClock.NONE);
      Result r = result(name, "raw@" + rows, threads, seconds, m, rows, Double.NaN, Double.NaN);
      return new Result(r.model(), r.mode(), r.callers(), r.throughput() * rows, r.p50Ms(), r.p99Ms(), rows, r.p50Ms(),
          Double.NaN, r.cpuUsPerRequest() / rows, Double.NaN, r.sysShare());
    } finally {
      for (OrtSession s : sessions) {
        s.close();
      }
    }
  }

  /** One caller's call. */
  private interface Caller {
    void call();
  }

  /** Runs callers on threads from {@code threads}, each sending requests of {@code rowsPerCall} rows. */
  private static Measured run(Predictor p, String input, int width, int rowsPerCall, int callers, int warmupSeconds,
      int seconds, ThreadFactory threads, EngineClock clock) throws Exception {
    Caller[] calls = new Caller[callers];
    for (int c = 0; c < callers; c++) {
      NamedTensors[] rows = rows(input, width, rowsPerCall, c);
      int[] next = {0};
      calls[c] = () -> p.predict(rows[next[0]++ & (ROWS_PER_CALLER - 1)]);
    }
    return drive(calls, warmupSeconds, seconds, threads, clock);
  }

  private static NamedTensors[] rows(String input, int width, int rowsPerCall, int caller) {
    NamedTensors[] rows = new NamedTensors[ROWS_PER_CALLER];
    float[] values = BenchmarkModels.gaussian(ROWS_PER_CALLER * rowsPerCall, width, 1_000 + caller);
    int floats = rowsPerCall * width;
    for (int r = 0; r < ROWS_PER_CALLER; r++) {
      rows[r] = NamedTensors.of(input,
          Tensor.ofFloats(Arrays.copyOfRange(values, r * floats, (r + 1) * floats), rowsPerCall, width));
    }
    return rows;
  }

  /** Runs one thread per caller for the warmup and the measured period; returns every measured latency. */
  private static Measured drive(Caller[] calls, int warmupSeconds, int seconds, ThreadFactory factory,
      EngineClock clock) throws Exception {
    int callers = calls.length;
    CyclicBarrier ready = new CyclicBarrier(callers + 1);
    AtomicReference<Throwable> error = new AtomicReference<>();
    long[][] latencies = new long[callers][];
    int[] counts = new int[callers];
    Flags flags = new Flags();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      int caller = c;
      Caller call = calls[c];
      Thread t = factory.newThread(() -> {
        long[] mine = new long[1 << 16];
        int n = 0;
        try {
          ready.await();
          while (!flags.stop) {
            long start = System.nanoTime();
            call.call();
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
      });
      threads.add(t);
      t.start();
    }
    ready.await(1, TimeUnit.MINUTES);
    Window w = measure(flags, warmupSeconds, seconds, clock);
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
    return w.measured(all);
  }

  /**
   * The floor for blocking platform-thread callers, without jinfer's batcher: each caller puts a bare
   * {@link CompletableFuture} on a locked queue and blocks in {@code join()}; {@code servers} threads, woken when
   * {@code batch} futures are queued, each take them, run the model's predictor once on a prebuilt batch of
   * {@code batch} rows and complete the futures with its output. No validation, concatenation, split, deadline or
   * meter: what is left is the engine at that batch size and the callers' park and wake-up.
   */
  private static Measured runHandoff(Predictor p, String input, int width, int batch, int servers, int callers,
      int warmupSeconds, int seconds) throws Exception {
    java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    java.util.concurrent.locks.Condition full = lock.newCondition();
    java.util.ArrayDeque<CompletableFuture<NamedTensors>> pending = new java.util.ArrayDeque<>();
    NamedTensors in = NamedTensors.of(input, Tensor.ofFloats(BenchmarkModels.gaussian(batch, width, 99), batch, width));
    java.util.concurrent.atomic.LongAdder engineNanos = new java.util.concurrent.atomic.LongAdder();
    java.util.concurrent.atomic.LongAdder calls = new java.util.concurrent.atomic.LongAdder();
    Flags serving = new Flags();
    AtomicReference<Throwable> error = new AtomicReference<>();
    List<Thread> serverThreads = new ArrayList<>();
    for (int s = 0; s < servers; s++) {
      Thread t = new Thread(() -> {
        List<CompletableFuture<NamedTensors>> taken = new ArrayList<>(batch);
        try {
          while (!serving.stop) {
            lock.lock();
            try {
              // woken once per full batch; a partial batch only at the end, when the callers have stopped
              if (pending.size() < batch) {
                full.await(200, TimeUnit.MILLISECONDS);
              }
              while (!pending.isEmpty() && taken.size() < batch) {
                taken.add(pending.poll());
              }
              if (pending.size() >= batch) {
                full.signal();
              }
            } finally {
              lock.unlock();
            }
            if (taken.isEmpty()) {
              continue;
            }
            long t0 = System.nanoTime();
            NamedTensors out = p.predict(in);
            engineNanos.add(System.nanoTime() - t0);
            calls.increment();
            for (CompletableFuture<NamedTensors> f : taken) {
              f.complete(out);
            }
            taken.clear();
          }
        } catch (Throwable e) {
          error.compareAndSet(null, e);
          taken.forEach(f -> f.completeExceptionally(e));
        }
      }, "handoff-server-" + s);
      t.setDaemon(true);
      serverThreads.add(t);
      t.start();
    }
    EngineClock clock = new EngineClock() {
      @Override
      public long totalNanos() {
        return engineNanos.sum();
      }

      @Override
      public long calls() {
        return calls.sum();
      }

      @Override
      public double rows() {
        return calls.sum() * (double) batch;
      }
    };
    Caller[] calls0 = new Caller[callers];
    for (int c = 0; c < callers; c++) {
      calls0[c] = () -> {
        CompletableFuture<NamedTensors> f = new CompletableFuture<>();
        lock.lock();
        try {
          pending.add(f);
          if (pending.size() >= batch) {
            full.signal();
          }
        } finally {
          lock.unlock();
        }
        f.join();
      };
    }
    try {
      return drive(calls0, warmupSeconds, seconds, platformThreads(), clock);
    } finally {
      serving.stop = true;
      for (Thread t : serverThreads) {
        t.join(TimeUnit.SECONDS.toMillis(10));
      }
      if (error.get() != null) {
        throw new IllegalStateException("a hand-off server failed", error.get());
      }
    }
  }

  /**
   * Async callers: {@code callers} logical callers, none holding a thread: each completion records the latency
   * and submits the caller's next request with {@code predictAsync} (on the batcher thread that completed it).
   */
  private static Measured runAsync(BatchingPredictor p, String input, int width, int callers, int warmupSeconds,
      int seconds, EngineClock clock) throws Exception {
    Flags flags = new Flags();
    AtomicReference<Throwable> error = new AtomicReference<>();
    CountDownLatch stopped = new CountDownLatch(callers);
    List<AsyncCaller> all = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      all.add(new AsyncCaller(p, rows(input, width, 1, c), flags, error, stopped));
    }
    for (AsyncCaller c : all) {
      c.next();
    }
    Window w = measure(flags, warmupSeconds, seconds, clock);
    if (!stopped.await(1, TimeUnit.MINUTES)) {
      throw new IllegalStateException("async callers did not stop");
    }
    if (error.get() != null) {
      throw new IllegalStateException("a caller failed", error.get());
    }
    int total = all.stream().mapToInt(c -> c.n).sum();
    long[] sorted = new long[total];
    int at = 0;
    for (AsyncCaller c : all) {
      System.arraycopy(c.latencies, 0, sorted, at, c.n);
      at += c.n;
    }
    Arrays.sort(sorted);
    return w.measured(sorted);
  }

  /** One logical async caller: one request in flight at a time, the next one sent from the completion. */
  private static final class AsyncCaller {
    private final BatchingPredictor p;
    private final NamedTensors[] rows;
    private final Flags flags;
    private final AtomicReference<Throwable> error;
    private final CountDownLatch stopped;
    private long[] latencies = new long[1 << 16];
    private int n;
    private int i;

    AsyncCaller(BatchingPredictor p, NamedTensors[] rows, Flags flags, AtomicReference<Throwable> error,
        CountDownLatch stopped) {
      this.p = p;
      this.rows = rows;
      this.flags = flags;
      this.error = error;
      this.stopped = stopped;
    }

    void next() {
      long start = System.nanoTime();
      CompletableFuture<NamedTensors> f = p.predictAsync(rows[i++ & (ROWS_PER_CALLER - 1)]);
      f.whenComplete((out, e) -> {
        long took = System.nanoTime() - start;
        if (e != null) {
          error.compareAndSet(null, e);
          stopped.countDown();
          return;
        }
        if (flags.measuring && !flags.stop) {
          if (n == latencies.length) {
            latencies = Arrays.copyOf(latencies, n * 2);
          }
          latencies[n++] = took;
        }
        if (flags.stop) {
          stopped.countDown();
        } else {
          next();
        }
      });
    }
  }

  /** The process CPU and engine readings at the start of the measured period, and their deltas at its end. */
  private record Window(long cpuNanos, long engineNanos, long engineCalls, double engineRows, OsCounters os) {
    Measured measured(long[] sorted) {
      return new Measured(sorted, cpuNanos, engineNanos, engineCalls, engineRows, os);
    }
  }

  /** The process's user and system CPU time in clock ticks (Linux {@code /proc/self/stat}; zeros elsewhere). */
  private record OsCounters(long userTicks, long systemTicks) {
    static OsCounters read() {
      try {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after the command: state is field 3 of the line (index 0 here), utime field 14, stime field 15
        return new OsCounters(Long.parseLong(f[11]), Long.parseLong(f[12]));
      } catch (java.io.IOException | RuntimeException e) {
        return new OsCounters(0, 0);
      }
    }

    OsCounters minus(OsCounters start) {
      return new OsCounters(userTicks - start.userTicks, systemTicks - start.systemTicks);
    }
  }

  private static Window measure(Flags flags, int warmupSeconds, int seconds, EngineClock clock)
      throws InterruptedException {
    Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));
    OsCounters os0 = OsCounters.read();
    long cpu0 = processCpuNanos();
    long engine0 = clock.totalNanos();
    long calls0 = clock.calls();
    double rows0 = clock.rows();
    flags.measuring = true;
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    flags.stop = true;
    long cpu = processCpuNanos() - cpu0;
    return new Window(cpu, clock.totalNanos() - engine0, clock.calls() - calls0, clock.rows() - rows0,
        OsCounters.read().minus(os0));
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return 0;
  }

  private static EngineClock engineClock(SimpleMeterRegistry registry) {
    return new EngineClock() {
      @Override
      public long totalNanos() {
        Timer t = registry.find("jinfer.batch.compute").timer();
        return t == null ? 0 : (long) t.totalTime(TimeUnit.NANOSECONDS);
      }

      @Override
      public long calls() {
        Timer t = registry.find("jinfer.batch.compute").timer();
        return t == null ? 0 : t.count();
      }

      @Override
      public double rows() {
        var s = registry.find("jinfer.batch.size").summary();
        return s == null ? 0 : s.totalAmount();
      }
    };
  }

  private static ThreadFactory platformThreads() {
    return r -> new Thread(r, "load-caller");
  }

  /** {@code Thread.ofVirtual().factory()} on a JDK that has it (21+), by reflection: the module builds on 17. */
  private static ThreadFactory virtualThreadFactory() {
    try {
      Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
      Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder");
      return (ThreadFactory) ofVirtual.getMethod("factory").invoke(builder);
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  private static final class Flags {
    volatile boolean measuring;
    volatile boolean stop;
  }

  private static Result result(String model, String mode, int callers, int seconds, Measured m, double meanRows,
      double computeMs, double bound) {
    long[] sorted = m.sortedNanos();
    double p50 = sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.50) - 1)] / 1e6;
    double p99 = sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] / 1e6;
    double cpuUs = sorted.length == 0 ? Double.NaN : m.cpuNanos() / 1e3 / sorted.length;
    double engineUs = sorted.length == 0 ? Double.NaN : m.engineNanos() / 1e3 / sorted.length;
    OsCounters os = m.os();
    long ticks = os.userTicks() + os.systemTicks();
    double sys = ticks == 0 ? Double.NaN : os.systemTicks() / (double) ticks;
    return new Result(model, mode, callers, sorted.length / (double) seconds, p50, p99, meanRows, computeMs, bound, cpuUs,
        engineUs, sys);
  }

  private static void print(Result r) {
    System.out.printf(Locale.ROOT, "%-8s %-9s callers=%-3d %,10.0f req/s  p50 %8.3f ms  p99 %8.3f ms  batch %6.1f rows"
        + "  %7.3f ms  cpu %6.1f us/req  sys %3.0f%%%n", r.model(), r.mode(), r.callers(),
        r.throughput(), r.p50Ms(), r.p99Ms(), r.meanBatchRows(), r.meanComputeMs(), r.cpuUsPerRequest(),
        100 * r.sysShare());
  }
}
