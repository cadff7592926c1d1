package dev.jinfer.registry;

import dev.jinfer.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Checks an artifact against the SHA-256 file beside it, as {@link IntegrityMode} documents: for a file
 * artifact {@code <file>.sha256} holding {@code <hex> [ [*]<file name>]}; for a directory artifact
 * {@code <dir>.sha256} holding one {@code sha256sum} line per regular file under the directory, with
 * paths relative to it. Stateless, so thread-safe.
 */
final class ArtifactDigest {
  private static final Pattern LINE = Pattern.compile("([0-9a-fA-F]{64})(?:\\s+\\*?(.+))?");

  private ArtifactDigest() {}

  /**
   * Verifies an artifact.
   *
   * @param layout the repository, to keep every path inside it
   * @param artifact the artifact, a file or a directory
   * @param mode what to require
   * @return whether a checksum file was found and matched
   * @throws ModelLoadException if the mode requires a checksum file and there is none, or it does not match
   * @throws IOException if a file cannot be read
   */
  public static boolean verify(RepositoryLayout layout, Path artifact, IntegrityMode mode) throws IOException {
    if (mode == IntegrityMode.OFF) {
      return false;
    }
    Path name = artifact.getFileName();
    Path sidecar = artifact.resolveSibling(name + RepositoryLayout.DIGEST_SUFFIX);
    if (!Files.exists(sidecar)) {
      if (mode == IntegrityMode.REQUIRED) {
        throw new ModelLoadException("artifact " + layout.relative(artifact) + ": integrity REQUIRED expected a checksum file "
            + layout.relative(sidecar) + " but there is none");
      }
      return false;
    }
    layout.inside(sidecar);
    List<String> lines = Files.readAllLines(sidecar, StandardCharsets.UTF_8).stream()
        .map(String::strip).filter(l -> !l.isEmpty()).toList();
    if (Files.isDirectory(artifact)) {
      verifyTree(layout, artifact, sidecar, lines);
    } else {
      verifyFile(layout, artifact, sidecar, lines);
    }
    return true;
  }

  /**
   * Verifies a file held in memory (a classpath resource) against the text of its checksum file.
   *
   * @param what the artifact, for messages, e.g. {@code classpath:models/fraud/1/model.onnx}
   * @param contents its bytes
   * @param fileName its file name, which the checksum line may name
   * @param sidecar the checksum file's text, or null if there is none
   * @param mode what to require
   * @return whether a checksum file was found and matched
   * @throws ModelLoadException if the mode requires a checksum file and there is none, or it does not match
   */
  public static boolean verify(String what, byte[] contents, String fileName, @Nullable String sidecar, IntegrityMode mode) {
    if (mode == IntegrityMode.OFF) {
      return false;
    }
    String sidecarName = what + RepositoryLayout.DIGEST_SUFFIX;
    if (sidecar == null) {
      if (mode == IntegrityMode.REQUIRED) {
        throw new ModelLoadException("artifact " + what + ": integrity REQUIRED expected a checksum file " + sidecarName
            + " but there is none");
      }
      return false;
    }
    List<String> lines = sidecar.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    String expected = expectedDigest(sidecarName, fileName, lines);
    String actual = HexFormat.of().formatHex(digest().digest(contents));
    if (!expected.equals(actual)) {
      throw new ModelLoadException("artifact " + what + ": sha256 mismatch: expected " + expected + " (" + sidecarName
          + ") but the bytes hash to " + actual);
    }
    return true;
  }

  private static String expectedDigest(String sidecar, String fileName, List<String> lines) {
    Matcher m = lines.size() == 1 ? LINE.matcher(lines.get(0)) : null;
    if (m == null || !m.matches()) {
      throw new ModelLoadException("checksum file " + sidecar + ": expected one line '<64 hex digits> [file name]' but got "
          + lines.size() + " line(s)" + (lines.isEmpty() ? "" : " starting '" + abbreviate(lines.get(0)) + "'"));
    }
    String named = m.group(2);
    if (named != null && !named.strip().equals(fileName)) {
      throw new ModelLoadException("checksum file " + sidecar + ": expected a digest of '" + fileName
          + "' but it names '" + named.strip() + "'");
    }
    return m.group(1).toLowerCase(Locale.ROOT);
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }

  private static void verifyFile(RepositoryLayout layout, Path artifact, Path sidecar, List<String> lines) throws IOException {
    String expected = expectedDigest(layout.relative(sidecar), String.valueOf(artifact.getFileName()), lines);
    String actual = sha256(artifact);
    if (!expected.equals(actual)) {
      throw new ModelLoadException("artifact " + layout.relative(artifact) + ": sha256 mismatch: expected " + expected
          + " (" + layout.relative(sidecar) + ") but the file hashes to " + actual);
    }
  }

  private static void verifyTree(RepositoryLayout layout, Path dir, Path sidecar, List<String> lines) throws IOException {
    Map<String, String> expected = new TreeMap<>();
    for (String line : lines) {
      Matcher m = LINE.matcher(line);
      if (!m.matches() || m.group(2) == null) {
        throw new ModelLoadException("checksum manifest " + layout.relative(sidecar) + ": expected lines '<64 hex digits>  <relative path>' but got '"
            + abbreviate(line) + "'");
      }
      String rel = normalise(m.group(2).strip());
      Path resolved = dir.resolve(rel).normalize();
      if (rel.isEmpty() || !resolved.startsWith(dir.normalize())) {
        throw new ModelLoadException("checksum manifest " + layout.relative(sidecar) + ": path '" + m.group(2).strip()
            + "' escapes the artifact directory");
      }
      expected.put(rel, m.group(1).toLowerCase(Locale.ROOT));
    }
    Map<String, Path> present = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      s.filter(Files::isRegularFile).forEach(p -> present.put(dir.relativize(p).toString().replace('\\', '/'), p));
    }
    for (String rel : expected.keySet()) {
      if (!present.containsKey(rel)) {
        throw new ModelLoadException("artifact " + layout.relative(dir) + ": the manifest " + layout.relative(sidecar)
            + " lists '" + rel + "' but the directory has no such file");
      }
    }
    for (Map.Entry<String, Path> e : present.entrySet()) {
      String want = expected.get(e.getKey());
      if (want == null) {
        throw new ModelLoadException("artifact " + layout.relative(dir) + ": file '" + e.getKey()
            + "' is not listed in the manifest " + layout.relative(sidecar) + "; every file must be");
      }
      layout.inside(e.getValue());
      String actual = sha256(e.getValue());
      if (!want.equals(actual)) {
        throw new ModelLoadException("artifact " + layout.relative(dir) + ": sha256 mismatch for '" + e.getKey() + "': expected "
            + want + " but the file hashes to " + actual);
      }
    }
  }

  /**
   * The SHA-256 of a file.
   *
   * @param file the file
   * @return lower-case hex
   * @throws IOException if it cannot be read
   */
  public static String sha256(Path file) throws IOException {
    MessageDigest md = digest();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static String normalise(String path) {
    String p = path.replace('\\', '/');
    while (p.startsWith("./")) {
      p = p.substring(2);
    }
    return p;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
