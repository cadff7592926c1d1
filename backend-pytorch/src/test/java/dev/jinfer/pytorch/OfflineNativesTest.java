package dev.jinfer.pytorch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without the natives jar and with an empty DJL cache, loading fails fast with a typed error naming the
 * artifact, and downloads nothing (DJL's offline mode refuses; the cache stays without libtorch). Runs in a
 * child JVM, because libtorch, once loaded in this one, cannot be unloaded.
 */
class OfflineNativesTest {
  @TempDir
  Path cache;

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void withoutTheNativesJar_loadFailsWithBackendUnavailable_namingTheArtifact_andDownloadsNothing() throws Exception {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> entries = Arrays.stream(classpath.split(File.pathSeparator)).collect(Collectors.toList());
    assertThat(entries).as("the test classpath has the natives").anyMatch(e -> e.contains("pytorch-native-cpu"));
    String withoutNatives = entries.stream().filter(e -> !e.contains("pytorch-native-cpu"))
        .collect(Collectors.joining(File.pathSeparator));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path fraud = Path.of(System.getProperty("jinfer.fixtures")).resolve("pytorch").resolve("fraud.pt");
    List<String> command = new ArrayList<>(List.of(java.toString(), "-cp", withoutNatives,
        NativesMissingMain.class.getName(), fraud.toString()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("PYTORCH_LIBRARY_PATH");
    pb.environment().put("DJL_CACHE_DIR", cache.toString());
    pb.environment().put("ENGINE_CACHE_DIR", cache.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();

    String result = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse("no RESULT line in: " + out);
    assertThat(result).contains("dev.jinfer.BackendUnavailableException")
        .contains(LibTorch.NATIVE_ARTIFACT).contains("never downloads").contains("Offline mode is enabled");
    assertThat(libtorchFilesIn(cache)).as("nothing downloaded into the DJL cache").isEmpty();
  }

  private static List<Path> libtorchFilesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.getFileName().toString().contains("torch")).collect(Collectors.toList());
    }
  }
}
