package dev.jinfer.cli;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What every subcommand shares: the model argument, {@code --backend}, loading, and turning failures
 * into one line and an exit code. One instance per invocation; not thread-safe.
 */
abstract class ModelCommand implements Callable<Integer> {
  /** The ONNX backend's session-pool property ({@code OnnxBackend.SESSIONS}), set to 1 unless given. */
  static final String ONNX_SESSIONS = "onnx.sessions";

  @Spec
  CommandSpec spec;

  @ParentCommand
  JinferCli parent;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The model file (e.g. model.onnx) or directory.")
  Path model;

  @Option(names = "--backend", paramLabel = "NAME",
      description = "Force a backend by name (default: the first that accepts the model).")
  @Nullable String backend;

  @Option(names = "--property", paramLabel = "KEY=VALUE", mapFallbackValue = "",
      description = "An engine property (repeatable), e.g. tensorflow.signature=logits or onnx.sessions=2; "
          + "each backend's README lists its keys.")
  Map<String, String> properties = new LinkedHashMap<>();

  @Override
  public final Integer call() {
    return execute(spec.commandLine().getOut(), spec.commandLine().getErr(), spec.qualifiedName(), parent.verbose);
  }

  /**
   * Runs the command with its options already set (by picocli, or by {@link PredictFastPath}), turning a
   * failure into one line on {@code err} and an exit code.
   *
   * @param out where results go
   * @param err where a failure goes
   * @param name the command's qualified name, e.g. {@code jinfer predict}, for the message prefix
   * @param verbose whether to print the stack trace of a failure
   * @return the exit code
   */
  final int execute(PrintWriter out, PrintWriter err, String name, boolean verbose) {
    try {
      return run(out);
    } catch (RuntimeException | LinkageError e) {
      return JinferCli.report(e, name, err, verbose);
    }
  }

  /**
   * Does the work.
   *
   * @param out where results go
   * @return the exit code
   */
  abstract int run(PrintWriter out);

  /**
   * Loads the model, failing with a usage error if the path does not exist. An ONNX model gets one session
   * ({@code onnx.sessions=1}) unless {@code --property onnx.sessions=N} says otherwise: {@code inspect} and
   * {@code predict} call the model from one thread.
   */
  final Model load() {
    if (!Files.exists(model)) {
      throw CliException.usage("model '" + model + "': expected an existing model file or directory but it does not exist");
    }
    LoadOptions.Builder options = LoadOptions.newBuilder();
    if (backend != null) {
      options.backend(backend);
    }
    if (!properties.containsKey(ONNX_SESSIONS)) {
      // one caller: one ONNX Runtime session with every intra-op thread, not the backend's pool of one per
      // CPU, whose other sessions would only cost start-up time (other backends ignore onnx.* keys)
      options.property(ONNX_SESSIONS, "1");
    }
    return loadWithProperties(model, options, properties);
  }

  /**
   * Loads a model with {@code --property} values (a key or value a backend refuses fails the load with
   * {@link dev.jinfer.ModelLoadException} naming it).
   *
   * @param model the model file or directory
   * @param options the other options
   * @param properties the {@code --property} values
   * @return the model
   * @throws CliException (usage) if a key or value is empty
   */
  static Model loadWithProperties(Path model, LoadOptions.Builder options, Map<String, String> properties) {
    for (Map.Entry<String, String> p : properties.entrySet()) {
      if (p.getKey().isBlank() || p.getValue().isEmpty()) {
        throw CliException.usage("--property: expected KEY=VALUE but got '" + p.getKey() + "=" + p.getValue() + "'");
      }
      options.property(p.getKey(), p.getValue());
    }
    return Model.load(model, options.build());
  }
}
