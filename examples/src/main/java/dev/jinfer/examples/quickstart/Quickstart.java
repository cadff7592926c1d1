package dev.jinfer.examples.quickstart;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * Scores synthetic card transactions with the bundled fraud model, one row per call on one thread, the
 * way a request handler would, and prints a few predictions, the latency percentiles and the throughput.
 *
 * <pre>
 * mvn -B -q -pl examples -am package -DskipTests &amp;&amp; java -jar examples/target/quickstart.jar [--engine E] [TRANSACTIONS]
 * </pre>
 *
 * <p>The model (an MLP from 32 features to P(legit), P(fraud)) is bundled in this jar in the three formats
 * jinfer serves, with the same weights: {@code fixtures/onnx/fraud.onnx} ({@code --engine onnx}, the default),
 * the SavedModel {@code fixtures/tensorflow/fraud} ({@code --engine tensorflow}) and the TorchScript file
 * {@code fixtures/pytorch/fraud.pt} with its signature sidecar ({@code --engine pytorch}). Engines load models
 * from files, so the chosen one is copied to a temporary directory that is deleted as soon as the model is
 * loaded; the same {@code Model.load} call serves all three. The transactions are seeded standard-normal
 * features, so every run scores the same rows (and the three engines print the same predictions).
 *
 * <p>Not thread-safe; {@link #main} is the entry point.
 */
public final class Quickstart {
  /** The engines the quickstart can run on, each with the bundled resources that make up its model. */
  enum Engine {
    /** ONNX Runtime: one file. */
    ONNX("fraud.onnx", "fraud.onnx"),
    /** TensorFlow Java: a SavedModel directory. */
    TENSORFLOW("fraud", "fraud/saved_model.pb", "fraud/variables/variables.data-00000-of-00001",
        "fraud/variables/variables.index"),
    /** PyTorch (DJL): a TorchScript file and its signature sidecar. */
    PYTORCH("fraud.pt", "fraud.pt", "fraud.pt.signature.json");

    final String model;
    final List<String> files;

    Engine(String model, String... files) {
      this.model = model;
      this.files = List.of(files);
    }

    /** The classpath folder of this engine's bundled files (the ONNX model stays where the REST example finds it). */
    String resourceDir() {
      return this == ONNX ? "/models/" : "/models/" + name().toLowerCase(Locale.ROOT) + "/";
    }
  }
  /** Transactions scored when no count is given. */
  static final int DEFAULT_TRANSACTIONS = 5_000;
  /** Calls made before measuring, so the JIT has compiled the call path. */
  static final int WARMUP_CALLS = 2_000;

  private static final String INPUT = "features";
  private static final String OUTPUT = "probabilities";
  private static final int FEATURES = 32;
  private static final int SHOWN = 8;
  private static final long SEED = 20_240_917L;

  private Quickstart() {}

  /**
   * Runs the quickstart.
   *
   * @param args {@code [--engine onnx|tensorflow|pytorch] [TRANSACTIONS]}: the engine (default onnx) and the
   *     number of transactions to score (default {@value #DEFAULT_TRANSACTIONS})
   */
  public static void main(String[] args) {
    Engine engine = Engine.ONNX;
    int transactions = DEFAULT_TRANSACTIONS;
    List<String> rest = new ArrayList<>(List.of(args));
    int flag = rest.indexOf("--engine");
    String usage = "usage: java -jar quickstart.jar [--engine onnx|tensorflow|pytorch] [TRANSACTIONS]   (a positive"
        + " count, default " + DEFAULT_TRANSACTIONS + ")";
    if (flag >= 0) {
      if (flag + 1 >= rest.size()) {
        System.err.println("--engine needs a value\n" + usage);
        System.exit(2);
      }
      String name = rest.get(flag + 1);
      try {
        engine = Engine.valueOf(name.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        System.err.println("--engine: expected onnx, tensorflow or pytorch but got '" + name + "'\n" + usage);
        System.exit(2);
      }
      rest.subList(flag, flag + 2).clear();
    }
    if (rest.size() > 1 || rest.size() == 1 && !rest.get(0).matches("[1-9][0-9]{0,8}")) {
      System.err.println(usage);
      System.exit(2);
    }
    if (rest.size() == 1) {
      transactions = Integer.parseInt(rest.get(0));
    }
    run(engine, transactions, WARMUP_CALLS, System.out);
  }

  /**
   * Loads the model, warms up, scores the transactions and prints the report.
   *
   * @param engine the engine whose bundled model to load
   * @param transactions how many transactions to score and measure, at least 1
   * @param warmupCalls how many unmeasured calls to make first
   * @param out where the report goes
   */
  static void run(Engine engine, int transactions, int warmupCalls, PrintStream out) {
    try (Model model = loadBundledModel(engine)) {
      Predictor predictor = model.predictor();
      out.printf(Locale.ROOT, "Loaded %s on %s (%s): %s%n", model.id(), model.backend(), model.device(),
          model.signature());

      Random random = new Random(SEED);
      float[] features = new float[FEATURES];
      for (int i = 0; i < warmupCalls; i++) {
        predictor.predict(NamedTensors.of(INPUT, nextTransaction(random, features)));
      }

      Histogram latencyNanos = new Histogram(3);
      float[] shown = new float[Math.min(SHOWN, transactions)];
      long start = System.nanoTime();
      for (int i = 0; i < transactions; i++) {
        NamedTensors request = NamedTensors.of(INPUT, nextTransaction(random, features));
        long before = System.nanoTime();
        NamedTensors result = predictor.predict(request);
        latencyNanos.recordValue(System.nanoTime() - before);
        if (i < shown.length) {
          shown[i] = result.get(OUTPUT).getFloat(1); // column 1: P(fraud)
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;

      out.println();
      out.println("  transaction  P(fraud)  predicted  confidence");
      for (int i = 0; i < shown.length; i++) {
        float p = shown[i];
        out.printf(Locale.ROOT, "  %11d  %8.4f  %-9s  %9.1f%%%n", i + 1, p, p >= 0.5f ? "FRAUD" : "legit",
            100 * Math.max(p, 1 - p));
      }
      out.println();
      out.printf(Locale.ROOT, "Scored %,d transactions, one row per call on one thread, after %,d warm-up calls:%n",
          transactions, warmupCalls);
      out.printf(Locale.ROOT, "  latency p50  %10.1f us%n", latencyNanos.getValueAtPercentile(50) / 1e3);
      out.printf(Locale.ROOT, "  latency p90  %10.1f us%n", latencyNanos.getValueAtPercentile(90) / 1e3);
      out.printf(Locale.ROOT, "  latency p99  %10.1f us%n", latencyNanos.getValueAtPercentile(99) / 1e3);
      out.printf(Locale.ROOT, "  latency max  %10.1f us%n", latencyNanos.getMaxValue() / 1e3);
      out.printf(Locale.ROOT, "  throughput   %,10.0f predictions/s%n", transactions / seconds);
    }
  }

  /** Seeded standard-normal features, like the rows of {@code fraud_input.npy}: one transaction [1, 32]. */
  private static Tensor nextTransaction(Random random, float[] features) {
    for (int f = 0; f < features.length; f++) {
      features[f] = (float) random.nextGaussian();
    }
    return Tensor.ofFloats(features, 1, FEATURES);
  }

  /**
   * Copies the engine's bundled files to a temporary directory, loads the model from there, and deletes the
   * directory, loaded or not (the engines have read the files by then).
   *
   * @param engine the engine whose bundled model to load
   * @return the loaded model, named {@code fraud}
   */
  static Model loadBundledModel(Engine engine) {
    Path dir;
    try {
      dir = Files.createTempDirectory("jinfer-quickstart-");
      for (String file : engine.files) {
        Path target = dir.resolve(file);
        Files.createDirectories(target.getParent());
        try (InputStream in = Quickstart.class.getResourceAsStream(engine.resourceDir() + file)) {
          if (in == null) {
            throw new IllegalStateException("classpath resource " + engine.resourceDir() + file + " is missing: build"
                + " the examples module with Maven, which bundles the fraud model from fixtures/");
          }
          Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("copying the bundled " + engine + " model to a temporary directory failed: "
          + e.getMessage(), e);
    }
    try {
      // one intra-op thread: a one-row MLP is too small to gain from splitting across threads
      return Model.load(dir.resolve(engine.model),
          LoadOptions.newBuilder().modelName("fraud").intraOpThreads(1).interOpThreads(1).build());
    } finally {
      deleteTree(dir);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      dir.toFile().deleteOnExit(); // best effort: a temporary directory
    }
  }
}
