package dev.jinfer.tensorflow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The committed fixture files, found through the {@code jinfer.fixtures} property that the build sets. */
final class Fixtures {
  private Fixtures() {}

  static Path dir() {
    String dir = System.getProperty("jinfer.fixtures");
    if (dir == null) {
      throw new IllegalStateException("system property jinfer.fixtures is not set; run the tests through Maven");
    }
    return Path.of(dir);
  }

  /** @return the SavedModel directory of a fixture, e.g. {@code fraud} */
  static Path tensorflow(String name) {
    return dir().resolve("tensorflow").resolve(name);
  }

  static Path onnx(String fileName) {
    return dir().resolve("onnx").resolve(fileName);
  }

  /**
   * Copies a directory tree.
   *
   * @param from the source
   * @param to the target, which must not exist
   * @return the target
   * @throws IOException if copying fails
   */
  static Path copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
    return to;
  }
}
