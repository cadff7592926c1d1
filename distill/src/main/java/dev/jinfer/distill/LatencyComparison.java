package dev.jinfer.distill;

import dev.jinfer.InvalidInputException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Times a teacher and its student through jinfer in one run, at several batch sizes: both models are loaded
 * with the same {@link LoadOptions}, warmed up, then called in alternating blocks of {@link Builder#blockCalls
 * blockCalls} consecutive calls (teacher block first, then student, then student first, and so on), so that
 * both see the same machine load over the run while each block runs the way a model served on its own does:
 * with its weights in the CPU caches. Every call is timed and the median and 90th percentile per model and
 * batch size are reported, with the teacher / student ratio of the medians and the paired ratio: the median,
 * over pairs of adjacent blocks, of the teacher block's median over the student block's, which holds when the
 * machine's speed drifts during the run (a shared or busy host slows both blocks of a pair alike). A block of 1 alternates call by call, which
 * measures a process that serves both models in turn: the teacher's weights then evict the student's working
 * set before each student call.
 *
 * <pre>{@code
 * List<LatencyComparison.Latency> l = LatencyComparison.newBuilder().batchSizes(1, 32).build()
 *     .measure(Path.of("teacher.onnx"), Path.of("student.onnx"), data);
 * }</pre>
 *
 * <p>Immutable and thread-safe; {@link #measure} calls the models from the calling thread only.
 */
public final class LatencyComparison {
  /**
   * The latency of both models at one batch size.
   *
   * @param batchSize rows per call
   * @param calls timed calls per model
   * @param teacherMedianMicros the teacher's median call time, microseconds
   * @param teacherP90Micros the teacher's 90th percentile
   * @param studentMedianMicros the student's median call time
   * @param studentP90Micros the student's 90th percentile
   * @param pairedSpeedup the median over pairs of adjacent blocks of the teacher block's median time divided by
   *     the student block's: how many times faster the student is, robust to the machine's speed drifting
   */
  public record Latency(int batchSize, int calls, double teacherMedianMicros, double teacherP90Micros,
      double studentMedianMicros, double studentP90Micros, double pairedSpeedup) {
    /** @return how many times lower the student's median over all calls is than the teacher's */
    public double speedup() {
      return teacherMedianMicros / studentMedianMicros;
    }
  }

  private final int[] batchSizes;
  private final int calls;
  private final int warmupCalls;
  private final int blockCalls;
  private final LoadOptions loadOptions;

  private LatencyComparison(Builder b) {
    batchSizes = b.batchSizes.clone();
    calls = b.calls;
    warmupCalls = b.warmupCalls;
    blockCalls = b.blockCalls;
    loadOptions = b.loadOptions;
  }

  /**
   * @return a builder: batch sizes 1 and 32, 2,000 timed and 1,000 warmup calls per model and batch size, blocks
   *     of 500 calls, default load options
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Measures both models on the first rows of {@code data} (rows repeated when a batch is larger).
   *
   * @param teacher the teacher model
   * @param student the student model; it must have the teacher's input
   * @param data FLOAT32 {@code [rows, features]} rows fitting the teacher's single input, at least one
   * @return one entry per batch size, in the builder's order
   * @throws InvalidInputException if the teacher does not have exactly one input, the data is empty, or the
   *     student lacks the teacher's input
   * @throws dev.jinfer.ModelLoadException if a model cannot be loaded
   */
  public List<Latency> measure(Path teacher, Path student, Tensor data) {
    if (data.rows() == 0) {
      throw new InvalidInputException("data: expected at least one row to time the models on but it is empty "
          + data.shape());
    }
    try (Model t = Model.load(teacher, loadOptions); Model s = Model.load(student, loadOptions);
        Predictor tp = t.predictor(); Predictor sp = s.predictor()) {
      if (t.signature().inputs().size() != 1) {
        throw new InvalidInputException("teacher " + teacher + ": expected one input but it has "
            + t.signature().inputs());
      }
      TensorSpec input = t.signature().inputs().get(0);
      if (s.signature().input(input.name()).isEmpty()) {
        throw new InvalidInputException("student " + student + ": expected the teacher's input '" + input.name()
            + "' but its inputs are " + s.signature().inputs());
      }
      List<String> teacherOut = List.of(t.signature().outputNames().get(0));
      List<String> studentOut = List.of(s.signature().outputNames().get(0));
      if (s.signature().outputNames().size() == 1 && t.signature().output(studentOut.get(0)).isPresent()) {
        teacherOut = studentOut; // time the output the student imitates
      }
      List<Latency> result = new ArrayList<>();
      for (int batch : batchSizes) {
        NamedTensors in = NamedTensors.of(input.name(), rows(data, batch));
        for (int i = 0; i < warmupCalls; i++) {
          tp.predict(in, teacherOut);
          sp.predict(in, studentOut);
        }
        long[] tn = new long[calls];
        long[] sn = new long[calls];
        boolean teacherFirst = true;
        double[] ratios = new double[(calls + blockCalls - 1) / blockCalls];
        for (int from = 0; from < calls; from += blockCalls) {
          int to = Math.min(calls, from + blockCalls);
          if (teacherFirst) {
            timeBlock(tp, in, teacherOut, tn, from, to);
            timeBlock(sp, in, studentOut, sn, from, to);
          } else {
            timeBlock(sp, in, studentOut, sn, from, to);
            timeBlock(tp, in, teacherOut, tn, from, to);
          }
          teacherFirst = !teacherFirst;
          ratios[from / blockCalls] = median(tn, from, to) / median(sn, from, to);
        }
        Arrays.sort(ratios);
        Arrays.sort(tn);
        Arrays.sort(sn);
        result.add(new Latency(batch, tn.length, percentile(tn, 0.5), percentile(tn, 0.9), percentile(sn, 0.5),
            percentile(sn, 0.9), ratios[ratios.length / 2]));
      }
      return result;
    }
  }

  private static void timeBlock(Predictor p, NamedTensors in, List<String> out, long[] times, int from, int to) {
    for (int i = from; i < to; i++) {
      long t0 = System.nanoTime();
      p.predict(in, out);
      times[i] = System.nanoTime() - t0;
    }
  }

  private static double median(long[] times, int from, int to) {
    long[] block = Arrays.copyOfRange(times, from, to);
    Arrays.sort(block);
    return Math.max(1, block[block.length / 2]);
  }

  private static double percentile(long[] sorted, double q) {
    return sorted[(int) Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))] / 1_000.0;
  }

  private static Tensor rows(Tensor data, int batch) {
    if (data.rows() >= batch) {
      return Tensor.concat(List.of(data.slice(0, batch))); // a compact copy of its own
    }
    List<Tensor> parts = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      parts.add(data.row(i % data.rows()));
    }
    return Tensor.concat(parts);
  }

  /** Builds a {@link LatencyComparison}. Not thread-safe. */
  public static final class Builder {
    private int[] batchSizes = {1, 32};
    private int calls = 2000;
    private int warmupCalls = 1000;
    private int blockCalls = 500;
    private LoadOptions loadOptions = LoadOptions.defaults();

    private Builder() {}

    /**
     * The batch sizes to time (default 1 and 32).
     *
     * @param sizes at least one, each {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder batchSizes(int... sizes) {
      if (sizes.length == 0 || Arrays.stream(sizes).anyMatch(s -> s <= 0)) {
        throw new IllegalArgumentException("batchSizes must be at least one size > 0 but were " + Arrays.toString(sizes));
      }
      this.batchSizes = sizes.clone();
      return this;
    }

    /**
     * Timed calls per model and batch size (default 2,000).
     *
     * @param calls {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder calls(int calls) {
      if (calls <= 0) {
        throw new IllegalArgumentException("calls must be > 0 but was " + calls);
      }
      this.calls = calls;
      return this;
    }

    /**
     * Untimed calls per model and batch size before timing (default 1,000: fewer leave the JIT compiling jinfer's call path while the student, whose calls take a few microseconds, is timed).
     *
     * @param calls {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder warmupCalls(int calls) {
      if (calls < 0) {
        throw new IllegalArgumentException("warmupCalls must be >= 0 but was " + calls);
      }
      this.warmupCalls = calls;
      return this;
    }

    /**
     * Consecutive calls of one model before the other takes its turn (default 500). Blocks measure each model
     * as it runs when served on its own; {@code 1} alternates call by call, which measures a process serving
     * both models in turn (the larger model's weights evict the smaller one's from the CPU caches).
     *
     * @param calls {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder blockCalls(int calls) {
      if (calls <= 0) {
        throw new IllegalArgumentException("blockCalls must be > 0 but was " + calls);
      }
      this.blockCalls = calls;
      return this;
    }

    /**
     * How both models are loaded (default {@link LoadOptions#defaults()}).
     *
     * @param options the options
     * @return this builder
     */
    public Builder loadOptions(LoadOptions options) {
      this.loadOptions = Objects.requireNonNull(options, "loadOptions");
      return this;
    }

    /** @return the comparison */
    public LatencyComparison build() {
      return new LatencyComparison(this);
    }
  }
}
