package dev.jinfer.benchmarks;

import dev.jinfer.InferenceException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.serving.ServingChain;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * A soak run (a runnable main, not JMH): does memory stay flat under a long run and across hot swaps?
 *
 * <p><b>Phase 1, predictions.</b> {@code predictions} one-row calls on the fraud model through the full
 * {@link ServingChain} (cache, breaker, batching) of a {@link ModelRegistry}, from {@code callers} threads,
 * over {@code distinct} seeded inputs (so the cache both hits and misses, and evicts). <b>Phase 2, hot
 * swaps.</b> {@code swaps} times: copy a new version directory, reload the registry (the swap: the new
 * version loads, warms and takes traffic, the old one is retired and closes after its last call), delete
 * the old directory; a caller keeps predicting through the registry all along. Heap used (after nothing:
 * as the JVM sees it) and the process RSS ({@code VmRSS} of {@code /proc/self/status}) are sampled every
 * {@code sample} seconds; each phase ends with its samples and the growth of RSS after warm-up (the first
 * {@code warmup} seconds), and the RSS and heap after a full GC every 100 swaps.
 *
 * <pre>{@code
 * flock /tmp/jinfer-build.lock java -Xmx512m -cp benchmarks/target/benchmarks.jar dev.jinfer.benchmarks.SoakBenchmark \
 *     predictions=10000000 swaps=1000 callers=4 distinct=20000 sample=10 warmup=60 maxSeconds=480
 * }</pre>
 * {@code maxSeconds} caps phase 1: if it ends first, the predictions actually made are reported.
 */
public final class SoakBenchmark {
  private SoakBenchmark() {}

  record Sample(String phase, double seconds, long count, double heapMb, double rssMb) {}

