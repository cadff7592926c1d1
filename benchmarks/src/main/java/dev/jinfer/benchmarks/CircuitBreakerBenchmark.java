package dev.jinfer.benchmarks;

import dev.jinfer.CallOptions;
import dev.jinfer.DType;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.breaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a closed {@link CircuitBreaker} adds to a call: a trivial in-process {@link Predictor} (it returns a
 * precomputed {@link NamedTensors}, so the engine costs nothing and the breaker is all there is to
 * measure) called directly and through {@code breaker.decorate(predictor)}, in the same run.
 *
 * <ul>
 *   <li>{@code direct}: the baseline, the trivial predictor called directly.</li>
 *   <li>{@code breaker}: the same through a closed breaker: permission (one volatile read), two ticker
 *       reads ({@link System#nanoTime()}) to time the call, outcome recorded in the sliding window
 *       ({@code window}: {@code count}, the last 100 calls, or {@code time}, the last 10 s), with or without
 *       Micrometer counters ({@code meters}: {@code none} or {@code simple}, a {@link SimpleMeterRegistry}).</li>
 *   <li>{@code *_2threads}: the same from two threads at once, sharing one breaker (contention on the
 *       window's atomics).</li>
 *   <li>{@code nanoTime}: the clock alone, which the breaker reads twice per call.</li>
 *   <li>{@code windowLockFree} and {@code windowSynchronized}: the count-based window alone, jinfer's
 *       lock-free ring (through {@link CircuitBreaker#onSuccess(long)}) versus a {@code synchronized} ring with the same arithmetic (the design resilience4j
 *       uses), one and two threads.</li>
 * </ul>
 * Build, then run from the repository root:
 *
 * <pre>
 * mvn -B -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar CircuitBreaker -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CircuitBreakerBenchmark {
  private static final ModelId MODEL = new ModelId("trivial", "1");
  private static final ModelSignature SIGNATURE = ModelSignature.of(
      List.of(TensorSpec.of("x", DType.FLOAT32, Shape.DYNAMIC, 2)),
      List.of(TensorSpec.of("y", DType.FLOAT32, Shape.DYNAMIC, 2)));

  /** The trivial predictor and its input, shared by the threads. */
  @State(Scope.Benchmark)
  public static class Direct {
    Predictor predictor;
    NamedTensors inputs;

    /** Builds the predictor and the input. */
    @Setup
    public void setUp() {
      inputs = NamedTensors.of("x", Tensor.ofFloats(new float[] {1f, 2f}, 1, 2));
      predictor = new ConstantPredictor(NamedTensors.of("y", Tensor.ofFloats(new float[] {0.1f, 0.9f}, 1, 2)));
    }
  }

  /** The trivial predictor behind a closed breaker, shared by the threads. */
  @State(Scope.Benchmark)
  public static class Guarded {
    /** {@code count}: the last 100 calls; {@code time}: the calls of the last 10 s. */
    @Param({"count", "time"})
    public String window;

    /** {@code none}: no meters; {@code simple}: Micrometer counters in a {@link SimpleMeterRegistry}. */
    @Param({"none", "simple"})
    public String meters;

    CircuitBreaker breaker;
    Predictor predictor;
    NamedTensors inputs;

    /** Builds the breaker around a fresh trivial predictor. */
    @Setup
    public void setUp() {
      Direct d = new Direct();
      d.setUp();
      CircuitBreaker.Builder b = CircuitBreaker.newBuilder(MODEL);
      if (window.equals("time")) {
        b.timeBasedWindow(Duration.ofSeconds(10));
      } else {
        b.countBasedWindow(100);
      }
      if (meters.equals("simple")) {
        b.meterRegistry(new SimpleMeterRegistry());
      }
      breaker = b.build();
      predictor = breaker.decorate(d.predictor);
      inputs = d.inputs;
    }
  }

  /**
   * The count-based window alone, shared by the threads: jinfer's, reached through the breaker's public
   * outcome hook ({@link CircuitBreaker#onSuccess(long)} on a closed breaker records and judges one call and
   * does nothing else), and a synchronized ring with the same arithmetic.
   */
  @State(Scope.Benchmark)
  public static class Windows {
    CircuitBreaker lockFree;
    SynchronizedCountWindow synchronizedWindow;

    /** Builds both windows with the defaults: 100 calls, 20 at least, 50% failures, 100% slow. */
    @Setup
    public void setUp() {
      lockFree = CircuitBreaker.newBuilder(MODEL).countBasedWindow(100).minimumNumberOfCalls(20)
          .failureRateThreshold(50).slowCallRateThreshold(100).build();
      synchronizedWindow = new SynchronizedCountWindow(100, 20, 50, 100);
    }
  }

  /**
   * The baseline.
   *
   * @param d the predictor
   * @return the outputs
   */
  @Benchmark
  public NamedTensors direct(Direct d) {
    return d.predictor.predict(d.inputs);
  }

  /**
   * Through a closed breaker.
   *
   * @param g the guarded predictor
   * @return the outputs
   */
  @Benchmark
  public NamedTensors breaker(Guarded g) {
    return g.predictor.predict(g.inputs);
  }

  /**
   * The baseline, two threads.
   *
   * @param d the predictor
   * @return the outputs
   */
  @Benchmark
  @Threads(2)
  public NamedTensors direct_2threads(Direct d) {
    return d.predictor.predict(d.inputs);
  }

  /**
   * Through a closed breaker, two threads sharing it.
   *
   * @param g the guarded predictor
   * @return the outputs
   */
  @Benchmark
  @Threads(2)
  public NamedTensors breaker_2threads(Guarded g) {
    return g.predictor.predict(g.inputs);
  }

  /**
   * The clock alone: the breaker reads it twice per call to time it.
   *
   * @return the reading
   */
  @Benchmark
  public long nanoTime() {
    return System.nanoTime();
  }

  /**
   * The clock alone, two threads.
   *
   * @return the reading
   */
  @Benchmark
  @Threads(2)
  public long nanoTime_2threads() {
    return System.nanoTime();
  }

  /**
   * jinfer's lock-free count window: one successful call recorded and judged.
   *
   * @param w the windows
   * @return the verdict
   */
  @Benchmark
  public CircuitBreaker windowLockFree(Windows w) {
    w.lockFree.onSuccess(0);
    return w.lockFree;
  }

  /**
   * A synchronized count window: one successful call recorded and judged.
   *
   * @param w the windows
   * @return the verdict
   */
  @Benchmark
  public int windowSynchronized(Windows w) {
    return w.synchronizedWindow.record(SynchronizedCountWindow.CALL);
  }

  /**
   * jinfer's lock-free count window, two threads.
   *
   * @param w the windows
   * @return the verdict
   */
  @Benchmark
  @Threads(2)
  public CircuitBreaker windowLockFree_2threads(Windows w) {
    w.lockFree.onSuccess(0);
    return w.lockFree;
  }

  /**
   * A synchronized count window, two threads.
   *
   * @param w the windows
   * @return the verdict
   */
  @Benchmark
  @Threads(2)
  public int windowSynchronized_2threads(Windows w) {
    return w.synchronizedWindow.record(SynchronizedCountWindow.CALL);
  }

  /** Returns the same outputs for any input. Thread-safe. */
  static final class ConstantPredictor implements Predictor {
    private final NamedTensors outputs;

    ConstantPredictor(NamedTensors outputs) {
      this.outputs = outputs;
    }

    @Override
    public ModelId modelId() {
      return MODEL;
    }

    @Override
    public ModelSignature signature() {
      return SIGNATURE;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
      return outputs;
    }

    @Override
    public void close() {}
  }

  /**
   * The count window as resilience4j builds it: a ring and three totals under one lock, judged with the
   * breaker's rules (enough calls, then failure or slow rate at or above its threshold). Thread-safe.
   */
  static final class SynchronizedCountWindow {
    static final int CALL = 1;
    static final int FAILED = 2;
    static final int SLOW = 4;
    private final int[] ring;
    private final int minimumCalls;
    private final double failureRate;
    private final double slowRate;
    private int head;
    private int calls;
    private int failures;
    private int slow;

    SynchronizedCountWindow(int size, int minimumCalls, double failureRatePercent, double slowRatePercent) {
      this.ring = new int[size];
      this.minimumCalls = minimumCalls;
      this.failureRate = failureRatePercent;
      this.slowRate = slowRatePercent;
    }

    synchronized int record(int outcome) {
      int evicted = ring[head];
      ring[head] = outcome;
      head = head + 1 == ring.length ? 0 : head + 1;
      calls += (outcome & CALL) - (evicted & CALL);
      failures += ((outcome & FAILED) - (evicted & FAILED)) >> 1;
      slow += ((outcome & SLOW) - (evicted & SLOW)) >> 2;
      if (calls < minimumCalls) {
        return 0;
      }
      return failures * 100.0 >= failureRate * calls || slow * 100.0 >= slowRate * calls ? 1 : 0;
    }
  }
}
