package dev.jinfer.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.Backends;
import dev.jinfer.ModelLoadException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.TestJars;
import dev.jinfer.io.Npy;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.RegistryStatus;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The fraud fixture served by a registry from a jar-packaged repository and from registered bytes: ONNX Runtime loads the bytes, no temporary file. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OnnxRegistrySourcesTest {
  private static final Path FRAUD = Fixtures.onnx("fraud.onnx");
  private static final Backends ONNX = Backends.of(new OnnxBackend());

  @TempDir Path dir;

  private static float[] probabilities(Predictor p) {
    Tensor x = Npy.read(Fixtures.onnx("fraud_input.npy"));
    return p.predict(NamedTensors.of("features", x)).get("probabilities").toFloatArray();
  }

  private static long tempCopies() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("jinfer-")).count();
    }
  }

  private Path jar() throws IOException {
    byte[] fraud = Files.readAllBytes(FRAUD);
    return TestJars.write(dir.resolve("app.jar"), Map.of("models/fraud/1/model.onnx", fraud, "models/fraud/2/model.onnx", fraud,
        "models/notes.txt", "not a model".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void jarPackagedRepository_andRegisteredBytes_serveTheFraudModel_withNoTemporaryFile() throws IOException {
    float[] expected = Npy.read(Fixtures.onnx("fraud_output.npy")).toFloatArray();
    long copiesBefore = tempCopies();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar().toUri().toURL()}, null);
        ModelRegistry registry = ModelRegistry.newClasspathBuilder(loader, "classpath:models/").backends(ONNX).build()) {
      RegistryStatus status = registry.start();
      assertThat(status.isReady()).isTrue();
      assertThat(status.model("fraud").orElseThrow().servingVersion()).contains("2");
      Predictor fraud = registry.predictor("fraud");
      assertThat(probabilities(fraud)).containsExactly(expected, Offset.offset(1e-5f));

      try (InputStream in = Files.newInputStream(FRAUD)) {
        assertThat(registry.register("fraud", "3", in, "fraud.onnx").servingVersion()).contains("3");
      }
      assertThat(fraud.modelId().version()).isEqualTo("3");
      assertThat(probabilities(fraud)).containsExactly(expected, Offset.offset(1e-5f));
      assertThat(tempCopies()).as("ONNX Runtime loads the bytes: no temporary file").isEqualTo(copiesBefore);

      assertThatThrownBy(() -> registry.register("fraud", "4", "not a model".getBytes(StandardCharsets.UTF_8), "fraud.onnx"))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("model 'fraud' version 4 from the bytes of fraud.onnx");
      assertThat(registry.status().model("fraud").orElseThrow().servingVersion()).contains("3");
      assertThat(registry.unregister("fraud", "3").servingVersion()).contains("2");
      assertThat(probabilities(fraud)).containsExactly(expected, Offset.offset(1e-5f));
    }
  }
}
