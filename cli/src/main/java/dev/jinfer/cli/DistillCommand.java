package dev.jinfer.cli;

import dev.jinfer.LoadOptions;
import dev.jinfer.Tensor;
import dev.jinfer.distill.Agreement;
import dev.jinfer.distill.DistillationResult;
import dev.jinfer.distill.Distiller;
import dev.jinfer.distill.LatencyComparison;
import dev.jinfer.io.Npy;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code jinfer distill TEACHER --data X.npy [--labels Y.npy] --student 64,32 --out STUDENT.onnx}: a thin shell
 * over {@link Distiller} and {@link LatencyComparison}; progress goes to standard error, the report to standard
 * output. One invocation per instance; not thread-safe.
 */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Knowledge distillation: trains a small MLP student (DJL on PyTorch, in the JVM) to imitate the "
        + "teacher and writes it as ONNX with the teacher's input and output names; then reports both models' "
        + "parameters, file sizes, latency at batch 1 and 32 (one run) and their held-out agreement."})
final class DistillCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @ParentCommand
  JinferCli parent;

  @Parameters(index = "0", paramLabel = "TEACHER", description = "The teacher: any model jinfer loads.")
  Path teacher;

  @Option(names = "--data", paramLabel = "X.npy", required = true,
      description = "FLOAT32 [rows, features] rows fitting the teacher's input.")
  Path data;

  @Option(names = "--labels", paramLabel = "Y.npy", description = "INT64/INT32 class per row: adds the hard-label loss.")
  @Nullable Path labels;

  @Option(names = "--student", paramLabel = "W1,W2", required = true, split = ",",
      description = "The student's hidden layer widths, e.g. 64,32.")
  int[] student;

  @Option(names = "--out", paramLabel = "STUDENT.onnx", required = true, description = "Where to write the student.")
  Path out;

  @Option(names = "--output", paramLabel = "NAME", description = "The teacher output to imitate (if it has several).")
  @Nullable String output;

  @Option(names = "--temperature", defaultValue = "4", description = "Softening temperature (default ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--alpha", defaultValue = "0.5",
      description = "Weight of the teacher loss; 1 - alpha goes to the labels (default ${DEFAULT-VALUE}).")
  double alpha;

  @Option(names = "--learning-rate", defaultValue = "0.001", description = "Adam's learning rate (default ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--batch-size", defaultValue = "32", description = "Mini-batch rows (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--epochs", defaultValue = "200", description = "Most epochs (default ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--patience", defaultValue = "10",
      description = "Early stopping: epochs without a better held-out loss (default ${DEFAULT-VALUE}).")
  int patience;

  @Option(names = "--holdout", defaultValue = "0.2", description = "Share of rows held out (default ${DEFAULT-VALUE}).")
  double holdout;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of split, shuffling and weights (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--eval-data", paramLabel = "X.npy", description = "Extra rows to compare both models on (e.g. a test set).")
  @Nullable Path evalData;

  @Option(names = "--eval-labels", paramLabel = "Y.npy", description = "Labels of --eval-data.")
  @Nullable Path evalLabels;

  @Option(names = "--threads", defaultValue = "1",
      description = "Intra-op threads of training and of both models (default ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--latency-calls", defaultValue = "2000",
      description = "Timed calls per model and batch size, after as many (at least 1,000) untimed ones; 0 skips "
          + "timing (default ${DEFAULT-VALUE}).")
  int latencyCalls;

  @Option(names = "--latency-block", defaultValue = "500",
      description = "Consecutive timed calls of one model before the other's turn; 1 alternates call by call, "
          + "as a process serving both models would (default ${DEFAULT-VALUE}).")
  int latencyBlock;

  @Override
  public Integer call() {
    try {
      return run(spec.commandLine().getOut(), spec.commandLine().getErr());
    } catch (IllegalArgumentException e) {
      return JinferCli.report(CliException.usage(e.getMessage()), spec, parent.verbose);
    } catch (RuntimeException | LinkageError e) {
      return JinferCli.report(e, spec, parent.verbose);
    }
  }

  private int run(PrintWriter pw, PrintWriter err) {
    for (Path p : new Path[] {teacher, data, labels, evalData, evalLabels}) {
      if (p != null && !Files.exists(p)) {
        throw CliException.usage("file '" + p + "': expected an existing file but it does not exist");
      }
    }
    if (evalLabels != null && evalData == null) {
      throw CliException.usage("--eval-labels: expected --eval-data too");
    }
    LoadOptions options = LoadOptions.newBuilder().intraOpThreads(threads).build();
    Distiller.Builder builder = Distiller.newBuilder().hiddenWidths(student).temperature(temperature).alpha(alpha)
        .learningRate(learningRate).batchSize(batchSize).maxEpochs(epochs).patience(patience).holdoutFraction(holdout)
        .seed(seed).trainingThreads(threads).loadOptions(options)
        .progress(p -> {
          err.println("distill: " + p.toLine());
          err.flush();
        });
    if (output != null) {
      builder.outputName(output);
    }
    Distiller distiller = builder.build();
    Tensor x = Npy.read(data);
    DistillationResult r = distiller.distill(teacher, x, labels == null ? null : Npy.read(labels), out);
    Agreement eval = evalData == null ? null
        : distiller.evaluate(teacher, out, Npy.read(evalData), evalLabels == null ? null : Npy.read(evalLabels));
    List<LatencyComparison.Latency> latency = latencyCalls == 0 ? List.of()
        : LatencyComparison.newBuilder().calls(latencyCalls).blockCalls(latencyBlock).loadOptions(options)
            // as many warmup calls as timed ones: right after training, the JIT and the collector are still busy
            .warmupCalls(Math.max(1000, latencyCalls)).build()
            .measure(teacher, out, x);

    pw.println("Teacher     " + teacher + "  ('" + r.inputName() + "' -> '" + r.outputName() + "')");
    pw.println(String.format(Locale.ROOT, "Student     %s  MLP %s%s, epoch %d of %d kept, %d rows trained", out,
        widths(r.layerWidths()), r.softmax() ? " + Softmax" : "", r.bestEpoch(), r.epochs(), r.trainRows()));
    pw.println(String.format(Locale.ROOT, "%-22s %12s %12s %9s", "", "teacher", "student", "ratio"));
    if (r.teacherParameters().isPresent()) {
      long tp = r.teacherParameters().getAsLong();
      pw.println(String.format(Locale.ROOT, "%-22s %,12d %,12d %8.1fx", "parameters", tp, r.studentParameters(),
          (double) tp / r.studentParameters()));
    } else {
      pw.println(String.format(Locale.ROOT, "%-22s %12s %,12d %9s", "parameters", "n/a", r.studentParameters(), ""));
    }
    pw.println(String.format(Locale.ROOT, "%-22s %,12d %,12d %8.1fx", "file size (bytes)", r.teacherBytes(),
        r.studentBytes(), (double) r.teacherBytes() / r.studentBytes()));
    for (LatencyComparison.Latency l : latency) {
      String timing = latencyBlock == 1 ? "interleaved"
          : String.format(Locale.ROOT, "blocks of %d", Math.min(latencyBlock, l.calls()));
      pw.println(String.format(Locale.ROOT,
          "%-22s %12.1f %12.1f %8.1fx   (paired %.1fx; p90 %.1f / %.1f; %d calls each, %s)",
          "latency batch " + l.batchSize() + " (us)", l.teacherMedianMicros(), l.studentMedianMicros(), l.speedup(),
          l.pairedSpeedup(), l.teacherP90Micros(), l.studentP90Micros(), l.calls(), timing));
    }
    printAgreement(pw, "held-out", r.heldOut());
    if (eval != null) {
      printAgreement(pw, "eval", eval);
    }
    pw.flush();
    return JinferCli.EXIT_OK;
  }

  private static void printAgreement(PrintWriter pw, String what, Agreement a) {
    pw.println(String.format(Locale.ROOT, "%-22s %12s %12.4f", what + " agreement", "", a.agreement())
        + "   (" + a.rows() + " rows: student's top class = teacher's)");
    if (a.teacherAccuracy().isPresent()) {
      OptionalDouble kept = a.retainedAccuracy();
      pw.println(String.format(Locale.ROOT, "%-22s %12.4f %12.4f %8.1f%%   (of the teacher's accuracy)",
          what + " accuracy", a.teacherAccuracy().getAsDouble(), a.studentAccuracy().getAsDouble(),
          kept.isPresent() ? 100 * kept.getAsDouble() : Double.NaN));
    }
  }

  private static String widths(List<Integer> widths) {
    StringBuilder sb = new StringBuilder();
    for (int w : widths) {
      sb.append(sb.length() == 0 ? "" : "-").append(w);
    }
    return sb.toString();
  }
}
