package dev.jinfer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jinfer.InvalidInputException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import dev.jinfer.optimize.ModelComparison;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code jinfer compare A B --input NAME=FILE.npy [--labels FILE.npy] [--json FILE]}: a thin shell over
 * {@link ModelComparison} that prints a table (and writes the same figures as JSON). One invocation per
 * instance; not thread-safe.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
    description = {"Compare two models on the same inputs: file size, parameters, p50/p99 latency at batch 1 and 32 "
        + "(both timed alternately in one run), max/mean absolute output difference, cosine similarity, top-1 "
        + "agreement, and accuracy against labels.",
        "Run it alone on the machine: its latencies are only as quiet as the machine."})
final class CompareCommand implements Callable<Integer> {
  /**
   * The JSON writer, built on first use: picocli instantiates every command at start-up, and an ObjectMapper
   * built in this class's static init cost every {@code jinfer} run (predict, --version) ~100 ms of class
   * loading (issue 20).
   */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }

  @Spec
  CommandSpec spec;

  @ParentCommand
  JinferCli parent;

  @Parameters(index = "0", paramLabel = "A", description = "The reference model (e.g. the fp32 original).")
  Path a;

  @Parameters(index = "1", paramLabel = "B", description = "The model compared with it.")
  Path b;

  @Option(names = {"-i", "--input"}, required = true, paramLabel = "NAME=FILE.npy", converter = InputArg.Converter.class,
      description = "An input of both models: rows along the first dimension (repeat for several inputs).")
  List<InputArg> inputs = new ArrayList<>();

  @Option(names = "--labels", paramLabel = "FILE.npy", description = "int64/int32 class labels, one per row.")
  Path labels;

  @Option(names = "--output", paramLabel = "NAME", description = "The output compared (default: the first).")
  String output;

  @Option(names = "--rounds", defaultValue = "500", description = "Timed rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--warmup", defaultValue = "50", description = "Untimed rounds first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--threads", defaultValue = "1", description = "Intra-op threads per model (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON to FILE.")
  Path json;

  @Override
  public Integer call() {
    try {
      return run(spec.commandLine().getOut());
    } catch (RuntimeException | LinkageError e) {
      return JinferCli.report(e, spec, parent.verbose);
    }
  }

  private int run(PrintWriter pw) {
    if (rounds < 1 || warmup < 0 || threads < 1) {
      throw CliException.usage("--rounds, --warmup, --threads: expected >= 1, >= 0, >= 1 but got " + rounds + ", "
          + warmup + ", " + threads);
    }
    for (Path m : List.of(a, b)) {
      if (!Files.exists(m)) {
        throw CliException.usage("model '" + m + "': expected an existing model file but it does not exist");
      }
    }
    NamedTensors.Builder in = NamedTensors.newBuilder();
    for (InputArg arg : inputs) {
      in.put(arg.name(), read("input '" + arg.name() + "'", arg.file()));
    }
    ModelComparison.Builder builder = ModelComparison.newBuilder().inputs(in.build()).rounds(rounds).warmup(warmup)
        .threads(threads);
    if (labels != null) {
      builder.labels(read("labels", labels));
    }
    if (output != null) {
      builder.output(output);
    }
    ModelComparison.Report r = builder.build().compare(a, b);
    printTable(pw, r);
    if (json != null) {
      try {
        Files.writeString(json, Json.MAPPER.writeValueAsString(toJson(r)) + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + json + ": " + e.getMessage(), e);
      }
      pw.println("JSON      " + json);
    }
    pw.flush();
    return JinferCli.EXIT_OK;
  }

  private static Tensor read(String what, Path file) {
    if (!Files.isRegularFile(file)) {
      throw CliException.usage(what + ": expected an existing .npy file but '" + file + "' is not one");
    }
    try {
      return Npy.read(file);
    } catch (InvalidInputException e) {
      throw new InvalidInputException(what + ": " + e.getMessage(), e);
    }
  }

  static void printTable(PrintWriter pw, ModelComparison.Report r) {
    ModelComparison.Side sa = r.a();
    ModelComparison.Side sb = r.b();
    pw.println("A         " + sa.path());
    pw.println("B         " + sb.path());
    pw.println(String.format(Locale.ROOT, "Compared  output '%s' on %d rows; %d timed rounds, %d thread(s), "
        + "A and B alternately", r.output(), r.rows(), r.rounds(), r.threads()));
    String big = "batch " + r.largeBatch();
    pw.println(String.format(Locale.ROOT, "  %-22s %14s %14s %9s", "", "A", "B", "A/B"));
    row(pw, "size (bytes)", sa.bytes(), sb.bytes());
    row(pw, "parameters", sa.parameters(), sb.parameters());
    row(pw, "p50 batch 1 (us)", sa.p50Batch1Micros(), sb.p50Batch1Micros());
    row(pw, "p99 batch 1 (us)", sa.p99Batch1Micros(), sb.p99Batch1Micros());
    row(pw, "p50 " + big + " (us)", sa.p50Batch32Micros(), sb.p50Batch32Micros());
    row(pw, "p99 " + big + " (us)", sa.p99Batch32Micros(), sb.p99Batch32Micros());
    if (r.labelled()) {
      pw.println(String.format(Locale.ROOT, "  %-22s %13.2f%% %13.2f%%", "accuracy", 100 * sa.accuracy(),
          100 * sb.accuracy()));
    }
    pw.println(String.format(Locale.ROOT, "  %-22s %14.6g", "max abs diff", r.maxAbsDiff()));
    pw.println(String.format(Locale.ROOT, "  %-22s %14.6g", "mean abs diff", r.meanAbsDiff()));
    pw.println(String.format(Locale.ROOT, "  %-22s %14.6f", "cosine (mean of rows)", r.cosine()));
    pw.println(String.format(Locale.ROOT, "  %-22s %13.2f%%", "top-1 agreement", 100 * r.top1Agreement()));
  }

  private static void row(PrintWriter pw, String name, double va, double vb) {
    boolean known = va >= 0 && vb > 0;
    pw.println(String.format(Locale.ROOT, "  %-22s %14s %14s %9s", name, fmt(va), fmt(vb),
        known ? String.format(Locale.ROOT, "%.2fx", va / vb) : "n/a"));
  }

  private static String fmt(double v) {
    if (v < 0 || Double.isNaN(v)) {
      return "n/a";
    }
    return v == Math.rint(v) && v >= 1000 ? String.format(Locale.ROOT, "%,d", (long) v)
        : String.format(Locale.ROOT, "%.1f", v);
  }

  static ObjectNode toJson(ModelComparison.Report r) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("tool", "jinfer compare");
    root.put("output", r.output());
    root.put("rows", r.rows());
    root.put("largeBatch", r.largeBatch());
    root.put("rounds", r.rounds());
    root.put("threads", r.threads());
    root.set("a", side(r.a(), r.labelled()));
    root.set("b", side(r.b(), r.labelled()));
    root.put("sizeRatio", r.sizeRatio());
    root.put("speedupBatch1", r.speedupBatch1());
    root.put("speedupBatch32", r.speedupBatch32());
    root.put("maxAbsDiff", r.maxAbsDiff());
    root.put("meanAbsDiff", r.meanAbsDiff());
    root.put("cosine", r.cosine());
    root.put("top1Agreement", r.top1Agreement());
    return root;
  }

  private static ObjectNode side(ModelComparison.Side s, boolean labelled) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("path", s.path());
    n.put("bytes", s.bytes());
    if (s.parameters() >= 0) {
      n.put("parameters", s.parameters());
    }
    n.put("p50Batch1Micros", s.p50Batch1Micros());
    n.put("p99Batch1Micros", s.p99Batch1Micros());
    n.put("p50Batch32Micros", s.p50Batch32Micros());
    n.put("p99Batch32Micros", s.p99Batch32Micros());
    if (labelled) {
      n.put("accuracy", s.accuracy());
    }
    return n;
  }
}
