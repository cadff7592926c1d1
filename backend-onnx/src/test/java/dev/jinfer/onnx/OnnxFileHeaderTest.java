package dev.jinfer.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxFileHeaderTest {
  @Test
  void read_findsIrVersionProducerVersionAndOpsets_skippingTheGraph() {
    assertThat(OnnxFileHeader.read(Fixtures.onnx("multi_io.onnx")))
        .containsEntry("onnx.ir_version", "8")
        .containsEntry("onnx.opset_import", "ai.onnx:17");
  }

  @Test
  void read_neverThrows_onGarbageTruncatedOrMissingFiles(@TempDir Path dir) throws IOException {
    byte[] garbage = new byte[4096];
    new Random(1).nextBytes(garbage);
    assertThat(OnnxFileHeader.read(Files.write(dir.resolve("garbage"), garbage))).isNotNull();
    byte[] fraud = Files.readAllBytes(Fixtures.onnx("fraud.onnx"));
    assertThat(OnnxFileHeader.read(Files.write(dir.resolve("cut"), Arrays.copyOf(fraud, 100))))
        .containsEntry("onnx.ir_version", "8");
    assertThat(OnnxFileHeader.read(dir.resolve("missing"))).isEmpty();
  }

  @Test
  void looksLikeModel_isTrueForEveryFixture_andFalseForTheirNpyFiles() throws IOException {
    try (var files = Files.list(Fixtures.onnx("fraud.onnx").getParent())) {
      files.forEach(f -> {
        String name = f.getFileName().toString();
        if (name.endsWith(".onnx")) {
          assertThat(OnnxFileHeader.looksLikeModel(f)).as(name).isTrue();
        } else if (name.endsWith(".npy") || name.endsWith(".npz") || name.endsWith(".sha256")) {
          assertThat(OnnxFileHeader.looksLikeModel(f)).as(name).isFalse();
        }
      });
    }
  }
}
