package dev.jinfer.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Backends;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The fraud model from bytes, a stream and a classpath resource: ONNX Runtime loads the bytes, no temporary file. */
class OnnxModelSourcesTest {
  private static final Path FRAUD = Fixtures.onnx("fraud.onnx");
  private static final Backends ONNX = Backends.of(new OnnxBackend());

  private static float[] probabilities(Model m) {
    Tensor x = Npy.read(Fixtures.onnx("fraud_input.npy"));
    return m.predictor().predict(NamedTensors.of("features", x)).get("probabilities").toFloatArray();
  }

  private static long tempCopies() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("jinfer-model-")).count();
    }
  }

  @Test
  void bytesStreamAndResource_loadTheSameModel_asThePath_withNoTemporaryCopy() throws IOException {
    float[] expected = Npy.read(Fixtures.onnx("fraud_output.npy")).toFloatArray();
    byte[] bytes = Files.readAllBytes(FRAUD);
    long copiesBefore = tempCopies();
    try (Model fromPath = ONNX.load(FRAUD, LoadOptions.defaults());
        Model fromBytes = ONNX.load(bytes, "fraud.onnx", LoadOptions.defaults());
        InputStream in = Files.newInputStream(FRAUD);
        Model fromStream = ONNX.load(in, "fraud.onnx", LoadOptions.defaults());
        URLClassLoader loader = new URLClassLoader(new URL[] {FRAUD.getParent().toUri().toURL()}, null);
        Model fromResource = ONNX.loadResource(loader, "fraud.onnx", LoadOptions.defaults())) {
      for (Model m : new Model[] {fromPath, fromBytes, fromStream, fromResource}) {
        assertThat(probabilities(m)).as(m.id() + " from " + m).containsExactly(expected, Offset.offset(1e-5f));
        assertThat(m.signature()).isEqualTo(fromPath.signature());
        assertThat(m.metadata()).as("metadata, the file header's included").isEqualTo(fromPath.metadata())
            .containsKey("onnx.ir_version").containsKey("onnx.opset_import");
        assertThat(m.id().name()).isEqualTo("fraud");
      }
      assertThat(tempCopies()).as("ONNX Runtime loads the bytes themselves").isEqualTo(copiesBefore);
    }
  }

  @Test
  void bytesWithoutTheOnnxExtension_areRecognisedByTheirHeader() throws IOException {
    try (Model m = ONNX.load(Files.readAllBytes(FRAUD), "fraud.bin", LoadOptions.defaults())) {
      assertThat(m.backend()).isEqualTo("onnx");
      assertThat(m.id().name()).isEqualTo("fraud");
    }
  }
}
