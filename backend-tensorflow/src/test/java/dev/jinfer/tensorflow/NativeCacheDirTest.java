package dev.jinfer.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.Backends;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelLoadException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Where TensorFlow's natives are unpacked, and what the {@code tensorflow.nativeCacheDir} property does. */
class NativeCacheDirTest {
  private static Model load(LoadOptions.Builder options) {
    return Backends.discover().load(Fixtures.tensorflow("fraud"), options.backend(TensorflowBackend.NAME).build());
  }

  @Test
  void cacheDirProperty_naming_theDirInUse_isAccepted_andAnotherOneCameTooLate(@TempDir Path other) {
    try (Model first = load(LoadOptions.newBuilder())) {
      Path used = TensorflowNatives.loadedFrom();
      assertThat(used).isNotNull();
      try (Model same = load(LoadOptions.newBuilder().property(TensorflowBackend.NATIVE_CACHE_DIR, used.toString()))) {
        assertThat(same.signature()).isEqualTo(first.signature());
      }
      assertThatThrownBy(() -> load(LoadOptions.newBuilder().property(TensorflowBackend.NATIVE_CACHE_DIR, other.toString())))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining(TensorflowBackend.NATIVE_CACHE_DIR + "=" + other).hasMessageContaining("came too late")
          .hasMessageContaining(used.toString()).hasMessageContaining("-Dorg.bytedeco.javacpp.cachedir=");
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void cacheDirProperty_onTheFirstLoadInAJvm_unpacksTheNativesThere(@TempDir Path cache) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), NativeCacheDirProbe.class.getName(),
        cache.toString(), Fixtures.tensorflow("fraud").toString()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(4, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("loadedFrom=" + cache.toFile().getCanonicalPath()).contains("features");
    List<Path> libraries;
    try (Stream<Path> files = Files.walk(cache)) {
      libraries = files.filter(f -> f.getFileName().toString().startsWith("libtensorflow_cc.so")).toList();
    }
    assertThat(libraries).as("TensorFlow's main library unpacked under %s", cache).isNotEmpty();
    System.out.println("unpacked into a fresh cache dir: " + output.lines().filter(l -> l.startsWith("loadMillis")).toList()
        + ", " + sizeMiB(cache) + " MiB");
  }

  /** The bytes on disk, symlinks (JavaCPP links {@code libtensorflow_cc.so} to {@code .so.2}) not followed. */
  private static long sizeMiB(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).mapToLong(f -> f.toFile().length()).sum() >> 20;
    }
  }
}
