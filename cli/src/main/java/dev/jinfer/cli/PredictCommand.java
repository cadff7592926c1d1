package dev.jinfer.cli;

import dev.jinfer.InvalidInputException;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jinfer predict MODEL --input NAME=FILE.npy ...}: reads the inputs, runs the model, writes
 * {@code <output>.npy} per output into the output directory and prints a summary of each output and the
 * latency. Not thread-safe.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run a model on .npy inputs and write one <output>.npy per output.",
        "Output names are used as file names, with characters other than letters, digits, '.', '_' and '-'"
            + " replaced by '_'."})
final class PredictCommand extends ModelCommand {
  @Option(names = {"-i", "--input"}, required = true, paramLabel = "NAME=FILE.npy", converter = InputArg.Converter.class,
      description = "A model input read from a NumPy .npy file; repeat for each input.")
  List<InputArg> inputs = new ArrayList<>();

  @Option(names = {"-o", "--output"}, paramLabel = "NAME",
      description = "Return only this output; repeat for several (default: every output).")
  List<String> outputs = new ArrayList<>();

  @Option(names = {"-d", "--output-dir"}, paramLabel = "DIR", defaultValue = "jinfer-out",
      description = "Where to write the .npy outputs, created if missing (default: ${DEFAULT-VALUE}).")
  Path outputDir = Path.of("jinfer-out");

  @Option(names = "--repeat", paramLabel = "N", defaultValue = "1",
      description = "Run the prediction N times and report latency percentiles (default: ${DEFAULT-VALUE}).")
  int repeat = 1;

  @Option(names = "--show", paramLabel = "N", defaultValue = "6",
      description = "How many leading values of each output to print (default: ${DEFAULT-VALUE}).")
  int show = 6;

  @Override
  int run(PrintWriter out) {
    if (repeat < 1) {
      throw CliException.usage("--repeat: expected N >= 1 but got " + repeat);
    }
    if (show < 0) {
      throw CliException.usage("--show: expected N >= 0 but got " + show);
    }
    Map<String, Path> files = inputFiles();
    requireDistinct(outputs);
    NamedTensors request = readInputs(files);
    StartupTrace.mark("inputs read");

    long loadStart = System.nanoTime();
    try (Model m = load()) {
      long loadNanos = System.nanoTime() - loadStart;
      StartupTrace.mark("model loaded");
      Predictor predictor = m.predictor();
      long[] nanos = new long[repeat];
      NamedTensors result = NamedTensors.empty();
      for (int r = 0; r < repeat; r++) {
        long start = System.nanoTime();
        result = predictor.predict(request, outputs);
        nanos[r] = System.nanoTime() - start;
        if (r == 0) {
          StartupTrace.mark("first prediction");
        }
      }
      Map<String, Path> written = writeOutputs(result);
      StartupTrace.mark("outputs written");

      int width = Math.max(8, Math.max(maxLength(request.names()), maxLength(result.names())));
      out.println("Model    " + m.id() + "  backend " + m.backend() + "  device " + m.device() + "  loaded in "
          + millis(loadNanos));
      out.println("Inputs");
      for (Map.Entry<String, Tensor> e : request) {
        out.println("  " + Table.pad(e.getKey(), width) + "  " + typeAndShape(e.getValue()) + "  " + files.get(e.getKey()));
      }
      out.println("Latency  " + latency(nanos));
      out.println("Outputs  written to " + outputDir);
      for (Map.Entry<String, Tensor> e : result) {
        out.println("  " + Table.pad(e.getKey(), width) + "  " + typeAndShape(e.getValue()) + "  "
            + written.get(e.getKey()).getFileName());
        for (String line : TensorSummary.describe(e.getValue(), show)) {
          out.println("  " + " ".repeat(width) + "  " + line);
        }
      }
      out.flush();
      StartupTrace.mark("summary printed");
    }
    return JinferCli.EXIT_OK;
  }

  private Map<String, Path> inputFiles() {
    Map<String, Path> files = new LinkedHashMap<>();
    for (InputArg in : inputs) {
      if (files.put(in.name(), in.file()) != null) {
        throw CliException.usage("--input: expected each input once but '" + in.name() + "' is given twice");
      }
      if (!Files.exists(in.file())) {
        throw CliException.usage("input '" + in.name() + "': expected an existing .npy file but '" + in.file()
            + "' does not exist");
      }
      if (Files.isDirectory(in.file())) {
        throw CliException.usage("input '" + in.name() + "': expected a .npy file but '" + in.file() + "' is a directory");
      }
    }
    return files;
  }

  private static void requireDistinct(List<String> names) {
    Set<String> seen = new HashSet<>();
    for (String n : names) {
      if (!seen.add(n)) {
        throw CliException.usage("--output: expected each output once but '" + n + "' is given twice");
      }
    }
  }

  private static NamedTensors readInputs(Map<String, Path> files) {
    NamedTensors.Builder b = NamedTensors.newBuilder();
    files.forEach((name, file) -> {
      try {
        b.put(name, Npy.read(file));
      } catch (InvalidInputException e) {
        throw new InvalidInputException("input '" + name + "': " + e.getMessage(), e);
      }
    });
    return b.build();
  }

  private Map<String, Path> writeOutputs(NamedTensors result) {
    try {
      Files.createDirectories(outputDir);
    } catch (IOException e) {
      throw new UncheckedIOException("output directory '" + outputDir + "': expected to create it but " + e, e);
    }
    Map<String, Path> written = new LinkedHashMap<>();
    Set<String> used = new HashSet<>();
    for (Map.Entry<String, Tensor> e : result) {
      String base = fileName(e.getKey());
      String name = base;
      for (int i = 2; !used.add(name.toLowerCase(Locale.ROOT)); i++) {
        name = base + "_" + i;
      }
      Path file = outputDir.resolve(name + ".npy");
      Npy.write(e.getValue(), file);
      written.put(e.getKey(), file);
    }
    return written;
  }

  /** The output name made safe as a file name on every OS. */
  static String fileName(String output) {
    String s = output.replaceAll("[^A-Za-z0-9._-]", "_");
    return s.isEmpty() || s.chars().allMatch(c -> c == '.') ? "output" + s.replace('.', '_') : s;
  }

  private static String typeAndShape(Tensor t) {
    return t.dtype() + " " + t.shape();
  }

  private static int maxLength(Set<String> names) {
    return names.stream().mapToInt(String::length).max().orElse(0);
  }

  private static String latency(long[] nanos) {
    if (nanos.length == 1) {
      return millis(nanos[0]) + " (one call; --repeat N for percentiles)";
    }
    long[] rest = Arrays.copyOfRange(nanos, 1, nanos.length);
    Arrays.sort(rest);
    return "p50 " + millis(rest[(rest.length - 1) / 2]) + "  p90 " + millis(rest[(int) Math.ceil(rest.length * 0.9) - 1])
        + "  max " + millis(rest[rest.length - 1]) + " over " + rest.length + " calls after the first ("
        + millis(nanos[0]) + ")";
  }

  /**
   * Nanoseconds as milliseconds with three decimals, e.g. {@code 3.568 ms}. BigDecimal rather than
   * {@code String.format("%.3f")}: a first numeric format loads the JDK's locale data, ~10 ms of a cold
   * {@code jinfer predict} (issue 20).
   */
  static String millis(long nanos) {
    return BigDecimal.valueOf(nanos, 6).setScale(3, RoundingMode.HALF_UP).toPlainString() + " ms";
  }
}
