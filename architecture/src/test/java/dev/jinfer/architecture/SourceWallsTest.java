package dev.jinfer.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The walls that the class-file rules cannot see: applications (cli, examples, benchmarks, which are not
 * on the class-file rules' class path) and every module's tests, read as source. Nothing outside core reaches into core's internals
 * (this module is left out: its rules name the package they forbid).
 */
class SourceWallsTest {
  private static final Pattern INTERNAL = Pattern.compile("\\bdev\\.jinfer\\.internal\\b");

  @Test
  void nothingOutsideCore_importsCoreInternals_mainOrTest() throws IOException {
    Path root = Path.of(System.getProperty("jinfer.root", ".."));
    assertThat(root.resolve("core/pom.xml")).as("the repository root (jinfer.root)").exists();
    List<String> offenders = new ArrayList<>();
    int scanned = 0;
    try (Stream<Path> modules = Files.list(root)) {
      for (Path module : modules.filter(m -> Files.exists(m.resolve("pom.xml")) && Files.isDirectory(m.resolve("src")))
          .filter(m -> !Set.of("core", "architecture").contains(m.getFileName().toString())).toList()) {
        try (Stream<Path> files = Files.walk(module.resolve("src"))) {
          for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
            scanned++;
            if (INTERNAL.matcher(Files.readString(f)).find()) {
              offenders.add(root.relativize(f).toString());
            }
          }
        }
      }
    }
    assertThat(scanned).as("java files scanned outside core").isGreaterThan(100);
    assertThat(offenders).as("files outside core that use dev.jinfer.internal").isEmpty();
  }
}
