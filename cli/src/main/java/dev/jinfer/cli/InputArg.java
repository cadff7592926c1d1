package dev.jinfer.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * One {@code --input NAME=FILE.npy} argument.
 *
 * @param name the model input's name
 * @param file the {@code .npy} file holding its tensor
 */
record InputArg(String name, Path file) {
  /**
   * Parses {@code NAME=FILE}, splitting at the first {@code =} (so file names may contain one).
   *
   * @param text the argument
   * @return the parsed argument
   * @throws IllegalArgumentException if there is no {@code =}, or nothing before or after it (a plain JDK exception,
   *     not picocli's: {@link PredictFastPath} parses without loading picocli, whose classes CDS cannot archive)
   */
  static InputArg parse(String text) {
    int eq = text.indexOf('=');
    if (eq < 0) {
      throw new IllegalArgumentException("expected NAME=FILE.npy but got '" + text + "' (no '=')");
    }
    if (eq == 0) {
      throw new IllegalArgumentException("expected NAME=FILE.npy but got '" + text + "' (no input name before '=')");
    }
    if (eq == text.length() - 1) {
      throw new IllegalArgumentException("expected NAME=FILE.npy but got '" + text + "' (no file after '=')");
    }
    try {
      return new InputArg(text.substring(0, eq), Paths.get(text.substring(eq + 1)));
    } catch (java.nio.file.InvalidPathException e) {
      throw new IllegalArgumentException("expected NAME=FILE.npy but '" + text.substring(eq + 1) + "' is not a valid path: "
          + e.getReason());
    }
  }

  /** Picocli's hook for {@link #parse}. Stateless. */
  static final class Converter implements ITypeConverter<InputArg> {
    @Override
    public InputArg convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
