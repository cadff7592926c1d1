package dev.jinfer.registry;

import dev.jinfer.LoadOptions;
import dev.jinfer.ScaleBackend;
import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Writes model repositories for registry tests: versions are staged beside the root and moved into
 * place atomically, as the registry's documentation asks. Also a directory-artifact backend
 * ({@code .scaledir} directories holding a {@code factor} file) with ScaleBackend's signature.
 */
public final class RegistryRepo {
  private final Path root;
  private final Path staging;
  private int staged;

  /**
   * A repository under a temporary directory.
   *
   * @param dir the test's temporary directory
   * @throws IOException if it cannot be created
   */
  public RegistryRepo(Path dir) throws IOException {
    this.root = Files.createDirectories(dir.resolve("repo"));
    this.staging = Files.createDirectories(dir.resolve("staging"));
  }

  /** @return the repository root */
  public Path root() {
    return root;
  }

  /**
   * Adds a {@code .scale} version whose factor is its number, moved into place atomically.
   *
   * @param model the model name
   * @param version the version directory name
   * @return the artifact
   * @throws IOException if writing fails
   */
  public Path scale(String model, String version) throws IOException {
    return scale(model, version, Float.parseFloat(version));
  }

  /**
   * Adds a {@code .scale} version with a factor.
   *
   * @param model the model name
   * @param version the version directory name
   * @param factor the factor
   * @return the artifact
   * @throws IOException if writing fails
   */
  public Path scale(String model, String version, float factor) throws IOException {
    return file(model, version, "model.scale", Float.toString(factor));
  }

  /**
   * Adds a version holding one file, moved into place atomically.
   *
   * @param model the model name
   * @param version the version directory name
   * @param fileName the artifact's name
   * @param content its content
   * @return the artifact
   * @throws IOException if writing fails
   */
  public Path file(String model, String version, String fileName, String content) throws IOException {
    Path stage = Files.createDirectories(staging.resolve("v" + (staged++)));
    Files.writeString(stage.resolve(fileName), content, StandardCharsets.UTF_8);
    Path target = Files.createDirectories(root.resolve(model)).resolve(version);
    Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE);
    return target.resolve(fileName);
  }

  /**
   * Writes {@code <file>.sha256} as sha256sum prints it.
   *
   * @param artifact the artifact
   * @return the checksum file
   * @throws IOException if writing fails
   */
  public static Path writeSha256(Path artifact) throws IOException {
    return Files.writeString(artifact.resolveSibling(artifact.getFileName() + ".sha256"),
        sha256(Files.readAllBytes(artifact)) + "  " + artifact.getFileName() + "\n");
  }

  /**
   * The hex SHA-256 of bytes.
   *
   * @param bytes the bytes
   * @return lower-case hex
   */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Removes a version directory (the registry unloads it at its next scan).
   *
   * @param model the model name
   * @param version the version directory name
   * @throws IOException if deleting fails
   */
  public void delete(String model, String version) throws IOException {
    Path dir = root.resolve(model).resolve(version);
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** A backend for directory artifacts: a {@code .scaledir} directory (or a SavedModel-style version directory) holding a {@code factor} file. */
  public static final class DirBackend implements Backend {
    private final ScaleBackend scale = new ScaleBackend();

    @Override
    public String name() {
      return "scaledir";
    }

    @Override
    public boolean isAvailable() {
      return true;
    }

    @Override
    public boolean accepts(ModelSource source) {
      return Files.isDirectory(source.path())
          && (source.fileName().endsWith(".scaledir") || Files.exists(source.path().resolve("saved_model.pb")));
    }

    @Override
    public BackendSession load(ModelSource source, LoadOptions options) throws Exception {
      return scale.load(new ModelSource(source.path().resolve("factor"), source.id()), options);
    }

    /** @return the sessions it loaded */
    public List<ScaleBackend.Session> sessions() {
      return scale.sessions;
    }
  }
}
