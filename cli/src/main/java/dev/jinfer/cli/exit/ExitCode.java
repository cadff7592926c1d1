package dev.jinfer.cli.exit;

/**
 * The process exit codes of the {@code jinfer} command, in a package of their own so that the top-level
 * commands ({@code dev.jinfer.cli}) and {@code bench} ({@code dev.jinfer.cli.bench}) both use them without
 * importing each other: {@code dev.jinfer.cli} knows {@code bench}, {@code bench} knows only this. The table
 * of what each code means is in {@code JinferCli}'s documentation and the CLI README. Constants only.
 */
public final class ExitCode {
  /** Success. */
  public static final int OK = 0;
  /** An unexpected internal error (picocli's {@code SOFTWARE}). */
  public static final int SOFTWARE = 1;
  /** Bad command-line usage (picocli's {@code USAGE}). */
  public static final int USAGE = 2;
  /** The inputs do not fit the model, or a {@code .npy} file is malformed. */
  public static final int INVALID_INPUT = 3;
  /** The model could not be loaded. */
  public static final int MODEL_LOAD = 4;
  /** The engine failed on a valid request. */
  public static final int INFERENCE = 5;
  /** Reading or writing a file failed. */
  public static final int IO = 6;

  private ExitCode() {}
}
