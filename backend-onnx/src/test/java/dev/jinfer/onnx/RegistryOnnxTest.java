package dev.jinfer.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Backends;
import dev.jinfer.CountingBackend;
import dev.jinfer.LoadOptions;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.registry.IntegrityMode;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.VersionState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A registry over real ONNX artifacts: checksums, a corrupt new version, and warmup on the engine. */
class RegistryOnnxTest {
  @Test
  void corruptOrMismatchingNewVersions_leaveTheCurrentOneServing(@TempDir Path root) throws IOException {
    Path one = Files.createDirectories(root.resolve("fraud/1"));
    Files.copy(Fixtures.onnx("fraud.onnx"), one.resolve("model.onnx"));
    Files.writeString(one.resolve("model.onnx.sha256"), sha256(one.resolve("model.onnx")) + "  model.onnx\n");
    CountingBackend counting = new CountingBackend(new OnnxBackend());
    try (ModelRegistry registry = ModelRegistry.newBuilder(root).backends(Backends.of(counting))
        .loadOptions(LoadOptions.newBuilder().property(OnnxBackend.SESSIONS, "1").build())
        .integrity(IntegrityMode.IF_PRESENT).build()) {
      registry.start();
      NamedTensors in = NamedTensors.of("features", Tensor.ofFloats(new float[32], 1, 32));
      float[] before = registry.predictor("fraud").predict(in).get("probabilities").toFloatArray();

      Path two = Files.createDirectories(root.resolve("fraud/2"));
      byte[] bytes = Files.readAllBytes(Fixtures.onnx("fraud.onnx"));
      Files.write(two.resolve("model.onnx"), Arrays.copyOf(bytes, bytes.length / 2)); // truncated
      Path three = Files.createDirectories(root.resolve("fraud/3"));
      Files.copy(Fixtures.onnx("fraud.onnx"), three.resolve("model.onnx"));
      Files.writeString(three.resolve("model.onnx.sha256"), "f".repeat(64) + "\n");

      ModelStatus s = registry.reload().model("fraud").orElseThrow();
      assertThat(s.servingVersion()).contains("1");
      assertThat(s.version("2").orElseThrow().state()).isEqualTo(VersionState.FAILED);
      assertThat(s.version("2").orElseThrow().error().orElseThrow()).contains("model.onnx");
      assertThat(s.version("3").orElseThrow().error().orElseThrow()).contains("sha256 mismatch");
      assertThat(registry.predictor("fraud").predict(in).get("probabilities").toFloatArray()).containsExactly(before);
      assertThat(counting.open.get()).isEqualTo(1);
    }
    assertThat(counting.open.get()).isZero();
    assertThat(counting.violations).isEmpty();
  }

  private static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
