package dev.jinfer.onnx;

import dev.jinfer.kit.BackendCompatibilityKit;
import java.io.IOException;
import java.nio.file.Path;

/** The backend compatibility kit, run against the ONNX backend with its default options (a session per CPU, up to 4). */
class OnnxCompatibilityTest extends BackendCompatibilityKit {
  @Override
  protected String backendName() {
    return OnnxBackend.NAME;
  }

  @Override
  protected Path fixture(String name) {
    return fixturesDir().resolve("onnx").resolve(name + ".onnx");
  }

  @Override
  protected boolean supportsCancellation() {
    return true;
  }

  @Override
  protected SlowCall slowCall(Path dir) throws IOException {
    return TinyOnnx.slowCall(dir);
  }
}
