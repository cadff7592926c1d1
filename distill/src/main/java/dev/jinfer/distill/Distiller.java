package dev.jinfer.distill;

import dev.jinfer.DType;
import dev.jinfer.InvalidInputException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.optimize.OnnxModels;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Knowledge distillation: trains a small MLP "student" to imitate a "teacher" and writes it as a standard ONNX
 * model that any jinfer backend, registry and cache serves like the teacher.
 *
 * <pre>{@code
 * DistillationResult r = Distiller.newBuilder().hiddenWidths(32).temperature(4).alpha(0.5).build()
 *     .distill(Path.of("teacher.onnx"), Npy.read(Path.of("x.npy")), Npy.read(Path.of("y.npy")), Path.of("student.onnx"));
 * }</pre>
 *
 * <p>The teacher is any model {@link Model#load} opens (ONNX, SavedModel, TorchScript) with one FLOAT32
 * {@code [batch, features]} input and a FLOAT32 {@code [batch, classes]} output (scores or probabilities; pick
 * it with {@link Builder#outputName} when there are several); it runs through jinfer on every data row,
 * {@link Builder#teacherBatchSize} rows per call. A seeded share of the rows ({@link Builder#holdoutFraction})
 * is held out; the student ({@code Linear}+ReLU per hidden width, then {@code Linear} to the classes) is trained
 * on the rest with DJL's training API on the PyTorch engine (Adam, shuffled mini-batches, seeded) on
 * {@code alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * CE(student, labels)}
 * (the soft term alone without labels), where a probability output's logits are its logarithm. After each
 * epoch the held-out loss and the top-class agreement with the teacher go to the progress listener; training
 * stops after {@link Builder#patience} epochs without a lower held-out loss and keeps the best epoch's weights.
 * The student is written atomically as ONNX ({@code Gemm}/{@code Relu}, {@code Softmax} when the teacher's
 * output is a distribution) with the teacher's input and output names, then loaded back through jinfer and
 * compared with the teacher on the held-out rows.
 *
 * <p>Immutable and thread-safe; a run uses DJL's process-wide PyTorch engine and sets libtorch's intra-op
 * threads of the calling thread for its duration.
 */
public final class Distiller {
  private final int[] hidden;
  private final float temperature;
  private final float alpha;
  private final float learningRate;
  private final int batchSize;
  private final int maxEpochs;
  private final int patience;
  private final double holdoutFraction;
  private final long seed;
  private final int trainingThreads;
  private final int teacherBatchSize;
  private final @Nullable String outputName;
  private final LoadOptions loadOptions;
  private final Consumer<EpochProgress> progress;

  private Distiller(Builder b) {
    hidden = b.hidden.clone();
    temperature = b.temperature;
    alpha = b.alpha;
    learningRate = b.learningRate;
    batchSize = b.batchSize;
    maxEpochs = b.maxEpochs;
    patience = b.patience;
    holdoutFraction = b.holdoutFraction;
    seed = b.seed;
    trainingThreads = b.trainingThreads;
    teacherBatchSize = b.teacherBatchSize;
    outputName = b.outputName;
    loadOptions = b.loadOptions;
    progress = b.progress;
  }

  /** @return a builder with the defaults documented on each of its methods */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Distills the teacher into a student written to {@code out}. Nothing is written unless training succeeds.
   *
   * @param teacher the teacher model (any format a backend on the classpath loads)
   * @param data FLOAT32 {@code [rows, features]}, at least 2 rows, all finite
   * @param labels INT64 or INT32 class indices {@code [rows]} (or {@code [rows, 1]}), or null for the soft loss only
   * @param out the student's ONNX file (its directory must exist; not the teacher)
   * @return the result, with the held-out comparison
   * @throws InvalidInputException if the data, the labels, the teacher's signature or the output name do not fit
   *     (naming what was expected and what came), or {@code out} is the teacher or has no directory
   * @throws DistillationDivergedException if the loss becomes NaN or infinite (nothing is written)
   * @throws dev.jinfer.ModelLoadException if the teacher cannot be loaded
   * @throws dev.jinfer.BackendUnavailableException if no backend loads it, or libtorch cannot be loaded
   * @throws UncheckedIOException if the student cannot be written
   */
  public DistillationResult distill(Path teacher, Tensor data, @Nullable Tensor labels, Path out) {
    return run(teacher, data, labels, out).result();
  }

  /** A run's result with what the tests compare: the DJL student's held-out outputs and those rows. */
  record Run(DistillationResult result, float[][] heldOutX, float[][] djlHeldOutOutputs) {}

  Run run(Path teacher, Tensor data, @Nullable Tensor labels, Path out) {
    Objects.requireNonNull(data, "data");
    OnnxModels.requireDistinct(teacher, out);
    Path dir = out.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new InvalidInputException("output " + out + ": expected a file in an existing directory but "
          + dir + " is not one");
    }
    int[] y = labels == null ? null : labels(labels, data.rows());
    TeacherRun t;
    try (Model model = Model.load(teacher, loadOptions)) {
      t = TeacherRun.run(model, teacher, data, outputName, teacherBatchSize);
    }
    if (y != null) {
      for (int i = 0; i < y.length; i++) {
        if (y[i] < 0 || y[i] >= t.classes) {
          throw new InvalidInputException("labels[" + i + "]: expected a class in [0, " + t.classes + ") (the teacher's '"
              + t.outputName + "' has " + t.classes + " classes) but got " + y[i]);
        }
      }
    }
    float[][] x = data.toFloatMatrix();
    int rows = x.length;
    int heldRows = (int) Math.max(1, Math.min(rows - 1, Math.round(rows * holdoutFraction)));
    int[] order = permutation(rows, new Random(seed));
    int[] heldIdx = Arrays.copyOfRange(order, 0, heldRows);
    int[] trainIdx = Arrays.copyOfRange(order, heldRows, rows);
    StudentTrainer.Split train = split(t, x, y, trainIdx);
    StudentTrainer.Split held = split(t, x, y, heldIdx);

    StudentTrainer.Config config = new StudentTrainer.Config(hidden, temperature, alpha, learningRate, batchSize,
        maxEpochs, patience, seed, trainingThreads);
    StudentTrainer.Trained trained = new StudentTrainer(config, progress, out.toString()).train(train, held, t.classes);

    String doc = String.format(Locale.ROOT, "student distilled by jinfer from %s ('%s'): MLP %s, temperature %s, "
        + "alpha %s, %s, seed %d, epoch %d of %d", teacher.getFileName(), t.outputName, joined(trained.widths()),
        temperature, alpha, y == null ? "no labels" : "with labels", seed, trained.bestEpoch(), trained.epochs());
    ModelProto student = StudentOnnxWriter.build(t.inputName, t.outputName, trained.widths(), trained.weights(),
        trained.biases(), t.probabilities, doc);
    StudentOnnxWriter.write(student, out);

    float[][] djl = t.probabilities ? softmax(trained.heldOutLogits()) : trained.heldOutLogits();
    float[][] heldX = held.x();
    float[][] studentOut = predict(out, t.inputName, t.outputName, heldX);
    int[] heldLabels = y == null ? null : pick(y, heldIdx);
    Agreement agreement = agreement(held.teacherClass(), studentOut, heldLabels);
    long studentParams = 0;
    int[] w = trained.widths();
    for (int i = 0; i + 1 < w.length; i++) {
      studentParams += (long) w[i] * w[i + 1] + w[i + 1];
    }
    List<Integer> widths = new ArrayList<>();
    for (int v : w) {
      widths.add(v);
    }
    DistillationResult result = new DistillationResult(out, t.inputName, t.outputName, widths, t.probabilities,
        teacherParameters(teacher), studentParams, sizeOf(teacher), sizeOf(out), trainIdx.length, trained.epochs(),
        trained.bestEpoch(), agreement);
    return new Run(result, heldX, djl);
  }

  /**
   * Compares a student with its teacher on other rows (for instance a test set neither saw), both run through
   * jinfer with this distiller's load options and output name.
   *
   * @param teacher the teacher model
   * @param student the student model
   * @param data FLOAT32 {@code [rows, features]}, at least one row
   * @param labels INT64 or INT32 class indices {@code [rows]}, or null for the agreement only
   * @return the comparison
   * @throws InvalidInputException if the data or labels do not fit the teacher, or the student's signature is not
   *     the teacher's
   * @throws dev.jinfer.ModelLoadException if a model cannot be loaded
   */
  public Agreement evaluate(Path teacher, Path student, Tensor data, @Nullable Tensor labels) {
    int[] y = labels == null ? null : labels(labels, data.rows());
    if (data.rows() == 0) {
      throw new InvalidInputException("data: expected at least one row to compare on but it is empty " + data.shape());
    }
    TeacherRun t;
    try (Model model = Model.load(teacher, loadOptions)) {
      t = TeacherRun.run(model, teacher, data.rows() == 1 ? Tensor.concat(List.of(data, data)) : data, outputName,
          teacherBatchSize);
    }
    int rows = (int) data.rows();
    int[] teacherClass = new int[rows];
    for (int i = 0; i < rows; i++) {
      teacherClass[i] = t.argmax(i);
    }
    float[][] s = predict(student, t.inputName, t.outputName, data.toFloatMatrix());
    return agreement(teacherClass, s, y);
  }

  private float[][] predict(Path student, String input, String output, float[][] x) {
    try (Model model = Model.load(student, loadOptions); Predictor p = model.predictor()) {
      if (!model.signature().input(input).isPresent() || !model.signature().output(output).isPresent()) {
        throw new InvalidInputException("student " + student + ": expected input '" + input + "' and output '" + output
            + "' like the teacher's but its signature is " + model.signature());
      }
      float[][] result = new float[x.length][];
      for (int start = 0; start < x.length; start += teacherBatchSize) {
        int end = Math.min(x.length, start + teacherBatchSize);
        Tensor in = Tensor.ofFloats(Arrays.copyOfRange(x, start, end));
        float[][] m = p.predict(NamedTensors.of(input, in), List.of(output)).get(output).toFloatMatrix();
        System.arraycopy(m, 0, result, start, m.length);
      }
      return result;
    }
  }

  private static Agreement agreement(int[] teacherClass, float[][] student, int @Nullable [] labels) {
    int agree = 0;
    int teacherRight = 0;
    int studentRight = 0;
    for (int i = 0; i < student.length; i++) {
      int s = StudentTrainer.argmax(student[i]);
      agree += s == teacherClass[i] ? 1 : 0;
      if (labels != null) {
        teacherRight += teacherClass[i] == labels[i] ? 1 : 0;
        studentRight += s == labels[i] ? 1 : 0;
      }
    }
    double n = student.length;
    return new Agreement(student.length, agree / n,
        labels == null ? OptionalDouble.empty() : OptionalDouble.of(teacherRight / n),
        labels == null ? OptionalDouble.empty() : OptionalDouble.of(studentRight / n));
  }

  private StudentTrainer.Split split(TeacherRun t, float[][] x, int @Nullable [] y, int[] idx) {
    float[][] xs = new float[idx.length][];
    float[][] q = new float[idx.length][];
    float[][] logQ = new float[idx.length][];
    float[][] oneHot = y == null ? null : new float[idx.length][];
    int[] teacherClass = new int[idx.length];
    for (int i = 0; i < idx.length; i++) {
      int r = idx[i];
      xs[i] = x[r];
      float[] logits = t.logits(r);
      double max = Double.NEGATIVE_INFINITY;
      for (float v : logits) {
        max = Math.max(max, v / temperature);
      }
      double sum = 0;
      for (float v : logits) {
        sum += Math.exp(v / temperature - max);
      }
      double logSum = max + Math.log(sum);
      q[i] = new float[logits.length];
      logQ[i] = new float[logits.length];
      for (int c = 0; c < logits.length; c++) {
        double lq = logits[c] / temperature - logSum;
        logQ[i][c] = (float) lq;
        q[i][c] = (float) Math.exp(lq);
      }
      if (oneHot != null) {
        oneHot[i] = new float[logits.length];
        oneHot[i][y[r]] = 1f;
      }
      teacherClass[i] = t.argmax(r);
    }
    return new StudentTrainer.Split(xs, q, logQ, oneHot, teacherClass);
  }

  private static int[] labels(Tensor labels, long rows) {
    boolean column = labels.shape().rank() == 2 && labels.shape().dim(1) == 1;
    if ((labels.dtype() != DType.INT64 && labels.dtype() != DType.INT32)
        || !(labels.shape().rank() == 1 || column) || labels.rows() != rows) {
      throw new InvalidInputException("labels: expected INT64 or INT32 class indices of shape [" + rows
          + "] (one per data row) but got " + labels.dtype() + " " + labels.shape());
    }
    if (labels.dtype() == DType.INT32) {
      return labels.toIntArray();
    }
    long[] v = labels.toLongArray();
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] < Integer.MIN_VALUE || v[i] > Integer.MAX_VALUE ? -1 : (int) v[i];
      if (out[i] != v[i]) {
        throw new InvalidInputException("labels[" + i + "]: expected a class index but got " + v[i]);
      }
    }
    return out;
  }

  private static int[] permutation(int n, Random random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    return order;
  }

  private static int[] pick(int[] values, int[] idx) {
    int[] out = new int[idx.length];
    for (int i = 0; i < idx.length; i++) {
      out[i] = values[idx[i]];
    }
    return out;
  }

  private static float[][] softmax(float[][] logits) {
    float[][] out = new float[logits.length][];
    for (int r = 0; r < logits.length; r++) {
      float[] row = logits[r];
      double max = Double.NEGATIVE_INFINITY;
      for (float v : row) {
        max = Math.max(max, v);
      }
      double sum = 0;
      for (float v : row) {
        sum += Math.exp(v - max);
      }
      out[r] = new float[row.length];
      for (int c = 0; c < row.length; c++) {
        out[r][c] = (float) (Math.exp(row[c] - max) / sum);
      }
    }
    return out;
  }

  private static String joined(int[] widths) {
    StringBuilder sb = new StringBuilder();
    for (int w : widths) {
      sb.append(sb.length() == 0 ? "" : "-").append(w);
    }
    return sb.toString();
  }

  /**
   * The number of values in an ONNX model's initializers.
   *
   * @param model a model file
   * @return the count, or empty if the file is not an ONNX model
   */
  static OptionalLong teacherParameters(Path model) {
    if (!Files.isRegularFile(model) || !model.getFileName().toString().endsWith(".onnx")) {
      return OptionalLong.empty();
    }
    long n = 0;
    for (TensorProto t : OnnxModels.read(model).getGraph().getInitializerList()) {
      long c = 1;
      for (long d : t.getDimsList()) {
        c *= d;
      }
      n += c;
    }
    return OptionalLong.of(n);
  }

  /**
   * A file's size, or the total of a directory's files.
   *
   * @param path the file or directory
   * @return bytes
   */
  static long sizeOf(Path path) {
    try {
      if (!Files.isDirectory(path)) {
        return Files.size(path);
      }
      try (Stream<Path> files = Files.walk(path)) {
        long total = 0;
        for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
          total += Files.size(p);
        }
        return total;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot size " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Builds a {@link Distiller}. Not thread-safe; {@link #build} gives an immutable distiller.
   */
  public static final class Builder {
    private int[] hidden = {32};
    private float temperature = 4f;
    private float alpha = 0.5f;
    private float learningRate = 1e-3f;
    private int batchSize = 32;
    private int maxEpochs = 200;
    private int patience = 10;
    private double holdoutFraction = 0.2;
    private long seed = 42;
    private int trainingThreads = 1;
    private int teacherBatchSize = 256;
    private @Nullable String outputName;
    private LoadOptions loadOptions = LoadOptions.defaults();
    private Consumer<EpochProgress> progress = p -> System.err.println(p.toLine());

    private Builder() {}

    /**
     * The student's hidden layer widths (default {@code 32}); none gives a linear (softmax regression) student.
     *
     * @param widths each {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if a width is not positive
     */
    public Builder hiddenWidths(int... widths) {
      for (int w : widths) {
        if (w <= 0) {
          throw new IllegalArgumentException("hiddenWidths must be > 0 but were " + Arrays.toString(widths));
        }
      }
      this.hidden = widths.clone();
      return this;
    }

    /**
     * The softening temperature {@code T} of the teacher loss (default 4).
     *
     * @param t {@code > 0} and finite
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder temperature(double t) {
      if (!(t > 0) || Double.isInfinite(t)) {
        throw new IllegalArgumentException("temperature must be > 0 and finite but was " + t);
      }
      this.temperature = (float) t;
      return this;
    }

    /**
     * The weight of the teacher (soft) loss; the hard-label loss gets {@code 1 - alpha} (default 0.5). Without
     * labels only the soft loss is used.
     *
     * @param a in {@code [0, 1]}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder alpha(double a) {
      if (!(a >= 0 && a <= 1)) {
        throw new IllegalArgumentException("alpha must be in [0, 1] but was " + a);
      }
      this.alpha = (float) a;
      return this;
    }

    /**
     * Adam's learning rate (default 0.001).
     *
     * @param rate {@code > 0} and finite
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder learningRate(double rate) {
      if (!(rate > 0) || Double.isInfinite(rate)) {
        throw new IllegalArgumentException("learningRate must be > 0 and finite but was " + rate);
      }
      this.learningRate = (float) rate;
      return this;
    }

    /**
     * Training rows per mini-batch (default 32).
     *
     * @param rows {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder batchSize(int rows) {
      this.batchSize = positive("batchSize", rows);
      return this;
    }

    /**
     * The most epochs to train (default 200).
     *
     * @param epochs {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder maxEpochs(int epochs) {
      this.maxEpochs = positive("maxEpochs", epochs);
      return this;
    }

    /**
     * Early stopping: epochs without a lower held-out loss before training stops (default 10).
     *
     * @param epochs {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder patience(int epochs) {
      this.patience = positive("patience", epochs);
      return this;
    }

    /**
     * The share of rows held out from training, for early stopping and the comparison (default 0.2; at least one
     * row is held out and one trained on).
     *
     * @param fraction in {@code (0, 1)}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder holdoutFraction(double fraction) {
      if (!(fraction > 0 && fraction < 1)) {
        throw new IllegalArgumentException("holdoutFraction must be in (0, 1) but was " + fraction);
      }
      this.holdoutFraction = fraction;
      return this;
    }

    /**
     * The seed of the split, the shuffling and the weights' initialisation (default 42).
     *
     * @param seed any value
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * libtorch's intra-op threads while training (default 1: a small MLP gains nothing from more, and on a
     * busy machine OpenMP's spinning makes more threads much slower).
     *
     * @param threads {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder trainingThreads(int threads) {
      this.trainingThreads = positive("trainingThreads", threads);
      return this;
    }

    /**
     * Rows per teacher (and student) call through jinfer (default 256).
     *
     * @param rows {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public Builder teacherBatchSize(int rows) {
      this.teacherBatchSize = positive("teacherBatchSize", rows);
      return this;
    }

    /**
     * The teacher output to imitate; needed when the teacher has more than one.
     *
     * @param name an output of the teacher
     * @return this builder
     */
    public Builder outputName(String name) {
      this.outputName = Objects.requireNonNull(name, "outputName");
      return this;
    }

    /**
     * How the teacher and the student are loaded through jinfer (default {@link LoadOptions#defaults()}).
     *
     * @param options the options
     * @return this builder
     */
    public Builder loadOptions(LoadOptions options) {
      this.loadOptions = Objects.requireNonNull(options, "loadOptions");
      return this;
    }

    /**
     * Receives each epoch's progress on the training thread (default: one line on standard error).
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder progress(Consumer<EpochProgress> listener) {
      this.progress = Objects.requireNonNull(listener, "progress");
      return this;
    }

    /** @return the distiller */
    public Distiller build() {
      return new Distiller(this);
    }

    private static int positive(String name, int value) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be > 0 but was " + value);
      }
      return value;
    }
  }
}
