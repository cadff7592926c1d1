package dev.jinfer.cli;

import dev.jinfer.TensorSpec;
import java.util.List;

/** Column padding for the tool's plain-text tables. Stateless. */
final class Table {
  private Table() {}

  static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }

  static int nameWidth(List<TensorSpec> specs) {
    return specs.stream().mapToInt(s -> s.name().length()).max().orElse(0);
  }
}
