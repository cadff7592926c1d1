package dev.jinfer.cli;

import dev.jinfer.OptimizationLevel;
import dev.jinfer.optimize.GraphOptimizer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code jinfer optimize MODEL.onnx --level basic|extended|all --out OUT.onnx}: a thin shell over
 * {@link GraphOptimizer} that prints the node counts by operator before and after. One invocation per
 * instance; not thread-safe.
 */
@Command(name = "optimize", mixinStandardHelpOptions = true,
    description = {"Apply ONNX Runtime's graph optimizations to an ONNX model offline and write the result.",
        "extended and all may emit ONNX Runtime contrib operators (com.microsoft.*); all may also emit layouts "
            + "specific to this CPU: optimize on the kind of machine that serves the model."})
final class OptimizeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @ParentCommand
  JinferCli parent;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model to optimize (never modified).")
  Path model;

  @Option(names = "--level", paramLabel = "LEVEL", defaultValue = "extended",
      description = "basic, extended or all (default: ${DEFAULT-VALUE}).")
  String level;

  @Option(names = "--out", paramLabel = "OUT", required = true,
      description = "Where to write the optimized model (written atomically; not the input).")
  Path out;

  @Override
  public Integer call() {
    try {
      return run(spec.commandLine().getOut());
    } catch (RuntimeException | LinkageError e) {
      return JinferCli.report(e, spec, parent.verbose);
    }
  }

  private int run(PrintWriter pw) {
    OptimizationLevel parsed = switch (level.toLowerCase(Locale.ROOT)) {
      case "basic" -> OptimizationLevel.BASIC;
      case "extended" -> OptimizationLevel.EXTENDED;
      case "all" -> OptimizationLevel.ALL;
      default -> throw CliException.usage("--level: expected basic, extended or all but got '" + level + "'");
    };
    if (!Files.exists(model)) {
      throw CliException.usage("model '" + model + "': expected an existing ONNX file but it does not exist");
    }
    GraphOptimizer.Result r = GraphOptimizer.newBuilder().level(parsed).build().optimize(model, out);
    TreeSet<String> ops = new TreeSet<>(r.opsBefore().keySet());
    ops.addAll(r.opsAfter().keySet());
    int width = Math.max(8, ops.stream().mapToInt(String::length).max().orElse(0));
    pw.println("Model     " + model);
    pw.println("Level     " + parsed.name().toLowerCase(Locale.ROOT));
    pw.println("Output    " + out);
    pw.println("  " + Table.pad("operator", width) + "  " + String.format(Locale.ROOT, "%7s  %7s", "before", "after"));
    for (String op : ops) {
      pw.println("  " + Table.pad(op, width) + "  " + String.format(Locale.ROOT, "%7d  %7d",
          r.opsBefore().getOrDefault(op, 0), r.opsAfter().getOrDefault(op, 0)));
    }
    pw.println("  " + Table.pad("total", width) + "  "
        + String.format(Locale.ROOT, "%7d  %7d", r.nodesBefore(), r.nodesAfter()));
    pw.println(String.format(Locale.ROOT, "Size      %d -> %d bytes", r.bytesBefore(), r.bytesAfter()));
    pw.flush();
    return JinferCli.EXIT_OK;
  }
}
