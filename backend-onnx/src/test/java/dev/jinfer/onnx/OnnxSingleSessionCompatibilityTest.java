package dev.jinfer.onnx;

import dev.jinfer.LoadOptions;
import dev.jinfer.kit.BackendCompatibilityKit;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The backend compatibility kit again, with one session per model shared by every caller (the default
 * pools one session per CPU, which {@link OnnxCompatibilityTest} covers).
 */
class OnnxSingleSessionCompatibilityTest extends BackendCompatibilityKit {
  @Override
  protected String backendName() {
    return OnnxBackend.NAME;
  }

  @Override
  protected Path fixture(String name) {
    return fixturesDir().resolve("onnx").resolve(name + ".onnx");
  }

  @Override
  protected LoadOptions options() {
    return LoadOptions.newBuilder().property(OnnxBackend.SESSIONS, "1").build();
  }

  @Override
  protected int callsPerThread() {
    return 2_000;
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
