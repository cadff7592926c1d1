package dev.jinfer.onnx;

import java.nio.file.Path;

/** The committed fixture files, found through the {@code jinfer.fixtures} property that the build sets. */
final class Fixtures {
  private Fixtures() {}

  static Path onnx(String fileName) {
    String dir = System.getProperty("jinfer.fixtures");
    if (dir == null) {
      throw new IllegalStateException("system property jinfer.fixtures is not set; run the tests through Maven");
    }
    return Path.of(dir, "onnx", fileName);
  }
}
