package dev.jinfer.cli;

import dev.jinfer.optimize.DynamicQuantizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code jinfer quantize MODEL.onnx --out OUT.onnx [--per-tensor] [--exclude NODE...]}: a thin shell over
 * {@link DynamicQuantizer}. One invocation per instance; not thread-safe.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
    description = {"Dynamic int8 quantization of an ONNX model's MatMul/Gemm weights (activations are quantized "
        + "at run time, as ONNX Runtime's dynamic mode does)."})
final class QuantizeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @ParentCommand
  JinferCli parent;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model to quantize (never modified).")
  Path model;

  @Option(names = "--out", paramLabel = "OUT", required = true,
      description = "Where to write the quantized model (written atomically; not the input).")
  Path out;

  @Option(names = "--per-tensor", description = "One scale per weight instead of one per output channel.")
  boolean perTensor;

  @Option(names = "--exclude", paramLabel = "NODE", arity = "1..*",
      description = "Node names to leave in float.")
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
    if (!Files.exists(model)) {
      throw CliException.usage("model '" + model + "': expected an existing ONNX file but it does not exist");
    }
    DynamicQuantizer quantizer = DynamicQuantizer.newBuilder()
        .granularity(perTensor ? DynamicQuantizer.Granularity.PER_TENSOR : DynamicQuantizer.Granularity.PER_CHANNEL)
        .exclude(exclude.toArray(String[]::new))
        .build();
    Map<String, Integer> ops = quantizer.quantize(model, out);
    int width = Math.max(8, ops.keySet().stream().mapToInt(String::length).max().orElse(0));
    pw.println("Model     " + model);
    pw.println("Weights   int8 " + (perTensor ? "per tensor" : "per channel"));
    pw.println("Output    " + out);
    ops.forEach((op, n) -> pw.println("  " + Table.pad(op, width) + "  " + String.format(Locale.ROOT, "%5d", n)));
    try {
      pw.println(String.format(Locale.ROOT, "Size      %d -> %d bytes", Files.size(model), Files.size(out)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot size " + out + ": " + e.getMessage(), e);
    }
    pw.flush();
    return JinferCli.EXIT_OK;
  }
}
