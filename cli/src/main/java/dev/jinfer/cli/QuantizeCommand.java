package dev.jinfer.cli;

import dev.jinfer.InvalidInputException;
import dev.jinfer.NamedTensors;
import dev.jinfer.io.Npy;
import dev.jinfer.optimize.DynamicQuantizer;
import dev.jinfer.optimize.StaticQuantizer;
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
 * {@code jinfer quantize MODEL.onnx --out OUT.onnx [--per-tensor] [--exclude NODE...]
 * [--calibration NAME=FILE.npy [--method minmax|percentile] [--percentile P]]}: a thin shell over
 * {@link DynamicQuantizer}, or over {@link StaticQuantizer} when calibration inputs are given. One invocation per
 * instance; not thread-safe.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
    description = {"int8 quantization of an ONNX model.",
        "Without --calibration: dynamic (MatMul/Gemm weights int8, activations quantized at run time, as ONNX "
            + "Runtime's dynamic mode does).",
        "With --calibration: static QDQ (Conv/MatMul/Gemm weights int8, activations uint8 with ranges from the "
            + "calibration inputs)."})
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

  @Option(names = "--calibration", paramLabel = "NAME=FILE.npy", converter = InputArg.Converter.class,
      description = "Calibration rows for a model input (repeat per input): makes the quantization static (QDQ).")
  List<InputArg> calibration = new ArrayList<>();

  @Option(names = "--method", paramLabel = "METHOD",
      description = "Static activation ranges: minmax (default) or percentile.")
  String method;

  @Option(names = "--percentile", paramLabel = "P",
      description = "The upper percentile of --method percentile (default 99.99; the lower is 100 - P).")
  Double percentile;

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
    DynamicQuantizer.Granularity granularity =
        perTensor ? DynamicQuantizer.Granularity.PER_TENSOR : DynamicQuantizer.Granularity.PER_CHANNEL;
    if (calibration.isEmpty() && (method != null || percentile != null)) {
      throw CliException.usage("--method, --percentile: expected --calibration NAME=FILE.npy with them (they set "
          + "static quantization's activation ranges)");
    }
    Map<String, Integer> ops;
    String mode;
    if (calibration.isEmpty()) {
      ops = DynamicQuantizer.newBuilder().granularity(granularity).exclude(exclude.toArray(String[]::new)).build()
          .quantize(model, out);
      mode = "dynamic";
    } else {
      StaticQuantizer.Calibration m = switch (method == null ? "minmax" : method.toLowerCase(Locale.ROOT)) {
        case "minmax", "min-max" -> StaticQuantizer.Calibration.MIN_MAX;
        case "percentile" -> StaticQuantizer.Calibration.PERCENTILE;
        default -> throw CliException.usage("--method: expected minmax or percentile but got '" + method + "'");
      };
      if (percentile != null && !(percentile > 50 && percentile <= 100)) {
        throw CliException.usage("--percentile: expected a value in (50, 100] but got " + percentile);
      }
      StaticQuantizer.Builder b = StaticQuantizer.newBuilder().granularity(granularity).method(m)
          .calibration(readCalibration()).exclude(exclude.toArray(String[]::new));
      if (percentile != null) {
        b.percentile(percentile);
      }
      ops = b.build().quantize(model, out);
      mode = "static QDQ, " + (m == StaticQuantizer.Calibration.MIN_MAX ? "min-max" : "percentile "
          + (percentile == null ? "99.99" : percentile)) + " ranges";
    }
    int width = Math.max(8, ops.keySet().stream().mapToInt(String::length).max().orElse(0));
    pw.println("Model     " + model);
    pw.println("Mode      " + mode);
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

  private NamedTensors readCalibration() {
    NamedTensors.Builder b = NamedTensors.newBuilder();
    for (InputArg arg : calibration) {
      if (!Files.isRegularFile(arg.file())) {
        throw CliException.usage("calibration '" + arg.name() + "': expected an existing .npy file but '" + arg.file()
            + "' is not one");
      }
      try {
        b.put(arg.name(), Npy.read(arg.file()));
      } catch (InvalidInputException e) {
        throw new InvalidInputException("calibration '" + arg.name() + "': " + e.getMessage(), e);
      }
    }
    return b.build();
  }
}
