package dev.jinfer.spi;

import dev.jinfer.ModelId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A model artifact on disk (a file, or a directory such as a SavedModel) and the id it will be known by.
 *
 * @param path the artifact, which exists
 * @param id the name and version to report
 */
public record ModelSource(Path path, ModelId id) {
  /** Checks the components are present. */
  public ModelSource {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(id, "id");
  }

  /**
   * The artifact's file name, lower-cased, for extension checks.
   *
   * @return e.g. {@code model.onnx}
   */
  public String fileName() {
    Path name = path.getFileName();
    return name == null ? "" : name.toString().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * Whether the artifact is a regular file.
   *
   * @return true for a file, false for a directory
   */
  public boolean isFile() {
    return Files.isRegularFile(path);
  }
}
