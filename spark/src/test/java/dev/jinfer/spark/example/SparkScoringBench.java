package dev.jinfer.spark.example;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.spark.DatasetScorer;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.ToDoubleFunction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.SpecificInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;

/**
 * The Spark benchmark of issue 19 (not a test): rows/s of {@code local[2]} scoring 1,000,000 rows against
 * in-process loops over the same rows and against ONNX Runtime's own Java API on them, all in one JVM and one
 * run, the variants alternated.
 *
 * <p>The rows are held once in memory as Spark's own row form, an {@link UnsafeRow} per transaction ({@code id}
 * and {@code f0..f31}), in one array. Every variant does a Spark task's whole job on them: 32 {@code getFloat}s
 * per row into a reused batch, one engine call per batch, and the scored row ({@code UnsafeRow} of the input and
 * the probabilities) built per row. Variants ({@code -Dbench.variants=a,b,..}; default the first six):
 * <ul>
 *   <li>{@code loop1-main}: the loop through jinfer's {@link Predictor}, one thread, the JVM's main thread;
 *   <li>{@code loop1-pool}: the same loop on one pool thread (a thread like Spark's task threads);
 *   <li>{@code loop2}: the same loop on two pool threads, each over half the array;
 *   <li>{@code ort1}, {@code ort2}: the same work through ONNX Runtime's Java API directly (no jinfer): a session
 *       per thread with one intra-op thread, the input tensor created once over a reused direct buffer and the
 *       output pinned to another (no allocation per call), on one and on two pool threads: the engine's ceiling;
 *   <li>{@code spark}: Spark {@code local[2]} over the same array (an {@code RDD[InternalRow]} whose two
 *       partitions are its halves), scored by {@link DatasetScorer} into the {@code noop} sink;
 *   <li>opt-in: {@code spark-pass} (the {@code spark} variant's plan with no engine: Spark's own per-row share),
 *       {@code loop1-pass} ({@code loop1-pool} with stand-in probabilities instead of the engine: the loop's
 *       own share),
 *       {@code model-only} (jinfer on {@code float[]} slices, no rows), {@code loop1-direct} and
 *       {@code loop2-direct} ({@code loop1-pool} and {@code loop2} with each batch made by {@code Tensor.ofFloats}:
 *       a new direct buffer per batch, as both the loops and {@code DatasetScorer} did before),
 *       {@code loop1-heap} (a new heap buffer per batch, copied by the ONNX backend into its reused one), {@code ort1-main} ({@code ort1}
 *       on the main thread), {@code ort1-intra2} (one caller, one session with 2 intra-op threads that spin),
 *       {@code ort2-shared} (two callers on one session), {@code spark-parquet}, {@code spark-cache} (Spark from
 *       a Parquet file of the same transactions, and from its cache).
 * </ul>
 *
 * <p>Spark starts before anything is timed, so every variant runs with the same classes loaded and the same
 * background threads. Each variant runs twice untimed, then {@code -Dbench.rounds} (5) rounds each run every
 * variant once, the order rotated by one each round; per variant the median is reported, and each variant's
 * ratio to each other one as the median of the ratios within a round. {@code -Dbench.order=blocks} runs the
 * protocol this benchmark had before instead (each variant in turn: one untimed run, then the median of 3; Spark
 * started only when its turn comes), to show what that measured. Each timed run also records the process's
 * CPU time, the worker threads' CPU time, GC and JIT time and the CPU the rest of the machine used meanwhile
 * ({@code /proc/stat}), which is what tells a slow thread from a busy machine.
 *
 * <pre>
 * flock /tmp/jinfer-build.lock spark/run.sh dev.jinfer.spark.example.SparkScoringBench fixtures/onnx/fraud.onnx [rows] [batch]
 * </pre>
 */
public final class SparkScoringBench {
  private static final List<String> DEFAULT_VARIANTS = List.of("loop1-main", "loop1-pool", "loop2", "ort1", "ort2", "spark");
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** The rows in memory, read by the loops and (same JVM in local mode) by Spark's tasks. */
  static volatile UnsafeRow[] memory = new UnsafeRow[0];

