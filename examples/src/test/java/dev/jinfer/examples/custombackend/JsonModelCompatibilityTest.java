package dev.jinfer.examples.custombackend;

import dev.jinfer.kit.BackendCompatibilityKit;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The backend compatibility kit, run against the JSON backend on models derived from the ONNX fixtures. */
class JsonModelCompatibilityTest extends BackendCompatibilityKit {
  @TempDir
  static Path models;

  @Override
  protected String backendName() {
    return JsonModelBackend.NAME;
  }

  @Override
  protected Path fixture(String name) {
    return JsonModelFixtures.write(fixturesDir(), name, models);
  }

  @Override
  protected SlowCall slowCall(Path dir) {
    return JsonModelFixtures.slowCall(dir);
  }
}
