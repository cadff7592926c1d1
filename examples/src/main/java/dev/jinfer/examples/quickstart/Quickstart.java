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
import java.util.Locale;
import java.util.Random;
import org.HdrHistogram.Histogram;

/**
 * Scores synthetic card transactions with the bundled fraud model, one row per call on one thread, the
 * way a request handler would, and prints a few predictions, the latency percentiles and the throughput.
 *
 * <pre>
 * mvn -B -q -pl examples -am package -DskipTests &amp;&amp; java -jar examples/target/quickstart.jar [TRANSACTIONS]
 * </pre>
 *
 * <p>The model ({@code fixtures/onnx/fraud.onnx}, an MLP from 32 features to P(legit), P(fraud)) is a
 * classpath resource of this jar. ONNX Runtime loads models from a file, so it is copied to a temporary
 * file that is deleted as soon as the model is loaded. The transactions are seeded standard-normal
 * features, so every run scores the same rows.
 *
 * <p>Not thread-safe; {@link #main} is the entry point.
 */
public final class Quickstart {
  /** The classpath resource holding the model. */
  static final String MODEL_RESOURCE = "/models/fraud.onnx";
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
   * @param args optionally the number of transactions to score (default {@value #DEFAULT_TRANSACTIONS})
   */
  public static void main(String[] args) {
    int transactions = DEFAULT_TRANSACTIONS;
    if (args.length > 1 || args.length == 1 && !args[0].matches("[1-9][0-9]{0,8}")) {
      System.err.println("usage: java -jar quickstart.jar [TRANSACTIONS]   (a positive count, default "
          + DEFAULT_TRANSACTIONS + ")");
      System.exit(2);
    }
    if (args.length == 1) {
      transactions = Integer.parseInt(args[0]);
    }
    run(transactions, WARMUP_CALLS, System.out);
  }

  /**
   * Loads the model, warms up, scores the transactions and prints the report.
   *
   * @param transactions how many transactions to score and measure, at least 1
   * @param warmupCalls how many unmeasured calls to make first
   * @param out where the report goes
   */
  static void run(int transactions, int warmupCalls, PrintStream out) {
    try (Model model = loadBundledModel()) {
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
   * Copies the model resource to a temporary file, loads it, and deletes the file (ONNX Runtime has read
   * it by then; {@code deleteOnExit} covers a failed load).
   */
  static Model loadBundledModel() {
    Path file;
    try {
      file = Files.createTempFile("jinfer-quickstart-", ".onnx");
      file.toFile().deleteOnExit();
      try (InputStream in = Quickstart.class.getResourceAsStream(MODEL_RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException("classpath resource " + MODEL_RESOURCE + " is missing: build the examples"
              + " module with Maven, which bundles fixtures/onnx/fraud.onnx");
        }
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("copying " + MODEL_RESOURCE + " to a temporary file failed: " + e.getMessage(), e);
    }
    try {
      // one intra-op thread: a one-row MLP is too small to gain from splitting across threads
      return Model.load(file, LoadOptions.newBuilder().modelName("fraud").intraOpThreads(1).build());
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // deleteOnExit will retry
      }
    }
  }
}
