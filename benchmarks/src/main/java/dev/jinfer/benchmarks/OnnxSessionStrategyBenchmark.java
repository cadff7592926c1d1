package dev.jinfer.benchmarks;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.onnx.OnnxBackend;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How the ONNX backend should spread calls over sessions and threads: throughput of
 * {@code predictor.predict} on the fraud MLP with 1 and 2 calling threads, for each strategy, at batch 1
 * and 32. This is the measurement behind the backend's defaults ({@code backend-onnx/README.md}).
 *
 * <ul>
 *   <li>{@code defaults}: no {@code onnx.*} property: what a user gets (one session per CPU up to 4,
 *       the CPUs split across them).</li>
 *   <li>{@code shared}: 1 session, intra-op threads = available CPUs ({@link LoadOptions}' default).</li>
 *   <li>{@code shared1t}: 1 session, 1 intra-op thread.</li>
 *   <li>{@code sharedSpin}: {@code shared} with idle-thread spinning on.</li>
 *   <li>{@code sharedNoArena}: {@code shared} with the CPU arena off.</li>
 *   <li>{@code pool2}: 2 sessions, the CPUs split across them (1 intra-op thread each here).</li>
 *   <li>{@code pool2NoArena}: {@code pool2} with the CPU arena off.</li>
 *   <li>{@code pool2x2}: 2 sessions with 2 intra-op threads each (oversubscribed on 2 CPUs).</li>
 * </ul>
 * Run from the repository root after {@code mvn -B -pl benchmarks -am package -DskipTests}:
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar OnnxSessionStrategy -f 1 -wi 3 -i 5 -w 1s -r 2s
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OnnxSessionStrategyBenchmark {
  /** The strategy, see the class documentation. */
  @Param({"defaults", "shared", "shared1t", "sharedSpin", "sharedNoArena", "pool2", "pool2NoArena", "pool2x2"})
  public String strategy;

  /** Rows per call. */
  @Param({"1", "32"})
  public int batch;

  private Model model;
  private Predictor predictor;
  private NamedTensors inputs;

  /** Loads the model with the strategy's options. */
  @Setup(Level.Trial)
  public void setUp() {
    int cpus = LoadOptions.availableCpus();
    LoadOptions.Builder b = LoadOptions.newBuilder().backend(OnnxBackend.NAME).intraOpThreads(cpus);
    switch (strategy) {
      case "defaults":
        break;
      case "shared":
        b.property(OnnxBackend.SESSIONS, "1");
        break;
      case "shared1t":
        b.property(OnnxBackend.SESSIONS, "1").intraOpThreads(1);
        break;
      case "sharedSpin":
        b.property(OnnxBackend.SESSIONS, "1").property(OnnxBackend.SPINNING, "true");
        break;
      case "sharedNoArena":
        b.property(OnnxBackend.SESSIONS, "1").property(OnnxBackend.CPU_ARENA, "false");
        break;
      case "pool2":
        b.property(OnnxBackend.SESSIONS, "2");
        break;
      case "pool2NoArena":
        b.property(OnnxBackend.SESSIONS, "2").property(OnnxBackend.CPU_ARENA, "false");
        break;
      case "pool2x2":
        b.property(OnnxBackend.SESSIONS, "2").intraOpThreads(2 * cpus);
        break;
      default:
        throw new IllegalArgumentException("unknown strategy " + strategy);
    }
    model = Model.load(BenchmarkModels.fraud(), b.build());
    predictor = model.predictor();
    inputs = NamedTensors.of("features", Tensor.ofFloats(
        BenchmarkModels.gaussian(batch, BenchmarkModels.FRAUD_FEATURES, 11), batch, BenchmarkModels.FRAUD_FEATURES));
  }

  /** Closes the model. */
  @TearDown(Level.Trial)
  public void tearDown() {
    model.close();
  }

  /**
   * One calling thread.
   *
   * @return the outputs
   */
  @Benchmark
  @Threads(1)
  public NamedTensors threads1() {
    return predictor.predict(inputs);
  }

  /**
   * Two calling threads sharing the model.
   *
   * @return the outputs
   */
  @Benchmark
  @Threads(2)
  public NamedTensors threads2() {
    return predictor.predict(inputs);
  }
}
