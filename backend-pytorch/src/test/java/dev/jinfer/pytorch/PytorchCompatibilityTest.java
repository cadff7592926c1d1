package dev.jinfer.pytorch;

import dev.jinfer.DType;
import dev.jinfer.LoadOptions;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.kit.BackendCompatibilityKit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * The backend compatibility kit, run against the PyTorch backend on the TorchScript fixtures in
 * {@code fixtures/pytorch} (each with its signature sidecar), with the default options except one
 * intra-op thread. Why: on a shared 2-core machine, libtorch's OpenMP pool with 2 threads made the slow
 * call's duration swing from 0.9 s to 4 s between identical calls (spinning barriers under
 * oversubscription), against 54-128 ms with 1 thread, and the deadline tests compare a call's duration
 * with the previous one's. Default threads are covered by {@code PytorchBackendTest}.
 */
class PytorchCompatibilityTest extends BackendCompatibilityKit {
  /** Rows of the slow model's input: about 13 MFLOP each (README), so a call takes 0.5-1 s here. */
  static final int SLOW_ROWS = 1536;

  @Override
  protected LoadOptions options() {
    return LoadOptions.newBuilder().intraOpThreads(1).build();
  }

  @Override
  protected String backendName() {
    return PytorchBackend.NAME;
  }

  @Override
  protected Path fixture(String name) {
    return fixturesDir().resolve("pytorch").resolve(name + ".pt");
  }

  @Override
  protected List<DType> supportedDTypes() {
    return List.copyOf(PytorchTensors.SUPPORTED);
  }

  /** The truncated copy gets the real sidecar, so that it is libtorch that must refuse the file. */
  @Override
  protected Path truncatedFraud(Path dir) throws IOException {
    Path truncated = super.truncatedFraud(dir);
    Files.copy(SignatureFile.sidecarOf(fixture("fraud")), SignatureFile.sidecarOf(truncated));
    return truncated;
  }

  @Override
  protected SlowCall slowCall(Path dir) {
    return slowCall();
  }

  static SlowCall slowCall() {
    Random random = new Random(5);
    float[] x = new float[SLOW_ROWS * 128];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return new SlowCall(fixturesDir().resolve("pytorch").resolve("slow.pt"), NamedTensors.of("x", Tensor.ofFloats(x, SLOW_ROWS, 128)));
  }

  static Path pytorchFixture(String fileName) {
    return fixturesDir().resolve("pytorch").resolve(fileName);
  }
}