  private SparkScoringBench() {
  }

  /** What one run of a variant did: a checksum of the scores and the CPU time of the threads that did it. */
  record Work(double sum, long workerCpuNanos, long workerUserNanos) {
  }

  interface Variant {
    Work run() throws Exception;
  }

  /** One timed run. */
  record Sample(String variant, int round, double rowsPerSecond, double sum, double wall, double processCpu,
      double workerCpu, double workerSys, long pageFaults, double gc, long gcCount, double jit, double othersCpu,
      double steal) {
  }

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args.length > 0 ? args[0] : "fixtures/onnx/fraud.onnx").toAbsolutePath();
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 256;
    int rounds = Integer.getInteger("bench.rounds", 5);
    List<String> chosen = System.getProperty("bench.variants") == null ? DEFAULT_VARIANTS
        : List.of(System.getProperty("bench.variants").split(","));
    int width = FraudTransactions.WIDTH;

    float[] all = new float[rows * width];
    UnsafeRow[] mem = new UnsafeRow[rows];
    UnsafeProjection toUnsafe = UnsafeProjection.create(FraudTransactions.schema());
    for (int id = 0; id < rows; id++) {
      float[] f = FraudTransactions.features(id);
      System.arraycopy(f, 0, all, id * width, width);
      Object[] values = new Object[width + 1];
      values[0] = (long) id;
      for (int j = 0; j < width; j++) {
        values[j + 1] = f[j];
      }
      mem[id] = toUnsafe.apply(new GenericInternalRow(values)).copy();
    }
    memory = mem;

    boolean blocks = "blocks".equals(System.getProperty("bench.order", "alternate"));
    Lazy<SparkSession> spark = new Lazy<>(() -> SparkSession.builder().master("local[2]").appName("jinfer spark bench")
        .config("spark.ui.enabled", "false").getOrCreate());
    if (!blocks) {
      spark.get(); // before anything runs: every variant then runs with Spark's classes and threads in the JVM
    }
    ExecutorService one = Executors.newSingleThreadExecutor(r -> new Thread(r, "bench-1"));
    ExecutorService two = Executors.newFixedThreadPool(2, new java.util.concurrent.ThreadFactory() {
      private int n;

      @Override
      public synchronized Thread newThread(Runnable r) {
        return new Thread(r, "bench-2-" + n++);
      }
    });
    // what the Spark path's SharedModels loads too: one engine thread per call (2 sessions of 1 intra-op thread)
    LoadOptions options = LoadOptions.newBuilder().intraOpThreads(1).interOpThreads(1).build();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    List<AutoCloseable> toClose = new ArrayList<>();
    try (Model m = Model.load(model, options); Predictor p = m.predictor()) {
      OrtSession[] perThread = {session(env, model, 1, false, toClose), session(env, model, 1, false, toClose)};
      Map<String, Variant> available = new LinkedHashMap<>();
      available.put("loop1-main", () -> onThisThread(() -> scoreRows(p, mem, 0, rows, batch)));
      available.put("loop1-pool", () -> onPool(one, () -> scoreRows(p, mem, 0, rows, batch)));
      available.put("loop2", () -> onPool(two, () -> scoreRows(p, mem, 0, rows / 2, batch),
          () -> scoreRows(p, mem, rows / 2, rows, batch)));
      available.put("ort1", () -> onPool(one, () -> ortRows(env, perThread[0], mem, 0, rows, batch)));
      available.put("ort2", () -> onPool(two, () -> ortRows(env, perThread[0], mem, 0, rows / 2, batch),
          () -> ortRows(env, perThread[1], mem, rows / 2, rows, batch)));
      DatasetScorer scorer = DatasetScorer.newBuilder(model.toString()).inputCols(FraudTransactions.featureColumns())
          .outputCols("p").batchSize(batch).build();
      Lazy<Dataset<Row>> inMemory = new Lazy<>(() -> {
        JavaRDD<InternalRow> halves = JavaSparkContext.fromSparkContext(spark.get().sparkContext())
            .parallelize(List.of(0, 1), 2).mapPartitions((FlatMapFunction<java.util.Iterator<Integer>, InternalRow>) part -> {
              UnsafeRow[] in = memory;
              int half = part.next();
              int from = half == 0 ? 0 : in.length / 2;
              int to = half == 0 ? in.length / 2 : in.length;
              return Arrays.<InternalRow>asList(Arrays.copyOfRange(in, from, to)).iterator();
          });
        return ((org.apache.spark.sql.classic.SparkSession) spark.get())
            .internalCreateDataFrame(halves.rdd(), FraudTransactions.schema(), false);
      });
      available.put("spark", () -> spark(scorer, inMemory.get()));
      available.put("spark-pass", () -> sparkPass(spark.get(), inMemory.get()));
      available.put("loop1-pass", () -> onPool(one, () -> passRows(mem, 0, rows, batch)));
      // opt-in variants
      available.put("model-only", () -> onThisThread(() -> modelOnly(p, all, rows, batch)));
      available.put("loop1-direct", () -> onPool(one, () -> scoreRows(p, mem, 0, rows, batch, Input.DIRECT_PER_BATCH)));
      available.put("loop2-direct", () -> onPool(two, () -> scoreRows(p, mem, 0, rows / 2, batch, Input.DIRECT_PER_BATCH),
          () -> scoreRows(p, mem, rows / 2, rows, batch, Input.DIRECT_PER_BATCH)));
      available.put("loop1-heap", () -> onPool(one, () -> scoreRows(p, mem, 0, rows, batch, Input.HEAP_PER_BATCH)));
      available.put("ort1-main", () -> onThisThread(() -> ortRows(env, perThread[0], mem, 0, rows, batch)));
      if (chosen.contains("ort1-intra2")) {
        OrtSession intra2 = session(env, model, 2, true, toClose);
        available.put("ort1-intra2", () -> onPool(one, () -> ortRows(env, intra2, mem, 0, rows, batch)));
      }
      available.put("ort2-shared", () -> onPool(two, () -> ortRows(env, perThread[0], mem, 0, rows / 2, batch),
          () -> ortRows(env, perThread[0], mem, rows / 2, rows, batch)));
      Lazy<Dataset<Row>> fromFile = new Lazy<>(() -> {
        String parquet = Path.of(System.getProperty("java.io.tmpdir"), "jinfer-spark-bench-" + rows + ".parquet").toString();
        FraudTransactions.generate(spark.get(), rows, 2).write().mode("overwrite").parquet(parquet);
        return spark.get().read().parquet(parquet);
      });
      Lazy<Dataset<Row>> cached = new Lazy<>(() -> {
        Dataset<Row> c = fromFile.get().repartition(2).cache();
        c.count();
        return c;
      });
      available.put("spark-parquet", () -> spark(scorer, fromFile.get()));
      available.put("spark-cache", () -> spark(scorer, cached.get()));
      List<String> variants = new ArrayList<>();
      for (String name : chosen) {
        if (!available.containsKey(name.trim())) {
          throw new IllegalArgumentException("bench.variants: unknown variant '" + name + "'; expected some of "
              + available.keySet());
        }
        variants.add(name.trim());
      }

      if (!blocks && (variants.contains("spark-parquet") || variants.contains("spark-cache"))) {
        cached.get(); // the Parquet file is written before anything is timed
      }
      if (blocks) {
        // the protocol this benchmark had before (kept to show what it measured): each variant in turn, in the
        // order given, one untimed run then 3 timed, the median of the 3; Spark starts when its first variant runs
        System.out.printf(Locale.ROOT, "%,d rows, batch %d, in blocks: %s, each 1 untimed run then 3 timed%n", rows, batch,
            variants);
        List<Sample> samples = new ArrayList<>();
        for (String v : variants) {
          print(measure(v, -1, available.get(v), rows));
          for (int r = 0; r < 3; r++) {
            Sample s = measure(v, r, available.get(v), rows);
            print(s);
            samples.add(s);
          }
        }
        report(variants, samples, 3, rows);
        return;
      }
      System.out.printf(Locale.ROOT, "%,d rows, batch %d, %d rounds of %s (order rotated each round), after 2 untimed runs"
          + " of each%n", rows, batch, rounds, variants);
      Map<String, Double> sums = new LinkedHashMap<>();
      for (int w = 0; w < 2; w++) {
        for (String v : variants) {
          Sample s = measure(v, -1, available.get(v), rows);
          print(s);
          if (!v.startsWith("spark") && !v.equals("model-only") && !v.endsWith("-pass")) {
            sums.put(v, s.sum());
          }
        }
      }
      // every variant that returns its scores must have scored the same rows alike (an input buffer the engine
      // copied instead of reading in place would show here)
      double reference = sums.values().stream().findFirst().orElse(0.0);
      for (Map.Entry<String, Double> e : sums.entrySet()) {
        if (Math.abs(e.getValue() - reference) > 1e-6 * Math.abs(reference) + 1e-3) {
          throw new IllegalStateException("checksums differ: " + sums);
        }
      }
      System.out.println("checksums (sum of p[1]) agree: " + sums);
      List<Sample> samples = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < variants.size(); i++) {
          String v = variants.get((i + r) % variants.size());
          Sample s = measure(v, r, available.get(v), rows);
          print(s);
          samples.add(s);
        }
      }
      report(variants, samples, rounds, rows);
    } finally {
      for (AutoCloseable c : toClose) {
        c.close();
      }
      one.shutdown();
      two.shutdown();
      if (spark.isSet()) {
        spark.get().stop();
      }
    }
  }

  private static OrtSession session(OrtEnvironment env, Path model, int intraOpThreads, boolean spinning,
      List<AutoCloseable> toClose) throws OrtException {
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(intraOpThreads);
      so.setInterOpNumThreads(1);
      so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      so.addConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
      OrtSession s = env.createSession(model.toString(), so);
      toClose.add(s);
      return s;
    }
  }

  private static Work onThisThread(Callable<Double> work) throws Exception {
    long cpu = THREADS.getCurrentThreadCpuTime();
    long user = THREADS.getCurrentThreadUserTime();
    double sum = work.call();
    return new Work(sum, THREADS.getCurrentThreadCpuTime() - cpu, THREADS.getCurrentThreadUserTime() - user);
  }

  @SafeVarargs
  private static Work onPool(ExecutorService pool, Callable<Double>... parts) throws Exception {
    List<Future<Work>> futures = new ArrayList<>();
    for (Callable<Double> part : parts) {
      futures.add(pool.submit(() -> onThisThread(part)));
    }
    double sum = 0;
    long cpu = 0;
    long user = 0;
    for (Future<Work> f : futures) {
      Work w = f.get();
      sum += w.sum();
      cpu += w.workerCpuNanos();
      user += w.workerUserNanos();
    }
    return new Work(sum, cpu, user);
  }

  private static Work spark(DatasetScorer scorer, Dataset<Row> input) {
    scorer.score(input).rows().write().format("noop").mode("overwrite").save();
    return new Work(0, -1, -1); // the tasks' threads are Spark's; their CPU is in the process's
  }

  /**
   * Spark's own share: the {@code spark} variant's plan with no engine. The same {@code RDD[InternalRow]} of the
   * same rows, mapped per partition to each row joined with a float {@code p} (the sum of its 32 features, read
   * with {@code getFloat} as the scorer reads them), projected by Spark into {@code UnsafeRow}s and written to the
   * {@code noop} sink. No batching, no row copy before the output (the scorer keeps a batch's rows in an arena):
   * a lower bound on what any scorer pays Spark per row.
   */
  private static Work sparkPass(SparkSession session, Dataset<Row> input) {
    StructType out = FraudTransactions.schema().add("p", DataTypes.FloatType, false);
    org.apache.spark.rdd.RDD<InternalRow> rows = input.queryExecution().toRdd().toJavaRDD()
        .mapPartitions(new PassThrough()).rdd();
    ((org.apache.spark.sql.classic.SparkSession) session).internalCreateDataFrame(rows, out, false)
        .write().format("noop").mode("overwrite").save();
    return new Work(0, -1, -1);
  }

  /**
   * The loop's work without the engine: the same feature reads into the batch and the same scored rows, with
   * stand-in probabilities, on one thread. Its time is the part of {@code loop1-pool} that is not the engine.
   */
  static double passRows(UnsafeRow[] rows, int from, int to, int batch) {
    int width = FraudTransactions.WIDTH;
    Scored scored = new Scored();
    float[] features = new float[batch * width];
    float[] probabilities = new float[batch * 2];
    double sum = 0;
    for (int start = from; start < to; start += batch) {
      int n = Math.min(batch, to - start);
      for (int r = 0; r < n; r++) {
        UnsafeRow row = rows[start + r];
        for (int j = 0; j < width; j++) {
          features[r * width + j] = row.getFloat(j + 1);
        }
        probabilities[2 * r + 1] = features[r * width];
      }
      sum += scored.build(rows, start, n, probabilities);
    }
    return sum;
  }

  /** Each row joined with the sum of its features: the per-row work of a scorer without the engine. */
  static final class PassThrough implements FlatMapFunction<java.util.Iterator<InternalRow>, InternalRow> {
    private static final long serialVersionUID = 1L;

    @Override
    public java.util.Iterator<InternalRow> call(java.util.Iterator<InternalRow> in) {
      int width = FraudTransactions.WIDTH;
      SpecificInternalRow p = new SpecificInternalRow(new StructType().add("p", DataTypes.FloatType, false));
      JoinedRow joined = new JoinedRow();
      return new java.util.Iterator<>() {
        @Override
        public boolean hasNext() {
          return in.hasNext();
        }

        @Override
        public InternalRow next() {
          InternalRow row = in.next();
          float sum = 0;
          for (int j = 1; j <= width; j++) {
            sum += row.getFloat(j);
          }
          p.setFloat(0, sum);
          return joined.apply(row, p);
        }
      };
    }
  }

  /** jinfer on {@code [batch, 32]} slices of a {@code float[]}: the model's cost without any rows. */
  private static double modelOnly(Predictor p, float[] all, int rows, int batch) {
    int width = FraudTransactions.WIDTH;
    double sum = 0;
    for (int from = 0; from < rows; from += batch) {
      int n = Math.min(batch, rows - from);
      Tensor in = heapFloats(Arrays.copyOfRange(all, from * width, (from + n) * width), n * width, n, width);
      sum += p.predict(NamedTensors.of("features", in)).get("probabilities").getFloat(1);
    }
    return sum;
  }

  /** The first {@code count} values as a heap-backed FLOAT32 tensor, as {@code DatasetScorer} makes its batches. */
  static Tensor heapFloats(float[] values, int count, long... shape) {
    ByteBuffer bytes = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values, 0, count);
    return Tensor.fromBuffer(dev.jinfer.DType.FLOAT32, bytes, shape);
  }

  /**
   * What a Spark task does, on one thread: reads rows {@code [from, to)}'s features into a reused batch, scores
   * each batch with one call, builds each scored row ({@code UnsafeRow} of the input row and {@code p}).
   */
  static double scoreRows(Predictor p, UnsafeRow[] rows, int from, int to, int batch) {
    return scoreRows(p, rows, from, to, batch, Input.REUSED);
  }

  /** How a loop makes each batch's input tensor. */
  enum Input {
    /** One direct buffer per loop, refilled per batch and read in place by the engine (as {@code DatasetScorer}). */
    REUSED,
    /** {@code Tensor.ofFloats} per batch: a new direct buffer each time, freed at a GC (both paths before). */
    DIRECT_PER_BATCH,
    /** A new heap buffer per batch, which the ONNX backend copies into a direct buffer it reuses. */
    HEAP_PER_BATCH
  }

  /** {@link #scoreRows(Predictor, UnsafeRow[], int, int, int)} with each batch's tensor made as {@code input} says. */
  static double scoreRows(Predictor p, UnsafeRow[] rows, int from, int to, int batch, Input input) {
    Scored scored = new Scored();
    ByteBuffer reused = ByteBuffer.allocateDirect(batch * FraudTransactions.WIDTH * 4).order(ByteOrder.LITTLE_ENDIAN);
    float[] features = new float[batch * FraudTransactions.WIDTH];
    double sum = 0;
    for (int start = from; start < to; start += batch) {
      // one method call per batch, as a Spark task's iterator makes
      sum += scoreBatch(p, rows, start, Math.min(batch, to - start), features, scored, input, reused);
    }
    return sum;
  }

  private static double scoreBatch(Predictor p, UnsafeRow[] rows, int start, int n, float[] features, Scored scored,
      Input input, ByteBuffer reused) {
    int width = FraudTransactions.WIDTH;
    for (int r = 0; r < n; r++) {
      UnsafeRow row = rows[start + r];
      for (int j = 0; j < width; j++) {
        features[r * width + j] = row.getFloat(j + 1);
      }
    }
    Tensor in = switch (input) {
      case DIRECT_PER_BATCH -> Tensor.ofFloats(n * width == features.length ? features : Arrays.copyOf(features, n * width),
          n, width);
      case HEAP_PER_BATCH -> heapFloats(features, n * width, n, width);
      case REUSED -> {
        reused.clear();
        reused.asFloatBuffer().put(features, 0, n * width);
        yield Tensor.fromBuffer(dev.jinfer.DType.FLOAT32, reused.limit(n * width * 4), n, width);
      }
    };
    float[] probabilities = p.predict(NamedTensors.of("features", in)).get("probabilities").toFloatArray();
    return scored.build(rows, start, n, probabilities);
  }

  /**
   * The same work through ONNX Runtime's Java API alone, at its best: the input tensor is made once over a
   * direct buffer the batch is written into (ONNX Runtime reads it in place), the output is pinned to another
   * direct buffer, so a full batch allocates nothing but the run's result handle.
   */
  static double ortRows(OrtEnvironment env, OrtSession session, UnsafeRow[] rows, int from, int to, int batch)
      throws OrtException {
    int width = FraudTransactions.WIDTH;
    String inputName = session.getInputNames().iterator().next();
    String outputName = session.getOutputNames().iterator().next();
    FloatBuffer in = ByteBuffer.allocateDirect(batch * width * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    FloatBuffer out = ByteBuffer.allocateDirect(batch * 2 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    float[] probabilities = new float[batch * 2];
    Scored scored = new Scored();
    double sum = 0;
    try (OnnxTensor input = OnnxTensor.createTensor(env, in, new long[] {batch, width});
        OnnxTensor output = OnnxTensor.createTensor(env, out, new long[] {batch, 2})) {
      Map<String, OnnxTensor> inputs = Map.of(inputName, input);
      Map<String, OnnxTensor> pinned = Map.of(outputName, output);
      for (int start = from; start < to; start += batch) {
        int n = Math.min(batch, to - start);
        for (int r = 0; r < n; r++) {
          UnsafeRow row = rows[start + r];
          for (int j = 0; j < width; j++) {
            in.put(r * width + j, row.getFloat(j + 1));
          }
        }
        if (n == batch) {
          try (OrtSession.Result result = session.run(inputs, pinned)) {
            if (result.isResultOwner(0)) {
              throw new IllegalStateException("ONNX Runtime returned a new output instead of writing the pinned one");
            }
            out.get(0, probabilities, 0, n * 2);
          }
        } else {
          try (OnnxTensor part = OnnxTensor.createTensor(env, in.slice(0, n * width), new long[] {n, width});
              OrtSession.Result result = session.run(Map.of(inputName, part))) {
            ((OnnxTensor) result.get(0)).getFloatBuffer().get(probabilities, 0, n * 2);
          }
        }
        sum += scored.build(rows, start, n, probabilities);
      }
    }
    return sum;
  }

  /** Builds the scored rows of a batch ({@code UnsafeRow} of the input and {@code p}), as Spark's scan does. */
  private static final class Scored {
    private final UnsafeProjection project = UnsafeProjection.create(
        FraudTransactions.schema().add("p", DataTypes.createArrayType(DataTypes.FloatType, false), true));
    private final SpecificInternalRow outputs = new SpecificInternalRow(new StructType().add("p",
        DataTypes.createArrayType(DataTypes.FloatType, false), true));
    private final JoinedRow joined = new JoinedRow();
    // each row's p as UnsafeArrayData in words reused for every row, as DatasetScorer writes it
    private final long[] words = new long[(UnsafeArrayData.calculateHeaderPortionInBytes(2) + 8 + 7) / 8];
    private final UnsafeArrayData array = new UnsafeArrayData();

    Scored() {
      Platform.putLong(words, Platform.LONG_ARRAY_OFFSET, 2);
      array.pointTo(words, Platform.LONG_ARRAY_OFFSET, words.length * 8);
    }

    double build(UnsafeRow[] rows, int start, int n, float[] probabilities) {
      double sum = 0;
      int header = UnsafeArrayData.calculateHeaderPortionInBytes(2);
      for (int r = 0; r < n; r++) {
        Platform.copyMemory(probabilities, Platform.FLOAT_ARRAY_OFFSET + r * 8L, words, Platform.LONG_ARRAY_OFFSET + header, 8);
        outputs.update(0, array);
        sum += project.apply(joined.apply(rows[start + r], outputs)).getArray(FraudTransactions.WIDTH + 1).getFloat(1);
      }
      return sum;
    }
  }

  /** A value made on first use (single-threaded: the benchmark's main thread). */
  private static final class Lazy<T> {
    private final java.util.function.Supplier<T> make;
    private @org.jspecify.annotations.Nullable T value;

    Lazy(java.util.function.Supplier<T> make) {
      this.make = make;
    }

    T get() {
      if (value == null) {
        value = make.get();
      }
      return value;
    }

    boolean isSet() {
      return value != null;
    }
  }

  /** The process's, the JVM's and the machine's counters at one instant. */
  private record Probe(long nanos, long processCpu, long gcMillis, long gcCount, long jitMillis, long machineBusyTicks,
      long stealTicks, long minorFaults) {
    static Probe now() {
      long gcMillis = 0;
      long gcCount = 0;
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        gcMillis += Math.max(0, gc.getCollectionTime());
        gcCount += Math.max(0, gc.getCollectionCount());
      }
      long[] cpu = procStat();
      return new Probe(System.nanoTime(),
          ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime(),
          gcMillis, gcCount, ManagementFactory.getCompilationMXBean().getTotalCompilationTime(), cpu[0], cpu[1],
          readMinorFaults());
    }

    /** The process's minor page faults so far ({@code /proc/self/stat} field 10); 0 elsewhere. */
    private static long readMinorFaults() {
      try {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        // the fields after the command name, which is in parentheses and may hold spaces
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        return Long.parseLong(f[7]);
      } catch (java.io.IOException | RuntimeException e) {
        return 0;
      }
    }

    /** {@code /proc/stat}'s machine-wide busy (user, nice, system, irq, softirq) and steal ticks; zeros elsewhere. */
    private static long[] procStat() {
      try {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
            + Long.parseLong(f[7]);
        return new long[] {busy, Long.parseLong(f[8])};
      } catch (java.io.IOException | RuntimeException e) {
        return new long[] {0, 0};
      }
    }
  }

  private static Sample measure(String name, int round, Variant variant, int rows) throws Exception {
    Probe before = Probe.now();
    Work work = variant.run();
    Probe after = Probe.now();
    if (Double.isNaN(work.sum())) {
      throw new IllegalStateException(name + ": NaN scores");
    }
    double wall = (after.nanos() - before.nanos()) / 1e9;
    double processCpu = (after.processCpu() - before.processCpu()) / 1e9;
    double tick = 0.01; // USER_HZ = 100 on Linux
    double machineBusy = (after.machineBusyTicks() - before.machineBusyTicks()) * tick;
    return new Sample(name, round, rows / wall, work.sum(), wall, processCpu,
        work.workerCpuNanos() < 0 ? Double.NaN : work.workerCpuNanos() / 1e9,
        work.workerCpuNanos() < 0 ? Double.NaN : (work.workerCpuNanos() - work.workerUserNanos()) / 1e9,
        after.minorFaults() - before.minorFaults(),
        (after.gcMillis() - before.gcMillis()) / 1e3, after.gcCount() - before.gcCount(),
        (after.jitMillis() - before.jitMillis()) / 1e3, Math.max(0, machineBusy - processCpu),
        (after.stealTicks() - before.stealTicks()) * tick);
  }

  private static void print(Sample s) {
    System.out.printf(Locale.ROOT, "%6.1f s %-8s %-12s %,10.0f rows/s  wall %5.2f s  cpu: process %5.2f s, workers %5s s"
            + " (sys %s s)  page faults %,d  gc %4.2f s (%d)  jit %4.2f s  others' cpu %4.2f s  steal %4.2f s%n",
        ManagementFactory.getRuntimeMXBean().getUptime() / 1e3, s.round() < 0 ? "warm-up" : "round " + (s.round() + 1), s.variant(), s.rowsPerSecond(), s.wall(), s.processCpu(),
        Double.isNaN(s.workerCpu()) ? "-" : String.format(Locale.ROOT, "%5.2f", s.workerCpu()),
        Double.isNaN(s.workerSys()) ? "-" : String.format(Locale.ROOT, "%4.2f", s.workerSys()), s.pageFaults(), s.gc(), s.gcCount(),
        s.jit(), s.othersCpu(), s.steal());
  }

  private static void report(List<String> variants, List<Sample> samples, int rounds, int rows) {
    System.out.println();
    System.out.println("| variant | median rows/s | min - max | workers' cpu ns/row | process cpu / wall | page faults | gc s"
        + " | others' cpu s |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (String v : variants) {
      List<Sample> mine = samples.stream().filter(s -> s.variant().equals(v)).toList();
      double[] rate = mine.stream().mapToDouble(Sample::rowsPerSecond).sorted().toArray();
      System.out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f - %,.0f | %s | %.2f | %,.0f | %.2f | %.2f |%n", v, median(rate), rate[0],
          rate[rate.length - 1],
          Double.isNaN(mine.get(0).workerCpu()) ? "-" : String.format(Locale.ROOT, "%,.0f",
              median(mine, s -> s.workerCpu() * 1e9 / rows)),
          median(mine, s -> s.processCpu() / s.wall()), median(mine, s -> s.pageFaults()), median(mine, Sample::gc),
          median(mine, Sample::othersCpu));
    }
    System.out.println();
    for (String a : variants) {
      StringBuilder line = new StringBuilder(a + " vs:");
      for (String b : variants) {
        if (a.equals(b)) {
          continue;
        }
        double[] ratios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          int round = r;
          double x = samples.stream().filter(s -> s.round() == round && s.variant().equals(a)).findFirst().orElseThrow()
              .rowsPerSecond();
          double y = samples.stream().filter(s -> s.round() == round && s.variant().equals(b)).findFirst().orElseThrow()
              .rowsPerSecond();
          ratios[r] = x / y;
        }
        Arrays.sort(ratios);
        line.append(String.format(Locale.ROOT, "  %s %.2fx (%.2f-%.2f)", b, median(ratios), ratios[0], ratios[rounds - 1]));
      }
      System.out.println(line);
    }
  }

  private static double median(List<Sample> samples, ToDoubleFunction<Sample> f) {
    return median(samples.stream().mapToDouble(f).sorted().toArray());
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
