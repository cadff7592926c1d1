package dev.jinfer.benchmarks;

import dev.jinfer.CallOptions;
import dev.jinfer.DType;
import dev.jinfer.Model;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.cache.CachedPredictor;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cache's hit path against the direct predictor on the fraud model, in the same run, and the cost of
 * the key for 32 floats and for a 3x224x224 image.
 *
 * <ul>
 *   <li>{@code fraudDirect}: {@code model.predictor().predict(in)}, the baseline (ONNX Runtime call).
 *   <li>{@code fraudCachedHit}: the same request through a {@code CachedPredictor} that holds it.
 *   <li>{@code keyHit} ({@code floats} = 32 or 150,528): a hit on a trivial delegate, so the time is the key
 *       work of a hit: hashing the input (128-bit), the Caffeine lookup and the exact comparison.
 * </ul>
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar CacheBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CacheBenchmark {

  /** The fraud model, direct and cached (warm: the benchmark input is in the cache). */
  @State(Scope.Benchmark)
  public static class Fraud {
    Model model;
    Predictor direct;
    CachedPredictor cached;
    NamedTensors input;

    @Setup
    public void setUp() {
      model = Model.load(BenchmarkModels.fraud());
      direct = model.predictor();
      cached = CachedPredictor.of(direct, 10_000);
      input = NamedTensors.of("features",
          Tensor.ofFloats(BenchmarkModels.gaussian(1, BenchmarkModels.FRAUD_FEATURES, 42), 1, BenchmarkModels.FRAUD_FEATURES));
      cached.predict(input);
    }

    @TearDown
    public void tearDown() {
      System.out.println("\nfraud cache: " + cached.stats());
      cached.close();
      model.close();
    }
  }

  /** A trivial delegate with one FLOAT32 input of {@code floats} elements, cached and warm. */
  @State(Scope.Benchmark)
  public static class Keys {
    @Param({"32", "150528"})
    int floats;
    CachedPredictor cached;
    NamedTensors input;

    @Setup
    public void setUp() {
      long[] shape = floats == 32 ? new long[] {1, 32} : new long[] {1, 3, 224, 224};
      input = NamedTensors.of("x", Tensor.ofFloats(BenchmarkModels.gaussian(1, floats, 7), shape));
      cached = CachedPredictor.newBuilder(new ConstantPredictor(shape.length)).maxInputBytes(1 << 22).build();
      cached.predict(input);
    }

    @TearDown
    public void tearDown() {
      cached.close();
    }
  }

  @Benchmark
  public NamedTensors fraudDirect(Fraud s) {
    return s.direct.predict(s.input);
  }

  @Benchmark
  public NamedTensors fraudCachedHit(Fraud s) {
    return s.cached.predict(s.input);
  }

  @Benchmark
  public NamedTensors keyHit(Keys s) {
    return s.cached.predict(s.input);
  }

  /** Returns one constant output whatever the input: only the cache's own work is measured. */
  static final class ConstantPredictor implements Predictor {
    private static final NamedTensors OUT = NamedTensors.of("y", Tensor.ofFloats(new float[] {1}, 1));
    private final ModelSignature signature;

    ConstantPredictor(int rank) {
      long[] dims = new long[rank];
      java.util.Arrays.fill(dims, Shape.DYNAMIC);
      signature = ModelSignature.of(List.of(TensorSpec.of("x", DType.FLOAT32, dims)),
          List.of(TensorSpec.of("y", DType.FLOAT32, 1)));
    }

    @Override
    public ModelId modelId() {
      return new ModelId("constant", "1");
    }

    @Override
    public ModelSignature signature() {
      return signature;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
      return OUT;
    }

    @Override
    public void close() {}
  }
}
