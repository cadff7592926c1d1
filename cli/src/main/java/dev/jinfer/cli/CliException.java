package dev.jinfer.cli;

/**
 * A command-line problem found before or around the library call (a missing file, a repeated input),
 * reported as one line with its exit code. Immutable.
 */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  /** Creates a usage error ({@link JinferCli#EXIT_USAGE}). */
  static CliException usage(String message) {
    return new CliException(JinferCli.EXIT_USAGE, message);
  }

  int exitCode() {
    return exitCode;
  }
}
