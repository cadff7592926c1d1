package dev.jinfer.optimize;

import dev.jinfer.DType;
import dev.jinfer.InvalidInputException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The report behind every optimization: two models side by side on the same inputs. File size, parameter
 * count, latency p50/p99 at batch 1 and at batch 32 (both models timed alternately in the same run, so a
 * machine that slows down slows both), and how far the second model's outputs are from the first's: max and
 * mean absolute difference, mean per-row cosine similarity, top-1 (argmax) agreement and, with labels, each
 * model's accuracy.
 *
 * <pre>{@code
 * ModelComparison.Report r = ModelComparison.newBuilder()
 *     .inputs(NamedTensors.of("x", Npy.read(Path.of("rows.npy"))))
 *     .build()
 *     .compare(Path.of("wide.onnx"), Path.of("wide.int8.onnx"));
 * r.b().p50Batch32Micros();
 * }</pre>
 *
 * <p>Models are loaded through {@link Model#load(Path, LoadOptions)}, so any backend on the class path serves
 * them (the ONNX backend for {@code .onnx} files) and the figures are what jinfer serves. Outputs for the
 * accuracy figures are computed in chunks of {@link Builder#accuracyBatch} rows. The parameter count is the
 * number of initializer elements of an ONNX model ({@code -1} for other formats).
 *
 * <p>Immutable and thread-safe; each {@link #compare} call loads its own models and should run alone on the
 * machine for its latency figures to mean anything.
 */
public final class ModelComparison {
  /** The large batch size timed beside batch 1. */
  public static final int LARGE_BATCH = 32;

  private final NamedTensors inputs;
  private final @Nullable Tensor labels;
  private final @Nullable String output;
  private final int warmup;
  private final int rounds;
  private final int threads;
  private final int accuracyBatch;

  private ModelComparison(Builder b) {
    this.inputs = Objects.requireNonNull(b.inputs, "inputs: expected the models' inputs but none were set");
    this.labels = b.labels;
    this.output = b.output;
    this.warmup = b.warmup;
    this.rounds = b.rounds;
    this.threads = b.threads;
    this.accuracyBatch = b.accuracyBatch;
  }

  /**
   * A builder: 50 warm-up rounds, 500 timed rounds, one intra-op thread, accuracy in chunks of 32 rows.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Loads both models, times them alternately and compares their outputs.
   *
   * @param a the reference model (usually the fp32 original)
   * @param b the model compared with it
   * @return the report
   * @throws InvalidInputException if the inputs have no rows or rows of different counts, the output named is
   *     not in both models, the outputs' shapes differ, or the labels do not hold one integer per row
   * @throws dev.jinfer.ModelLoadException if a model cannot be loaded
   * @throws dev.jinfer.InferenceException if a model rejects the inputs or fails
   */
  public Report compare(Path a, Path b) {
    long rows = rowCount();
    LoadOptions options = LoadOptions.newBuilder().intraOpThreads(threads).interOpThreads(1).build();
    try (Model ma = Model.load(a, options); Model mb = Model.load(b, options)) {
      String out = pickOutput(ma, mb, a, b);
      Predictor pa = ma.predictor();
      Predictor pb = mb.predictor();
      float[] ya = outputs(pa, out, rows);
      float[] yb = outputs(pb, out, rows);
      if (ya.length != yb.length) {
        throw new InvalidInputException("output '" + out + "': expected the same number of values from " + a + " and "
            + b + " but got " + ya.length + " and " + yb.length);
      }
      Agreement agreement = agreement(ya, yb, (int) rows, out);

      List<NamedTensors> singles = new ArrayList<>();
      List<NamedTensors> batches = new ArrayList<>();
      for (long r = 0; r < Math.min(rows, 256); r++) {
        singles.add(slice(r, r + 1));
      }
      long big = Math.min(LARGE_BATCH, rows);
      for (long r = 0; r + big <= rows && batches.size() < 64; r += big) {
        batches.add(slice(r, r + big));
      }
      long[][] t1 = new long[2][rounds];
      long[][] t32 = new long[2][rounds];
      Predictor[] ps = {pa, pb};
      List<String> outs = List.of(out);
      for (int round = -warmup; round < rounds; round++) {
        int first = Math.floorMod(round, 2); // A first on even rounds, B first on odd ones
        NamedTensors one = singles.get(Math.floorMod(round, singles.size()));
        NamedTensors many = batches.get(Math.floorMod(round, batches.size()));
        for (int k = 0; k < 2; k++) {
          int m = (first + k) % 2;
          long t0 = System.nanoTime();
          ps[m].predict(one, outs);
          long t1ns = System.nanoTime();
          ps[m].predict(many, outs);
          long t2ns = System.nanoTime();
          if (round >= 0) {
            t1[m][round] = t1ns - t0;
            t32[m][round] = t2ns - t1ns;
          }
        }
      }
      Side sa = side(a, t1[0], t32[0], agreement.accuracyA);
      Side sb = side(b, t1[1], t32[1], agreement.accuracyB);
      return new Report(sa, sb, out, rows, (int) big, rounds, threads, agreement.maxAbsDiff, agreement.meanAbsDiff,
          agreement.cosine, agreement.top1, labels != null);
    }
  }

  private long rowCount() {
    long rows = -1;
    for (Map.Entry<String, Tensor> e : inputs) {
      Tensor t = e.getValue();
      if (t.shape().rank() == 0 || t.rows() == 0) {
        throw new InvalidInputException("input '" + e.getKey() + "': expected a tensor with at least one row but got "
            + t.shape());
      }
      if (rows >= 0 && t.rows() != rows) {
        throw new InvalidInputException("input '" + e.getKey() + "': expected " + rows + " rows like the other inputs "
            + "but got " + t.rows());
      }
      rows = t.rows();
    }
    if (labels != null && (labels.shape().rank() == 0 || labels.rows() != rows || labels.elementCount() != rows
        || (labels.dtype() != DType.INT64 && labels.dtype() != DType.INT32))) {
      throw new InvalidInputException("labels: expected one INT64 or INT32 class index per input row (" + rows
          + ") but got " + labels.dtype() + " " + labels.shape());
    }
    return rows;
  }

  private String pickOutput(Model ma, Model mb, Path a, Path b) {
    List<String> namesA = ma.signature().outputNames();
    String out = output != null ? output : namesA.get(0);
    if (!namesA.contains(out)) {
      throw new InvalidInputException("output '" + out + "': expected one of " + namesA + " of " + a);
    }
    if (mb.signature().output(out).isEmpty()) {
      throw new InvalidInputException("output '" + out + "': expected it in " + b + " too but it has "
          + mb.signature().outputNames());
    }
    return out;
  }

  private NamedTensors slice(long from, long to) {
    NamedTensors.Builder b = NamedTensors.newBuilder();
    for (Map.Entry<String, Tensor> e : inputs) {
      b.put(e.getKey(), e.getValue().slice(from, to));
    }
    return b.build();
  }

  private float[] outputs(Predictor p, String out, long rows) {
    List<float[]> parts = new ArrayList<>();
    int total = 0;
    for (long r = 0; r < rows; r += accuracyBatch) {
      Tensor y = p.predict(slice(r, Math.min(rows, r + accuracyBatch)), List.of(out)).get(out);
      if (y.dtype() != DType.FLOAT32 && y.dtype() != DType.FLOAT16) {
        throw new InvalidInputException("output '" + out + "': expected FLOAT32 or FLOAT16 values to compare but got "
            + y.dtype());
      }
      float[] v = y.toFloatArray();
      parts.add(v);
      total += v.length;
    }
    float[] all = new float[total];
    int at = 0;
    for (float[] v : parts) {
      System.arraycopy(v, 0, all, at, v.length);
      at += v.length;
    }
    return all;
  }

  private record Agreement(double maxAbsDiff, double meanAbsDiff, double cosine, double top1, double accuracyA,
      double accuracyB) {}

  private Agreement agreement(float[] ya, float[] yb, int rows, String out) {
    if (ya.length % rows != 0) {
      throw new InvalidInputException("output '" + out + "': expected a whole number of values per row but got "
          + ya.length + " values for " + rows + " rows");
    }
    int width = ya.length / rows;
    double max = 0;
    double sum = 0;
    double cosSum = 0;
    int same = 0;
    int rightA = 0;
    int rightB = 0;
    for (int r = 0; r < rows; r++) {
      double dot = 0;
      double na = 0;
      double nb = 0;
      int argA = 0;
      int argB = 0;
      for (int j = 0; j < width; j++) {
        float va = ya[r * width + j];
        float vb = yb[r * width + j];
        double d = Math.abs((double) va - vb);
        max = Math.max(max, d);
        sum += d;
        dot += (double) va * vb;
        na += (double) va * va;
        nb += (double) vb * vb;
        if (va > ya[r * width + argA]) {
          argA = j;
        }
        if (vb > yb[r * width + argB]) {
          argB = j;
        }
      }
      cosSum += na == 0 && nb == 0 ? 1 : dot / Math.sqrt(na * nb);
      same += argA == argB ? 1 : 0;
      if (labels != null) {
        long label = labels.dtype() == DType.INT64 ? labels.getLong(r) : labels.getInt(r);
        rightA += argA == label ? 1 : 0;
        rightB += argB == label ? 1 : 0;
      }
    }
    double n = rows;
    return new Agreement(max, sum / ya.length, cosSum / n, same / n, labels == null ? Double.NaN : rightA / n,
        labels == null ? Double.NaN : rightB / n);
  }

  private static Side side(Path path, long[] batch1, long[] batch32, double accuracy) {
    long bytes;
    try {
      bytes = Files.size(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot size " + path + ": " + e.getMessage(), e);
    }
    long[] s1 = batch1.clone();
    long[] s32 = batch32.clone();
    Arrays.sort(s1);
    Arrays.sort(s32);
    return new Side(path.toString(), bytes, parameters(path).orElse(-1L), micros(s1, 0.50), micros(s1, 0.99),
        micros(s32, 0.50), micros(s32, 0.99), accuracy);
  }

  private static double micros(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1000.0;
  }

  /**
   * The number of initializer elements of an ONNX model: its parameter count.
   *
   * @param path a model file
   * @return the count, or empty if the file is not an ONNX model
   */
  public static Optional<Long> parameters(Path path) {
    if (!path.getFileName().toString().endsWith(".onnx")) {
      return Optional.empty();
    }
    ModelProto model = OnnxModels.read(path);
    long n = 0;
    for (TensorProto t : model.getGraph().getInitializerList()) {
      long e = 1;
      for (long d : t.getDimsList()) {
        e *= d;
      }
      n += e;
    }
    return Optional.of(n);
  }

  /**
   * One model's figures.
   *
   * @param path the model file
   * @param bytes its size
   * @param parameters its parameter count ({@code -1} if unknown)
   * @param p50Batch1Micros median latency of one row, in microseconds
   * @param p99Batch1Micros 99th percentile latency of one row
   * @param p50Batch32Micros median latency of a batch of {@link #LARGE_BATCH} rows (fewer if the inputs are fewer)
   * @param p99Batch32Micros 99th percentile latency of such a batch
   * @param accuracy the share of rows whose argmax is the label ({@code NaN} without labels)
   */
  public record Side(String path, long bytes, long parameters, double p50Batch1Micros, double p99Batch1Micros,
      double p50Batch32Micros, double p99Batch32Micros, double accuracy) {}

  /**
   * The comparison of model {@code b} with model {@code a}.
   *
   * @param a the reference model's figures
   * @param b the compared model's figures
   * @param output the output compared
   * @param rows the input rows the outputs were compared on
   * @param largeBatch the large batch size timed (32, or the row count if smaller)
   * @param rounds timed calls per model and batch size
   * @param threads intra-op threads per model
   * @param maxAbsDiff the largest absolute difference of an output value
   * @param meanAbsDiff the mean absolute difference of the output values
   * @param cosine the mean over rows of the cosine similarity of the two output rows
   * @param top1Agreement the share of rows whose argmax is the same in both
   * @param labelled whether labels were given (then the sides' accuracies are set)
   */
  public record Report(Side a, Side b, String output, long rows, int largeBatch, int rounds, int threads,
      double maxAbsDiff, double meanAbsDiff, double cosine, double top1Agreement, boolean labelled) {
    /** @return how many times smaller {@code b}'s file is */
    public double sizeRatio() {
      return (double) a.bytes() / b.bytes();
    }

    /** @return how many times faster {@code b} is at batch 1 (p50) */
    public double speedupBatch1() {
      return a.p50Batch1Micros() / b.p50Batch1Micros();
    }

    /** @return how many times faster {@code b} is at the large batch (p50) */
    public double speedupBatch32() {
      return a.p50Batch32Micros() / b.p50Batch32Micros();
    }
  }

  /** Builds a {@link ModelComparison}. Not thread-safe. */
  public static final class Builder {
    private @Nullable NamedTensors inputs;
    private @Nullable Tensor labels;
    private @Nullable String output;
    private int warmup = 50;
    private int rounds = 500;
    private int threads = 1;
    private int accuracyBatch = LARGE_BATCH;

    private Builder() {}

    /**
     * The inputs, every one with the same number of rows; required.
     *
     * @param inputs the inputs by name
     * @return this builder
     */
    public Builder inputs(NamedTensors inputs) {
      this.inputs = Objects.requireNonNull(inputs, "inputs");
      return this;
    }

    /**
     * Class labels, one integer per input row, for each model's accuracy.
     *
     * @param labels the labels
     * @return this builder
     */
    public Builder labels(Tensor labels) {
      this.labels = Objects.requireNonNull(labels, "labels");
      return this;
    }

    /**
     * The output to compare; default the first output of model A.
     *
     * @param name the output's name
     * @return this builder
     */
    public Builder output(String name) {
      this.output = Objects.requireNonNull(name, "output");
      return this;
    }

    /**
     * Untimed rounds before the timed ones.
     *
     * @param rounds 0 or more
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder warmup(int rounds) {
      if (rounds < 0) {
        throw new IllegalArgumentException("warmup: expected >= 0 rounds but got " + rounds);
      }
      this.warmup = rounds;
      return this;
    }

    /**
     * Timed rounds; each times both models at batch 1 and at the large batch.
     *
     * @param rounds 1 or more
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder rounds(int rounds) {
      if (rounds < 1) {
        throw new IllegalArgumentException("rounds: expected >= 1 but got " + rounds);
      }
      this.rounds = rounds;
      return this;
    }

    /**
     * Intra-op threads of each model's engine.
     *
     * @param threads 1 or more
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads: expected >= 1 but got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * Rows per call when computing the outputs that are compared.
     *
     * @param rows 1 or more
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder accuracyBatch(int rows) {
      if (rows < 1) {
        throw new IllegalArgumentException("accuracyBatch: expected >= 1 but got " + rows);
      }
      this.accuracyBatch = rows;
      return this;
    }

    /**
     * Builds the comparison.
     *
     * @return the comparison
     * @throws NullPointerException if no inputs were set
     */
    public ModelComparison build() {
      return new ModelComparison(this);
    }
  }
}
