package dev.jinfer.cli;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
  @Spec
  CommandSpec spec;

  @ParentCommand
  JinferCli parent;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The model file (e.g. model.onnx) or directory.")
  Path model;

  @Option(names = "--backend", paramLabel = "NAME",
      description = "Force a backend by name (default: the first that accepts the model).")
  @Nullable String backend;

  @Override
  public final Integer call() {
    try {
      return run(spec.commandLine().getOut());
    } catch (RuntimeException | LinkageError e) {
      return JinferCli.report(e, spec, parent.verbose);
    }
  }

  /**
   * Does the work.
   *
   * @param out where results go
   * @return the exit code
   */
  abstract int run(PrintWriter out);

  /** Loads the model, failing with a usage error if the path does not exist. */
  final Model load() {
    if (!Files.exists(model)) {
      throw CliException.usage("model '" + model + "': expected an existing model file or directory but it does not exist");
    }
    LoadOptions.Builder options = LoadOptions.newBuilder();
    if (backend != null) {
      options.backend(backend);
    }
    return Model.load(model, options.build());
  }
}
