package dev.jinfer.cli.bench;

import dev.jinfer.cli.exit.ExitCode;

/**
 * A problem with the bench command's arguments or files, reported as one line with its exit code (the
 * {@link ExitCode} codes). Immutable.
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
    return new BenchException(ExitCode.USAGE, message);
  }

  int exitCode() {
    return exitCode;
  }
}
