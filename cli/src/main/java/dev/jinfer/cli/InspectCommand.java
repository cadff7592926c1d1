package dev.jinfer.cli;

import dev.jinfer.Model;
import dev.jinfer.TensorSpec;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;

/**
 * {@code jinfer inspect MODEL}: prints the backend, device, model id, the inputs and outputs (name,
 * dtype, shape with -1 for a dynamic dimension), for a model with several signatures (a SavedModel) every
 * signature with its inputs and outputs, and the metadata. Not thread-safe.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Show a model's backend, device, inputs, outputs and metadata. A -1 dimension is dynamic.")
final class InspectCommand extends ModelCommand {
  @Override
  int run(PrintWriter out) {
    try (Model m = load()) {
      List<TensorSpec> inputs = m.signature().inputs();
      List<TensorSpec> outputs = m.signature().outputs();
      int width = Math.max(8, Math.max(Table.nameWidth(inputs), Table.nameWidth(outputs)));
      out.println("Model     " + m.id());
      out.println("Backend   " + m.backend());
      out.println("Device    " + m.device());
      out.println("Inputs    (-1 = dynamic dimension)");
      printSpecs(out, inputs, width);
      out.println("Outputs");
      printSpecs(out, outputs, width);
      Map<String, String> metadata = new TreeMap<>(m.metadata());
      printSignatures(out, m.backend(), metadata);
      out.println("Metadata");
      if (metadata.isEmpty()) {
        out.println("  (none)");
      }
      int keyWidth = metadata.keySet().stream().mapToInt(String::length).max().orElse(0);
      metadata.forEach((k, v) -> out.println("  " + Table.pad(k, keyWidth) + "  " + JinferCli.oneLine(v)));
      out.flush();
    }
    return JinferCli.EXIT_OK;
  }

  /**
   * For a backend that serves one of several named signatures (a TensorFlow SavedModel), lists every
   * signature with its inputs and outputs, marking the default and the one loaded, and takes the
   * per-signature entries out of the metadata. The backend publishes them as {@code <backend>.signatures}
   * (the keys), {@code <backend>.signature} (loaded), {@code <backend>.default_signature} and
   * {@code <backend>.signature.<key>} (one line each).
   */
  private static void printSignatures(PrintWriter out, String backend, Map<String, String> metadata) {
    String keys = metadata.get(backend + ".signatures");
    if (keys == null || keys.isEmpty()) {
      return;
    }
    String loaded = metadata.get(backend + ".signature");
    String byDefault = metadata.get(backend + ".default_signature");
    out.println("Signatures (choose with --property " + backend + ".signature=KEY)");
    for (String key : keys.split(",")) {
      String description = metadata.remove(backend + ".signature." + key);
      List<String> marks = new ArrayList<>();
      if (key.equals(byDefault)) {
        marks.add("default");
      }
      if (key.equals(loaded)) {
        marks.add("loaded");
      }
      out.println("  " + key + (marks.isEmpty() ? "" : " (" + String.join(", ", marks) + ")"));
      if (description != null) {
        for (String part : description.split("; ")) {
          out.println("    " + part);
        }
      }
    }
  }

  private static void printSpecs(PrintWriter out, List<TensorSpec> specs, int width) {
    if (specs.isEmpty()) {
      out.println("  (none)");
    }
    for (TensorSpec s : specs) {
      out.println("  " + Table.pad(s.name(), width) + "  " + Table.pad(s.dtype().toString(), 7) + "  " + s.shape());
    }
  }
}
