package dev.jinfer.benchmarks;

import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.cache.CacheStats;
import dev.jinfer.cache.CachedPredictor;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Hit ratio versus throughput on the fraud model with a Zipf-distributed stream of requests: {@code distinct}
 * different inputs, the k-th most popular drawn with probability proportional to {@code 1 / k^s}, through a
 * cache of {@code cacheSize} entries; {@code direct} is the same stream without a cache. The hit ratio of
 * the measured iterations is printed at the end of each trial ({@code zipf s=...: hit ratio ...}).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar CacheZipfBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class CacheZipfBenchmark {
  private static final int STREAM = 1 << 20;

  @Param({"0.8", "1.0", "1.2"})
  double s;
  @Param("100000")
  int distinct;
  @Param("10000")
  int cacheSize;

  private Model model;
  private Predictor direct;
  private CachedPredictor cached;
  private NamedTensors[] inputs;
  private int[] stream;
  private int next;
  private CacheStats atStart;

  @Setup
  public void setUp() {
    model = Model.load(BenchmarkModels.fraud());
    direct = model.predictor();
    cached = CachedPredictor.of(direct, cacheSize);
    int f = BenchmarkModels.FRAUD_FEATURES;
    float[] all = BenchmarkModels.gaussian(distinct, f, 1);
    inputs = new NamedTensors[distinct];
    for (int i = 0; i < distinct; i++) {
      float[] row = java.util.Arrays.copyOfRange(all, i * f, (i + 1) * f);
      inputs[i] = NamedTensors.of("features", Tensor.ofFloats(row, 1, f));
    }
    double[] cdf = new double[distinct];
    double sum = 0;
    for (int k = 0; k < distinct; k++) {
      sum += 1 / Math.pow(k + 1, s);
      cdf[k] = sum;
    }
    Random random = new Random(3);
    stream = new int[STREAM];
    for (int i = 0; i < STREAM; i++) {
      int k = java.util.Arrays.binarySearch(cdf, random.nextDouble() * sum);
      stream[i] = Math.min(k < 0 ? -k - 1 : k, distinct - 1);
    }
  }

  @Setup(Level.Iteration)
  public void mark() {
    atStart = cached.stats();
  }

  @TearDown(Level.Iteration)
  public void report() {
    CacheStats now = cached.stats();
    long hits = now.hits() - atStart.hits();
    long misses = now.misses() - atStart.misses();
    if (hits + misses > 0) {
      System.out.printf("%nzipf s=%s: hit ratio %.3f over %d requests%n", s, (double) hits / (hits + misses), hits + misses);
    }
  }

  @TearDown
  public void tearDown() {
    cached.close();
    model.close();
  }

  private NamedTensors nextInput() {
    return inputs[stream[next++ & (STREAM - 1)]];
  }

  @Benchmark
  public NamedTensors cached() {
    return cached.predict(nextInput());
  }

  @Benchmark
  public NamedTensors direct() {
    return direct.predict(nextInput());
  }
}