  /**
   * Runs both phases and prints the samples and the growth.
   *
   * @param args {@code key=value} options, see the class comment
   * @throws Exception if a phase fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new java.util.HashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      opts.put(a.substring(0, eq), a.substring(eq + 1));
    }
    long predictions = Long.parseLong(opts.getOrDefault("predictions", "10000000"));
    int swaps = Integer.parseInt(opts.getOrDefault("swaps", "1000"));
    int callers = Integer.parseInt(opts.getOrDefault("callers", "4"));
    int distinct = Integer.parseInt(opts.getOrDefault("distinct", "20000"));
    int sampleSeconds = Integer.parseInt(opts.getOrDefault("sample", "10"));
    int warmupSeconds = Integer.parseInt(opts.getOrDefault("warmup", "60"));
    long maxSeconds = Long.parseLong(opts.getOrDefault("maxSeconds", "480"));

    Path root = Files.createTempDirectory("jinfer-soak");
    Path fraud = BenchmarkModels.fraud();
    copyVersion(fraud, root, 1);
    List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    try (ModelRegistry registry = ModelRegistry.newBuilder(root).build()) {
      registry.start();
      NamedTensors[] inputs = new NamedTensors[distinct];
      for (int i = 0; i < distinct; i++) {
        inputs[i] = NamedTensors.of("features", Tensor.ofFloats(
            BenchmarkModels.gaussian(1, BenchmarkModels.FRAUD_FEATURES, i), 1, BenchmarkModels.FRAUD_FEATURES));
      }
      System.out.printf(Locale.ROOT, "soak: %,d predictions, %d callers, %,d distinct inputs; %d swaps; JVM %s, max heap %d MB%n",
          predictions, callers, distinct, swaps, System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20);

      // ---------------------------------------------------------------- phase 1
      AtomicLong done = new AtomicLong();
      LongAdder errors = new LongAdder();
      long start = System.nanoTime();
      ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
      sampler.scheduleAtFixedRate(() -> samples.add(sample("predict", start, done.get())), 0, sampleSeconds, TimeUnit.SECONDS);
      long deadline = start + TimeUnit.SECONDS.toNanos(maxSeconds);
      try (ServingChain chain = ServingChain.newBuilder(registry, "fraud").cache().breaker().batching().build()) {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
          int seed = t;
          Thread thread = new Thread(() -> {
            java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
            while (System.nanoTime() < deadline) {
              long n = done.getAndIncrement();
              if (n >= predictions) {
                done.decrementAndGet();
                return;
              }
              try {
                chain.predict(inputs[random.nextInt(distinct)]);
              } catch (InferenceException e) {
                errors.increment();
              }
            }
          }, "soak-caller-" + t);
          thread.start();
          threads.add(thread);
        }
        for (Thread thread : threads) {
          thread.join();
        }
        System.out.printf(Locale.ROOT, "phase 1: %,d predictions in %.1f s (%,.0f/s), %d errors; cache %s%n", done.get(),
            (System.nanoTime() - start) / 1e9, done.get() / ((System.nanoTime() - start) / 1e9), errors.sum(),
            chain.cache().orElseThrow().stats());
      }
      sampler.shutdown();
      sampler.awaitTermination(10, TimeUnit.SECONDS);
      samples.add(sample("predict", start, done.get()));

      // ---------------------------------------------------------------- phase 2
      System.gc();
      double rssBefore = rssMb();
      List<double[]> swapRss = new ArrayList<>();
      swapRss.add(new double[] {0, rssBefore, heapMb()});
      long swapStart = System.nanoTime();
      AtomicLong swapped = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      LongAdder swapCalls = new LongAdder();
      LongAdder swapErrors = new LongAdder();
      ScheduledExecutorService swapSampler = Executors.newSingleThreadScheduledExecutor();
      swapSampler.scheduleAtFixedRate(() -> samples.add(sample("swap", swapStart, swapped.get())), 0, sampleSeconds,
          TimeUnit.SECONDS);
      Thread caller = new Thread(() -> {
        try (Predictor p = registry.predictor("fraud")) {
          int i = 0;
          while (!stop.get()) {
            try {
              p.predict(inputs[i++ % distinct]);
              swapCalls.increment();
            } catch (InferenceException e) {
              swapErrors.increment();
            }
          }
        }
      }, "soak-swap-caller");
      caller.start();
      for (int v = 2; v <= swaps + 1; v++) {
        copyVersion(fraud, root, v);
        registry.reload();
        String served;
        try (Predictor current = registry.predictor("fraud")) {
          served = current.modelId().version();
        }
        if (!served.equals(Integer.toString(v))) {
          throw new IllegalStateException("after the reload the registry serves version " + served + ", not " + v);
        }
        deleteRecursively(root.resolve("fraud").resolve(Integer.toString(v - 1)));
        if (swapped.incrementAndGet() % 100 == 0) {
          System.gc();
          swapRss.add(new double[] {swapped.get(), rssMb(), heapMb()});
        }
      }
      stop.set(true);
      caller.join();
      registry.reload();
      swapSampler.shutdown();
      swapSampler.awaitTermination(10, TimeUnit.SECONDS);
      samples.add(sample("swap", swapStart, swapped.get()));
      System.gc();
      double rssAfter = rssMb();
      System.out.printf(Locale.ROOT, "phase 2: %d swaps in %.1f s; %,d calls during the swaps, %d errors%n", swapped.get(),
          (System.nanoTime() - swapStart) / 1e9, swapCalls.sum(), swapErrors.sum());

      System.out.println();
      System.out.println("phase,seconds,count,heap_used_mb,rss_mb");
      for (Sample s : List.copyOf(samples)) {
        System.out.printf(Locale.ROOT, "%s,%.0f,%d,%.1f,%.1f%n", s.phase, s.seconds, s.count, s.heapMb, s.rssMb);
      }
      System.out.println();
      System.out.println("swaps,rss_after_gc_mb,heap_used_after_gc_mb");
      for (double[] r : swapRss) {
        System.out.printf(Locale.ROOT, "%.0f,%.1f,%.1f%n", r[0], r[1], r[2]);
      }
      System.out.println();
      growth(samples, "predict", warmupSeconds);
      growth(samples, "swap", 0);
      System.out.printf(Locale.ROOT, "RSS after a full GC: %.1f MB before the swaps, %.1f MB after %d swaps (%+.1f%%)%n",
          rssBefore, rssAfter, swapped.get(), 100 * (rssAfter - rssBefore) / rssBefore);
    } finally {
      deleteRecursively(root);
    }
  }

  /** Prints the RSS of the first sample after warm-up, the last one and the maximum, and the growth. */
  private static void growth(List<Sample> samples, String phase, int warmupSeconds) {
    List<Sample> after = List.copyOf(samples).stream().filter(s -> s.phase.equals(phase) && s.seconds >= warmupSeconds).toList();
    if (after.size() < 2) {
      System.out.printf("%s: too few samples after warm-up%n", phase);
      return;
    }
    Sample first = after.get(0);
    Sample last = after.get(after.size() - 1);
    double max = after.stream().mapToDouble(Sample::rssMb).max().orElseThrow();
    double heapMax = after.stream().mapToDouble(Sample::heapMb).max().orElseThrow();
    System.out.printf(Locale.ROOT, "%s: RSS %.1f MB at %.0f s -> %.1f MB at %.0f s (%+.1f%%), max %.1f MB (%+.1f%%); heap used max %.1f MB%n",
        phase, first.rssMb, first.seconds, last.rssMb, last.seconds, 100 * (last.rssMb - first.rssMb) / first.rssMb, max,
        100 * (max - first.rssMb) / first.rssMb, heapMax);
  }

  private static synchronized Sample sample(String phase, long start, long count) {
    Sample s = new Sample(phase, (System.nanoTime() - start) / 1e9, count, heapMb(), rssMb());
    System.out.printf(Locale.ROOT, "sample %s %.0f s: %d, heap %.1f MB, RSS %.1f MB%n", s.phase, s.seconds, s.count, s.heapMb,
        s.rssMb);
    return s;
  }

  private static double heapMb() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
  }

  /** VmRSS of /proc/self/status, in MB. */
  static double rssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
      throw new IllegalStateException("no VmRSS line in /proc/self/status");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/self/status (Linux only)", e);
    }
  }

  private static void copyVersion(Path model, Path root, int version) throws IOException {
    Path dir = Files.createDirectories(root.resolve("fraud").resolve(Integer.toString(version)));
    Files.copy(model, dir.resolve("model.onnx"));
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
