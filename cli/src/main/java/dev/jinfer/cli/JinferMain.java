package dev.jinfer.cli;

import dev.jinfer.cli.exit.ExitCode;
import java.io.PrintWriter;

/**
 * The entry point of {@code bin/jinfer} and of {@code jinfer.jar}'s manifest: a plain {@code predict} command line
 * and a bare {@code --version} run from here without picocli ({@link PredictFastPath}), everything else goes to
 * {@link JinferCli}, which parses it with picocli.
 *
 * <p>This class exists for start-up time (issue 20): the {@code java} launcher looks the main method up by
 * reflection, which loads every type named in the signatures of the main class's methods, and
 * {@link JinferCli}'s name picocli's {@code CommandLine}, {@code CommandSpec} and {@code ParameterException}; its
 * static initializer loads every command class. picocli's classes are Java 5 class files, which the JDK's
 * class-data-sharing archive cannot hold, so each run parsed them from the jar (~10 ms, and some command
 * classes failed the archive's verification too). Nothing here, in {@link PredictFastPath} or on a plain
 * predict's path names a picocli type, so a plain predict loads none of picocli's classes.
 *
 * <p>Stateless; {@link #main} exits the JVM.
 */
public final class JinferMain {
  /** SLF4J 2's system property naming its provider class. */
  static final String SLF4J_PROVIDER = "slf4j.provider";
  /** SLF4J 2's system property for the level of its own messages. */
  static final String SLF4J_VERBOSITY = "slf4j.internal.verbosity";
  /** slf4j-simple's provider. */
  static final String SIMPLE_PROVIDER = "org.slf4j.simple.SimpleServiceProvider";

  private JinferMain() {}

  /**
   * Runs the tool and exits the JVM with its exit code ({@link JinferCli}'s table of exit codes).
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    StartupTrace.mark("main");
    configureLogging(args);
    int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    StartupTrace.mark("done");
    StartupTrace.print(System.err);
    System.exit(code);
  }

  /**
   * Runs the tool as {@link #main} does, without exiting: a plain {@code predict} command line and a bare
   * {@code --version} without picocli ({@link PredictFastPath}: the same fields set, the same code run), everything
   * else through {@link JinferCli#newCommandLine(String...)}.
   *
   * @param args the command line
   * @param out standard output
   * @param err standard error
   * @return the exit code
   */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    if (PredictFastPath.isVersion(args)) {
      for (String line : versionLines()) {
        out.println(line);
      }
      out.flush();
      return ExitCode.OK;
    }
    PredictFastPath.Parsed fast = PredictFastPath.parse(args);
    StartupTrace.mark(fast != null ? "parsed (fast path)" : "fast path declined");
    if (fast != null) {
      return fast.command.execute(out, err, "jinfer predict", fast.verbose);
    }
    return JinferCli.runWithPicocli(args, out, err);
  }

  /**
   * The version lines {@code --version} prints: from the jar manifest, {@code dev} when run from classes.
   *
   * @return one line
   */
  static String[] versionLines() {
    String v = JinferMain.class.getPackage().getImplementationVersion();
    return new String[] {"jinfer " + (v == null ? "dev" : v)};
  }

  /**
   * Logging for this process, set before any logger exists: slf4j-simple named as SLF4J's provider (SLF4J then
   * skips its {@code ServiceLoader} scan of every jar on the class path, and its own messages below WARN, among
   * them one saying so), debug level with {@code --verbose}. An explicit {@code -D} setting wins over both.
   *
   * @param args the command line
   */
  static void configureLogging(String... args) {
    if (System.getProperty(SLF4J_PROVIDER) == null) {
      System.setProperty(SLF4J_PROVIDER, SIMPLE_PROVIDER); // the CLI's dependency
      if (System.getProperty(SLF4J_VERBOSITY) == null) {
        System.setProperty(SLF4J_VERBOSITY, "WARN"); // not SLF4J's "Attempting to load provider ..." line on every run
      }
    }
    for (String a : args) {
      if (a.equals("--verbose") || a.equals("-v")) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
            System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug"));
        break;
      }
    }
  }
}
