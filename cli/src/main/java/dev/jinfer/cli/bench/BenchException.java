package dev.jinfer.cli.bench;

/**
 * A problem with the bench command's arguments or files, reported as one line with its exit code (the
 * {@code JinferCli.EXIT_*} codes). Immutable.
 */
final class BenchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  BenchException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  BenchException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** A usage error: a bad option value, a missing file, conflicting options. */
  static BenchException usage(String message) {
    return new BenchException(dev.jinfer.cli.JinferCli.EXIT_USAGE, message);
  }

  int exitCode() {
    return exitCode;
  }
}
