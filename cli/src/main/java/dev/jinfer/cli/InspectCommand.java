package dev.jinfer.cli;

import dev.jinfer.Model;
import dev.jinfer.TensorSpec;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;

/**
 * {@code jinfer inspect MODEL}: prints the backend, device, model id, the inputs and outputs (name,
 * dtype, shape with -1 for a dynamic dimension) and the metadata. Not thread-safe.
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
      out.println("Metadata");
      Map<String, String> metadata = new TreeMap<>(m.metadata());
      if (metadata.isEmpty()) {
        out.println("  (none)");
      }
      int keyWidth = metadata.keySet().stream().mapToInt(String::length).max().orElse(0);
      metadata.forEach((k, v) -> out.println("  " + Table.pad(k, keyWidth) + "  " + JinferCli.oneLine(v)));
      out.flush();
    }
    return JinferCli.EXIT_OK;
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
