package dev.jinfer.cli;

import dev.jinfer.optimize.Pruner;
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
 * {@code jinfer prune MODEL.onnx --sparsity S --out OUT.onnx [--unstructured] [--exclude NODE...]}: a thin shell
 * over {@link Pruner}. One invocation per instance; not thread-safe.
 */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = {"Prune an ONNX model's Gemm/MatMul chains.",
        "Structured (default): drop the hidden units of smallest weight norm, so the model is really smaller and "
            + "faster.",
        "--unstructured: set the smallest weights to zero; dense kernels are NOT faster and the file is NOT smaller."})
final class PruneCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @ParentCommand
  JinferCli parent;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model to prune (never modified).")
  Path model;

  @Option(names = "--sparsity", paramLabel = "S", required = true,
      description = "The share of hidden units (or of weights, unstructured) to remove, in (0, 1).")
  double sparsity;

  @Option(names = "--out", paramLabel = "OUT", required = true,
      description = "Where to write the pruned model (written atomically; not the input).")
  Path out;

  @Option(names = "--unstructured", description = "Zero single weights instead of removing units.")
  boolean unstructured;

  @Option(names = "--exclude", paramLabel = "NODE", arity = "1..*", description = "Node names to leave alone.")
  List<String> exclude = new ArrayList<>();

  @Override
  public Integer call() {
    try {
      return run(spec.commandLine().getOut());
    } catch (RuntimeException | LinkageError e) {
      return JinferCli.report(e, spec, parent.verbose);
    }
  }

  private int run(PrintWriter pw) {
    if (!(sparsity > 0 && sparsity < 1)) {
      throw CliException.usage("--sparsity: expected a share in (0, 1) but got " + sparsity);
    }
    if (!Files.exists(model)) {
      throw CliException.usage("model '" + model + "': expected an existing ONNX file but it does not exist");
    }
    Pruner.Result r = Pruner.newBuilder().sparsity(sparsity)
        .mode(unstructured ? Pruner.Mode.UNSTRUCTURED : Pruner.Mode.STRUCTURED)
        .exclude(exclude.toArray(String[]::new)).build().prune(model, out);
    int width = Math.max(8, r.layers().keySet().stream().mapToInt(String::length).max().orElse(0));
    pw.println("Model       " + model);
    pw.println(String.format(Locale.ROOT, "Mode        %s, sparsity %.2f", unstructured ? "unstructured" : "structured",
        sparsity));
    pw.println("Output      " + out);
    r.layers().forEach((layer, change) -> pw.println("  " + Table.pad(layer, width) + "  " + change));
    pw.println(String.format(Locale.ROOT, "Parameters  %d -> %d", r.parametersBefore(), r.parametersAfter()));
    try {
      pw.println(String.format(Locale.ROOT, "Size        %d -> %d bytes", Files.size(model), Files.size(out)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot size " + out + ": " + e.getMessage(), e);
    }
    if (unstructured) {
      pw.println("Note        zeros are stored and multiplied like any weight: dense CPU kernels get no faster and "
          + "the file no smaller; use structured pruning (the default) for speed");
    }
    pw.flush();
    return JinferCli.EXIT_OK;
  }
}
