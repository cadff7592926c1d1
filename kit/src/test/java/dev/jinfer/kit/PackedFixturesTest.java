package dev.jinfer.kit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The fixtures packed in the kit's jar are the repository's, byte for byte, so a backend outside it tests against the same data. */
class PackedFixturesTest {
  @Test
  void theExtractedCopy_holdsEveryRepositoryFixture_byteForByte() throws IOException {
    Path repository = Path.of(System.getProperty("jinfer.fixtures")).resolve("onnx");
    Path packed = PackedFixtures.directory().resolve("onnx");
    assertThat(packed).isNotEqualTo(repository);
    List<Path> files;
    try (Stream<Path> s = Files.list(repository)) {
      files = s.filter(p -> !p.getFileName().toString().equals("MANIFEST.sha256")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThan(30);
    for (Path f : files) {
      Path copy = packed.resolve(f.getFileName().toString());
      assertThat(copy).as("packed copy of %s", f.getFileName()).exists();
      assertThat(Files.readAllBytes(copy)).as("%s", f.getFileName()).isEqualTo(Files.readAllBytes(f));
    }
    assertThat(PackedFixtures.directory()).as("extracted once per JVM").isEqualTo(packed.getParent());
  }
}
