package dev.jinfer.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.io.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** The committed TensorFlow fixtures are what the generator and the manifest say they are. */
class TensorflowFixturesTest {
  @Test
  void fraudVariables_holdExactlyTheWeightsOfFraudWeightsNpz() throws IOException {
    try (ZipFile npz = new ZipFile(Fixtures.onnx("fraud_weights.npz").toFile());
        SavedModelBundle bundle = SavedModelBundle.load(Fixtures.tensorflow("fraud").toString(), "serve")) {
      int checked = 0;
      for (ZipEntry entry : java.util.Collections.list(npz.entries())) {
        String name = entry.getName().replace(".npy", ""); // e.g. fc1.weight
        dev.jinfer.Tensor expected;
        try (InputStream in = npz.getInputStream(entry)) {
          expected = Npy.read(in);
        }
        String variable = name.replace('.', '/'); // fc1/weight
        try (Result r = bundle.session().runner().fetch(variable).run()) {
          TFloat32 value = (TFloat32) r.get(0);
          assertThat(value.shape().asArray()).as(variable).containsExactly(expected.shape().toArray());
          float[] got = new float[Math.toIntExact(value.size())];
          value.copyTo(DataBuffers.of(got, false, false));
          float[] want = expected.toFloatArray();
          for (int i = 0; i < want.length; i++) {
            assertThat(Float.floatToRawIntBits(got[i])).as("%s element %d", variable, i).isEqualTo(Float.floatToRawIntBits(want[i]));
          }
        }
        checked++;
      }
      assertThat(checked).isEqualTo(6);
    }
  }

  @Test
  void manifest_matchesEveryCommittedFixtureFile() throws IOException, NoSuchAlgorithmException {
    Path dir = Fixtures.dir().resolve("tensorflow");
    List<String> lines = Files.readAllLines(dir.resolve("MANIFEST.sha256"), StandardCharsets.UTF_8);
    assertThat(lines).hasSizeGreaterThanOrEqualTo(14);
    for (String line : lines) {
      String hash = line.substring(0, 64);
      String file = line.substring(66);
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dir.resolve(file)));
      assertThat(HexFormat.of().formatHex(digest)).as(file).isEqualTo(hash);
    }
  }
}
