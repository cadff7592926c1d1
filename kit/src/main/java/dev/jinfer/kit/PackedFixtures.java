package dev.jinfer.kit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The reference fixtures packed in the kit's jar, extracted once per JVM. The directory's
 * {@code MANIFEST.sha256} (the generator's checksum list) is the index: every file it names is extracted and
 * checked against its digest, so a damaged jar fails loudly instead of testing a backend against wrong data.
 */
final class PackedFixtures {
  private static final String ROOT = "dev/jinfer/kit/fixtures/";
  private static volatile Path extracted;

  private PackedFixtures() {}

  static Path directory() {
    Path dir = extracted;
    if (dir == null) {
      synchronized (PackedFixtures.class) {
        dir = extracted;
        if (dir == null) {
          dir = extract();
          extracted = dir;
        }
      }
    }
    return dir;
  }

  private static Path extract() {
    try {
      Path dir = Files.createTempDirectory("jinfer-kit-fixtures-");
      Path onnx = Files.createDirectories(dir.resolve("onnx"));
      List<String> manifest = new String(read("onnx/MANIFEST.sha256"), StandardCharsets.UTF_8).lines()
          .filter(l -> !l.isBlank()).toList();
      for (String line : manifest) {
        String[] parts = line.trim().split("\\s+", 2);
        if (parts.length != 2) {
          throw new IllegalStateException("kit fixtures: MANIFEST.sha256 line '" + line + "': expected '<sha256>  <file>'");
        }
        byte[] bytes = read("onnx/" + parts[1]);
        String actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        if (!actual.equals(parts[0])) {
          throw new IllegalStateException("kit fixtures: onnx/" + parts[1] + ": expected sha256 " + parts[0]
              + " (MANIFEST.sha256) but the packed file hashes to " + actual);
        }
        Files.write(onnx.resolve(parts[1]), bytes);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir), "jinfer-kit-fixtures-cleanup"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("kit fixtures: could not extract them to " + System.getProperty("java.io.tmpdir"), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("kit fixtures: this JVM has no SHA-256", e);
    }
  }

  private static void delete(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // a temporary directory left behind at exit: the OS cleans it
    }
  }

  private static byte[] read(String name) throws IOException {
    try (InputStream in = PackedFixtures.class.getClassLoader().getResourceAsStream(ROOT + name)) {
      if (in == null) {
        throw new IllegalStateException("kit fixtures: " + ROOT + name + " is not on the classpath; is jinfer-backend-kit"
            + " a test dependency?");
      }
      return in.readAllBytes();
    }
  }
}
