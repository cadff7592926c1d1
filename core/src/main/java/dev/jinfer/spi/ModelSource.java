package dev.jinfer.spi;

import dev.jinfer.ModelId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A model artifact and the id it will be known by: a file or directory on disk (a SavedModel is a
 * directory), or a file's bytes held in memory.
 *
 * <p>A source in memory ({@link #inMemory()}) comes from {@code Model.load(byte[], ...)}, an
 * {@code InputStream} or a classpath resource. Its {@link #path()} is then only the artifact's file name
 * (for extension checks): nothing exists there. Core hands a source in memory only to a backend whose
 * {@link Backend#loadsFromMemory()} is true; every other backend gets a temporary copy on disk. A backend's
 * {@link Backend#accepts} may see either kind, so it reads magic bytes with {@link #head(int)}, never from the
 * path directly.
 *
 * @param path the artifact on disk, which exists; or, in memory, its file name
 * @param id the name and version to report
 * @param contents the file's bytes when the source is in memory, else null; not copied: callers must not
 *     modify them
 */
public record ModelSource(Path path, ModelId id, byte @Nullable [] contents) {
  /** Checks the components are present. */
  public ModelSource {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(id, "id");
  }

  /**
   * A source on disk.
   *
   * @param path the artifact, which exists
   * @param id the name and version to report
   */
  public ModelSource(Path path, ModelId id) {
    this(path, id, null);
  }

  /**
   * Whether the source is a file's bytes in memory rather than a path on disk.
   *
   * @return true for bytes, a stream or a resource
   */
  public boolean inMemory() {
    return contents != null;
  }

  /**
   * The artifact's file name, lower-cased, for extension checks.
   *
   * @return e.g. {@code model.onnx}
   */
  public String fileName() {
    Path name = path.getFileName();
    return name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
  }

  /**
   * Whether the artifact is a single file (a regular file on disk, or bytes in memory).
   *
   * @return true for a file, false for a directory or nothing
   */
  public boolean isFile() {
    return contents != null || Files.isRegularFile(path);
  }

  /**
   * The artifact's size in bytes.
   *
   * @return the size, or -1 if it cannot be read (a directory, or an unreadable file)
   */
  public long size() {
    if (contents != null) {
      return contents.length;
    }
    try {
      return Files.isRegularFile(path) ? Files.size(path) : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * The artifact's first bytes, for magic-number checks. Never throws.
   *
   * @param max how many bytes at most
   * @return up to {@code max} bytes; empty for a directory or a file that cannot be read
   */
  public byte[] head(int max) {
    if (contents != null) {
      return Arrays.copyOf(contents, Math.min(max, contents.length));
    }
    if (!Files.isRegularFile(path)) {
      return new byte[0];
    }
    try (InputStream in = Files.newInputStream(path)) {
      return in.readNBytes(max);
    } catch (IOException | RuntimeException e) {
      return new byte[0];
    }
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof ModelSource && ((ModelSource) o).path.equals(path) && ((ModelSource) o).id.equals(id)
        && Arrays.equals(((ModelSource) o).contents, contents);
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, id) * 31 + Arrays.hashCode(contents);
  }

  @Override
  public String toString() {
    return "ModelSource[" + (contents == null ? "path=" + path : contents.length + " bytes in memory, name=" + path)
        + ", id=" + id + "]";
  }
}
