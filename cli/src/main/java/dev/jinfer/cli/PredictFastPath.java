package dev.jinfer.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.jspecify.annotations.Nullable;

/**
 * A parser for the plain {@code jinfer predict} command lines, and {@code jinfer --version}, that runs them
 * without picocli (issue 20): building picocli's command model reflects over the annotated options and loads
 * ~180 of its classes, about a third of a short run's time on top of the JVM's. A plain command line is
 * {@code [-v] predict MODEL} and the options {@code -i/--input NAME=FILE}, {@code -o/--output NAME},
 * {@code -d/--output-dir DIR}, {@code --repeat N}, {@code --show N}, {@code --backend NAME},
 * {@code --property KEY=VALUE}, {@code -v/--verbose}, each option and its value as two words, in any order.
 *
 * <p>Anything else, including every command line that picocli would refuse or answer with help ({@code --help},
 * {@code --input=x=y.npy}, clustered short options, {@code --}, an unknown option, a missing value or model, a
 * value starting with {@code -}, a number that is not plain digits, an {@code --input} or {@code --property}
 * without {@code =}), gets {@code null}: picocli parses it, so errors and help read exactly as they always did.
 * For the lines it accepts, it sets the same fields of {@link PredictCommand} that picocli sets
 * ({@code PredictFastPathTest} compares the two), and the command runs the same code.
 *
 * <p>Stateless.
 */
final class PredictFastPath {
  private PredictFastPath() {}

  /** A parsed plain predict command line. */
  static final class Parsed {
    final PredictCommand command;
    final boolean verbose;

    Parsed(PredictCommand command, boolean verbose) {
      this.command = command;
      this.verbose = verbose;
    }
  }

  /**
   * Parses a plain predict command line.
   *
   * @param args the command line
   * @return the command with its options set, or {@code null} when picocli must parse this command line
   */
  static @Nullable Parsed parse(String... args) {
    PredictCommand p = new PredictCommand();
    boolean verbose = false;
    boolean sawCommand = false;
    @Nullable Path model = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-v") || a.equals("--verbose")) {
        verbose = true;
        continue;
      }
      if (!sawCommand) {
        if (!a.equals("predict")) {
          return null;
        }
        sawCommand = true;
        continue;
      }
      if (!a.startsWith("-")) {
        if (model != null) {
          return null; // picocli: unmatched argument
        }
        model = path(a);
        if (model == null) {
          return null;
        }
        continue;
      }
      if (i + 1 >= args.length || args[i + 1].startsWith("-")) {
        return null;
      }
      String value = args[++i];
      switch (a) {
        case "-i":
        case "--input":
          InputArg in = input(value);
          if (in == null) {
            return null;
          }
          p.inputs.add(in);
          break;
        case "-o":
        case "--output":
          p.outputs.add(value);
          break;
        case "-d":
        case "--output-dir":
          p.outputDir = path(value);
          if (p.outputDir == null) {
            return null;
          }
          break;
        case "--repeat":
          Integer repeat = digits(value);
          if (repeat == null) {
            return null;
          }
          p.repeat = repeat;
          break;
        case "--show":
          Integer show = digits(value);
          if (show == null) {
            return null;
          }
          p.show = show;
          break;
        case "--backend":
          p.backend = value;
          break;
        case "--property":
          int eq = value.indexOf('=');
          if (eq <= 0) {
            return null;
          }
          p.properties.put(value.substring(0, eq), value.substring(eq + 1));
          break;
        default:
          return null;
      }
    }
    if (model == null || p.inputs.isEmpty()) {
      return null;
    }
    p.model = model;
    return new Parsed(p, verbose);
  }

  /**
   * Whether the command line is a bare {@code --version} or {@code -V}, which needs no command model either.
   *
   * @param args the command line
   * @return true for exactly one argument, {@code --version} or {@code -V}
   */
  static boolean isVersion(String... args) {
    return args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"));
  }

  private static @Nullable InputArg input(String value) {
    try {
      return InputArg.parse(value);
    } catch (RuntimeException e) {
      return null; // picocli reports it
    }
  }

  private static @Nullable Path path(String value) {
    try {
      return Paths.get(value);
    } catch (InvalidPathException e) {
      return null;
    }
  }

  /** A non-negative int written as plain digits, else null (picocli converts and reports the rest). */
  private static @Nullable Integer digits(String value) {
    if (value.isEmpty() || value.length() > 9) {
      return null;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
    }
    return Integer.parseInt(value);
  }
}
