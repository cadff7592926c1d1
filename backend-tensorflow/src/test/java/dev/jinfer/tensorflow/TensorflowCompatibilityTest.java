package dev.jinfer.tensorflow;

import dev.jinfer.DType;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.kit.BackendCompatibilityKit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The backend compatibility kit, run against the TensorFlow backend with its default options, on the
 * SavedModels under {@code fixtures/tensorflow} (made by {@link TensorflowFixtureGenerator}).
 */
class TensorflowCompatibilityTest extends BackendCompatibilityKit {
  /** MatMuls in the slow chain: about 0.7 s per call on 2 vCPUs. */
  private static final int SLOW_MATMULS = 300;

  @Override
  protected String backendName() {
    return TensorflowBackend.NAME;
  }

  @Override
  protected Path fixture(String name) {
    return fixturesDir().resolve("tensorflow").resolve(name);
  }

  /** Every kit dtype but INT8 and INT16, which TensorFlow Java 1.1 has no tensor class for. */
  @Override
  protected List<DType> supportedDTypes() {
    return TensorflowTensors.supported();
  }

  /** TensorFlow's run timeout does not stop a running graph (see TensorflowModelSession), so core abandons. */
  @Override
  protected boolean supportsCancellation() {
    return false;
  }

  @Override
  protected SlowCall slowCall(Path dir) throws IOException {
    Path model = dir.resolve("slow_chain");
    TensorflowFixtureGenerator.slowChain(model, SLOW_MATMULS);
    float[] x = new float[512 * 512];
    Arrays.fill(x, 1f);
    return new SlowCall(model, NamedTensors.of("x", Tensor.ofFloats(x, 512, 512)));
  }

  /** A copy of the fraud SavedModel whose {@code saved_model.pb} is cut to a third. */
  @Override
  protected Path truncatedFraud(Path dir) throws IOException {
    Path copy = Fixtures.copyTree(fixture("fraud"), dir.resolve("fraud"));
    Path pb = copy.resolve(TensorflowBackend.SAVED_MODEL_PB);
    byte[] bytes = Files.readAllBytes(pb);
    Files.write(pb, Arrays.copyOf(bytes, bytes.length / 3));
    return copy;
  }
}
