package dev.jinfer.cli;

import dev.jinfer.BackendUnavailableException;
import dev.jinfer.InferenceException;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelLoadException;
import dev.jinfer.cli.bench.BenchCommand;
import dev.jinfer.cli.exit.ExitCode;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code jinfer} command: {@code inspect} shows a model's signature and metadata, {@code predict} runs
 * it on {@code .npy} files and writes one {@code .npy} per output, {@code bench} measures it under load
 * ({@link BenchCommand}), {@code optimize} writes ONNX Runtime's offline graph optimization of an ONNX model
 * ({@link OptimizeCommand}), {@code quantize} its dynamic int8 quantization ({@link QuantizeCommand}),
 * {@code prune} removes hidden units or zeroes weights ({@link PruneCommand}), {@code compare} sets two models side
 * by side ({@link CompareCommand}),
 * {@code distill} trains a small student model to imitate it ({@link DistillCommand}).
 *
 * <p>Every failure is one line on standard error, {@code <command>: <what was expected and what came>},
 * and a distinct exit code ({@code --verbose} adds the stack trace):
 *
 * <table>
 *   <caption>exit codes</caption>
 *   <tr><td>{@value #EXIT_OK}</td><td>success</td></tr>
 *   <tr><td>{@value #EXIT_SOFTWARE}</td><td>unexpected internal error (a bug: please report it with {@code --verbose})</td></tr>
 *   <tr><td>{@value #EXIT_USAGE}</td><td>usage: unknown command or option, missing argument, malformed {@code --input},
 *       a model or input file that does not exist</td></tr>
 *   <tr><td>{@value #EXIT_INVALID_INPUT}</td><td>invalid input: unreadable {@code .npy}, unknown or missing input,
 *       wrong dtype or shape, unknown {@code --output}</td></tr>
 *   <tr><td>{@value #EXIT_MODEL_LOAD}</td><td>the model could not be loaded: no backend accepts the file, the forced
 *       backend is absent, or the engine rejects it</td></tr>
 *   <tr><td>{@value #EXIT_INFERENCE}</td><td>the engine failed while running a valid request</td></tr>
 *   <tr><td>{@value #EXIT_IO}</td><td>I/O error reading an input or writing an output</td></tr>
 * </table>
 *
 * <p>An instance holds the parsed options of one invocation: use a new one per run. Not thread-safe.
 */
@Command(
    name = "jinfer",
    mixinStandardHelpOptions = true,
    versionProvider = JinferCli.Version.class,
    description = "Inspect and run ML models in-process with jinfer.",
    footerHeading = "%nExit codes:%n",
    footer = {
        "  0  success",
        "  1  unexpected internal error (please report it, with --verbose)",
        "  2  usage error: unknown command/option, malformed --input, missing file",
        "  3  invalid input: bad .npy, unknown input/output name, wrong dtype or shape",
        "  4  model not loadable: no backend accepts it, or the engine rejects it",
        "  5  the engine failed while running the model",
        "  6  I/O error reading inputs or writing outputs"})
public final class JinferCli implements Callable<Integer> {
  /** Success ({@link ExitCode#OK}; every code here is {@link ExitCode}'s). */
  public static final int EXIT_OK = ExitCode.OK;
  /** An unexpected internal error (picocli's {@code SOFTWARE}). */
  public static final int EXIT_SOFTWARE = ExitCode.SOFTWARE;
  /** Bad command-line usage (picocli's {@code USAGE}). */
  public static final int EXIT_USAGE = ExitCode.USAGE;
  /** The inputs do not fit the model, or a {@code .npy} file is malformed. */
  public static final int EXIT_INVALID_INPUT = ExitCode.INVALID_INPUT;
  /** The model could not be loaded. */
  public static final int EXIT_MODEL_LOAD = ExitCode.MODEL_LOAD;
  /** The engine failed on a valid request. */
  public static final int EXIT_INFERENCE = ExitCode.INFERENCE;
  /** Reading or writing a file failed. */
  public static final int EXIT_IO = ExitCode.IO;

  /**
   * The subcommands, in the order the usage lists them. Registered by {@link #newCommandLine(String...)}, not by
   * the annotation: picocli reflects over every registered command's options when it builds the command line,
   * ~0.3 s for all of them, so a run that names its command registers only that one (issue 20).
   */
  static final List<Class<?>> COMMANDS = List.of(InspectCommand.class, PredictCommand.class, BenchCommand.class,
      OptimizeCommand.class, QuantizeCommand.class, PruneCommand.class, CompareCommand.class, DistillCommand.class,
      HelpCommand.class);

  @Spec
  CommandSpec spec;

  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
      description = "Print stack traces on errors and debug logging.")
  boolean verbose;

  /** Creates the command; picocli fills in the options. */
  public JinferCli() {}

  /**
   * Runs the tool and exits the JVM with its exit code; the same as {@link JinferMain#main}, which
   * {@code bin/jinfer} and the jar's manifest start (it loads no picocli class for a plain predict).
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    JinferMain.main(args);
  }

  /**
   * Runs the tool as {@link #main} does, without exiting ({@link JinferMain#run}).
   *
   * @param args the command line
   * @param out standard output
   * @param err standard error
   * @return the exit code
   */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    return JinferMain.run(args, out, err);
  }

  /**
   * Parses and runs a command line with picocli: what {@link JinferMain#run} does with every command line that
   * {@link PredictFastPath} declines.
   *
   * @param args the command line
   * @param out standard output
   * @param err standard error
   * @return the exit code
   */
  static int runWithPicocli(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cmd = newCommandLine(args);
    cmd.setOut(out);
    cmd.setErr(err);
    return cmd.execute(args);
  }

  /**
   * Logging for this process ({@link JinferMain#configureLogging}).
   *
   * @param args the command line
   */
  static void configureLogging(String... args) {
    JinferMain.configureLogging(args);
  }

  /** SLF4J 2's system property naming its provider class. */
  static final String SLF4J_PROVIDER = JinferMain.SLF4J_PROVIDER;
  /** SLF4J 2's system property for the level of its own messages. */
  static final String SLF4J_VERBOSITY = JinferMain.SLF4J_VERBOSITY;
  /** slf4j-simple's provider. */
  static final String SIMPLE_PROVIDER = JinferMain.SIMPLE_PROVIDER;

  /**
   * The command line {@link #main} runs: usage errors print one line and a pointer to {@code --help}
   * instead of the whole usage text. Tests use it to run the tool in-process.
   *
   * @return a new command line around a new {@code JinferCli}
   */
  public static CommandLine newCommandLine() {
    CommandLine cmd = withAllCommands(new CommandLine(new JinferCli()));
    cmd.setParameterExceptionHandler(new OneLineUsageErrors());
    return cmd;
  }

  /**
   * Registers every subcommand, in usage order, on a command line around a {@code JinferCli}.
   *
   * @param cmd a command line with no subcommands yet
   * @return {@code cmd}
   */
  static CommandLine withAllCommands(CommandLine cmd) {
    for (Class<?> c : COMMANDS) {
      cmd.addSubcommand(c);
    }
    return cmd;
  }

  /**
   * The command line for these arguments: when their first word that is not an option names a command
   * (other than {@code help}), only that command is registered, and for a bare {@code --version} none; any
   * other command line (no command, an unknown one, {@code help}) gets them all, so that usage and errors
   * list every command. What runs is the same either way, only faster to start.
   *
   * @param args the command line that will be executed
   * @return a new command line around a new {@code JinferCli}
   */
  public static CommandLine newCommandLine(String... args) {
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      CommandLine cmd = new CommandLine(new JinferCli());
      cmd.setParameterExceptionHandler(new OneLineUsageErrors());
      return cmd;
    }
    String first = Arrays.stream(args).filter(a -> !a.startsWith("-")).findFirst().orElse("");
    for (Class<?> c : COMMANDS) {
      Command command = c.getAnnotation(Command.class);
      if (c != HelpCommand.class && command != null && command.name().equals(first)) {
        CommandLine cmd = new CommandLine(new JinferCli());
        cmd.addSubcommand(c);
        cmd.setParameterExceptionHandler(new OneLineUsageErrors());
        return cmd;
      }
    }
    return newCommandLine();
  }

  /**
   * Runs when no subcommand is given, which is a usage error.
   *
   * @return never returns normally
   * @throws ParameterException always, naming the commands; picocli reports it with exit code {@value #EXIT_USAGE}
   */
  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command: expected one of " + commandNames(spec.commandLine()));
  }

  /**
   * Prints a failure as one line (plus the stack trace when verbose) and returns its exit code.
   *
   * @param e the failure
   * @param command the (sub)command that failed, for the message prefix and the error stream
   * @param verbose whether to print the stack trace
   * @return the exit code
   */
  static int report(Throwable e, CommandSpec command, boolean verbose) {
    return report(e, command.qualifiedName(), command.commandLine().getErr(), verbose);
  }

  /**
   * Prints a failure as one line (plus the stack trace when verbose) and returns its exit code.
   *
   * @param e the failure
   * @param name the (sub)command's qualified name, for the message prefix
   * @param err where the message goes
   * @param verbose whether to print the stack trace
   * @return the exit code
   */
  static int report(Throwable e, String name, PrintWriter err, boolean verbose) {
    int code = exitCode(e);
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    if (code == EXIT_SOFTWARE) {
      message = "unexpected error: " + e + (verbose ? "" : " (run with --verbose for details)");
    }
    err.println(name + ": " + oneLine(message));
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  static int exitCode(Throwable e) {
    if (e instanceof CliException) {
      return ((CliException) e).exitCode();
    }
    if (e instanceof InvalidInputException) {
      return EXIT_INVALID_INPUT;
    }
    if (e instanceof ModelLoadException || e instanceof BackendUnavailableException) {
      return EXIT_MODEL_LOAD;
    }
    if (e instanceof InferenceException) {
      return EXIT_INFERENCE;
    }
    if (e instanceof UncheckedIOException) {
      return EXIT_IO;
    }
    return EXIT_SOFTWARE;
  }

  static String oneLine(String message) {
    return message.strip().replaceAll("\\s*\\R\\s*", " ");
  }

  private static String commandNames(CommandLine cmd) {
    return String.join(", ", cmd.getSubcommands().keySet());
  }

  /** Prints a parse error as one line that points to the command's help. Stateless. */
  static final class OneLineUsageErrors implements IParameterExceptionHandler {
    @Override
    public int handleParseException(ParameterException ex, String[] args) {
      CommandLine cmd = ex.getCommandLine();
      String name = cmd.getCommandSpec().qualifiedName();
      String message = ex.getMessage();
      if (ex instanceof UnmatchedArgumentException && !cmd.getSubcommands().isEmpty()) {
        List<String> unmatched = ((UnmatchedArgumentException) ex).getUnmatched();
        if (!unmatched.isEmpty() && !unmatched.get(0).startsWith("-")) {
          List<String> suggestions = ((UnmatchedArgumentException) ex).getSuggestions();
          message = "unknown command '" + unmatched.get(0) + "': expected one of " + commandNames(cmd)
              + (suggestions.isEmpty() ? "" : "; did you mean '" + suggestions.get(0) + "'?");
        }
      }
      PrintWriter err = cmd.getErr();
      err.println(name + ": " + oneLine(message) + " (see '" + name + " --help')");
      err.flush();
      return cmd.getExitCodeExceptionMapper() != null
          ? cmd.getExitCodeExceptionMapper().getExitCode(ex)
          : cmd.getCommandSpec().exitCodeOnInvalidInput();
    }
  }

  /** The version from the jar manifest ({@code dev} when run from classes). Stateless. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return JinferMain.versionLines();
    }
  }
}
