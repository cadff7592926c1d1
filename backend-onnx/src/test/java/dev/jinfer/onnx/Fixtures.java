package dev.jinfer.onnx;

import java.nio.file.Path;

/** The committed fixture files, found through the {@code jinfer.fixtures} property that the build sets. */
final class Fixtures {
  private Fixtures() {}

  static Path onnx(String fileName) {
    return root().resolve("onnx").resolve(fileName);
  }

  /** A file of the bad-input corpus, e.g. {@code models/runtime_failure.onnx}. */
  static Path bad(String relative) {
    return root().resolve("bad").resolve(relative);
  }

  private static Path root() {
    String dir = System.getProperty("jinfer.fixtures");
    if (dir == null) {
      throw new IllegalStateException("system property jinfer.fixtures is not set; run the tests through Maven");
    }
    return Path.of(dir);
  }
}
