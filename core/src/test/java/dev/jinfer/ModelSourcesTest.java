package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.spi.ModelSource;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a model from bytes, a stream and a classpath resource: in memory where the backend can, else a temporary copy. */
class ModelSourcesTest {
  private static final byte[] DOUBLER = "2.0".getBytes(StandardCharsets.UTF_8);

  @TempDir
  Path dir;

  private static float[] y(Model m) {
    return m.predictor().predict(ScaleBackend.input(new float[] {1f, 3f})).get("y").toFloatArray();
  }

  @Test
  void bytes_toABackendThatNeedsAFile_goThroughATemporaryCopy_deletedOnceLoaded() {
    RecordingBackend backend = new RecordingBackend(new ScaleBackend(), false);
    try (Model m = Backends.of(backend).load(DOUBLER, "doubler.scale", LoadOptions.defaults())) {
      assertThat(y(m)).containsExactly(2f, 6f);
      assertThat(m.id()).isEqualTo(new ModelId("doubler", "1"));
      ModelSource given = backend.seen.get(0);
      assertThat(given.inMemory()).isFalse();
      assertThat(given.path().getFileName().toString()).isEqualTo("doubler.scale");
      assertThat(backend.existedAtLoad).containsExactly(true);
      assertThat(given.path()).as("the temporary copy is gone after the load").doesNotExist();
      assertThat(given.path().getParent()).as("and so is its directory").doesNotExist();
    }
  }

  @Test
  void bytes_toABackendThatLoadsFromMemory_areHandedOver_withNoFile() {
    RecordingBackend backend = new RecordingBackend(new ScaleBackend(), true);
    try (Model m = Backends.of(backend).load(DOUBLER, "doubler.scale", LoadOptions.newBuilder().modelName("fraud")
        .modelVersion("7").build())) {
      assertThat(y(m)).containsExactly(2f, 6f);
      assertThat(m.id()).isEqualTo(new ModelId("fraud", "7"));
      ModelSource given = backend.seen.get(0);
      assertThat(given.inMemory()).isTrue();
      assertThat(given.contents()).isSameAs(DOUBLER);
      assertThat(given.isFile()).isTrue();
      assertThat(given.size()).isEqualTo(DOUBLER.length);
      assertThat(given.head(2)).containsExactly('2', '.');
      assertThat(backend.existedAtLoad).as("nothing on disk").containsExactly(false);
    }
  }

  @Test
  void aStream_isReadToItsEnd_andLeftOpenForItsOwner() {
    AtomicBoolean closed = new AtomicBoolean();
    InputStream in = new FilterInputStream(new ByteArrayInputStream(DOUBLER)) {
      @Override
      public void close() throws IOException {
        closed.set(true);
        super.close();
      }
    };
    try (Model m = Backends.of(new ScaleBackend()).load(in, "doubler.scale", LoadOptions.defaults())) {
      assertThat(y(m)).containsExactly(2f, 6f);
    }
    assertThat(closed).isFalse();
  }

  @Test
  void aClasspathResource_isFoundThroughTheGivenClassLoader_andNamedAfterItsFile() throws IOException {
    Files.createDirectories(dir.resolve("models"));
    Files.write(dir.resolve("models/tripler.scale"), "3".getBytes(StandardCharsets.UTF_8));
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
      Backends backends = Backends.of(new ScaleBackend());
      try (Model m = backends.loadResource(loader, "/models/tripler.scale", LoadOptions.defaults())) {
        assertThat(y(m)).containsExactly(3f, 9f);
        assertThat(m.id().name()).isEqualTo("tripler");
      }
      Thread t = Thread.currentThread();
      ClassLoader before = t.getContextClassLoader();
      t.setContextClassLoader(loader);
      try (Model m = backends.loadResource("models/tripler.scale", LoadOptions.defaults())) {
        assertThat(y(m)).as("the context class loader's resource").containsExactly(3f, 9f);
      } finally {
        t.setContextClassLoader(before);
      }
      assertThatThrownBy(() -> backends.loadResource(loader, "models/missing.scale", LoadOptions.defaults()))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("model resource 'models/missing.scale'")
          .hasMessageContaining("expected a classpath resource but the class loader");
    }
  }

  @Test
  void badSources_areTypedErrors_namingWhatCame() {
    Backends backends = Backends.of(new ScaleBackend());
    assertThatThrownBy(() -> backends.load(new byte[0], "doubler.scale", LoadOptions.defaults()))
        .isInstanceOf(ModelLoadException.class).hasMessage("model doubler.scale: expected the bytes of a model file but got 0 bytes");
    assertThatThrownBy(() -> backends.load(DOUBLER, " ", LoadOptions.defaults()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("expected a name such as fraud.onnx").hasMessageContaining("' '");
    assertThatThrownBy(() -> backends.load(DOUBLER, "models/", LoadOptions.defaults()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("expected a file name such as fraud.onnx but got 'models/'");
    assertThatThrownBy(() -> backends.load(DOUBLER, "doubler.unknown", LoadOptions.defaults()))
        .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("doubler.unknown (in memory): no backend accepts it");
    InputStream broken = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("connection reset");
      }
    };
    assertThatThrownBy(() -> backends.load(broken, "doubler.scale", LoadOptions.defaults()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("model doubler.scale: the stream could not be read")
        .hasMessageContaining("connection reset");
    assertThatThrownBy(() -> backends.load("garbage".getBytes(StandardCharsets.UTF_8), "bad.scale", LoadOptions.defaults()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("model bad.scale (7 bytes in memory): backend 'scale' could not load it");
  }
}
