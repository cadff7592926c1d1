package dev.jinfer;

import java.util.Objects;

/**
 * Identifies a loaded model: a name and a version. Metrics tag with both, caches key on both.
 *
 * @param name the model name, e.g. {@code fraud}
 * @param version the version, e.g. {@code 1} or {@code 00000123}
 */
public record ModelId(String name, String version) {
  /** Checks both parts are present and non-blank. */
  public ModelId {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    if (name.isBlank() || version.isBlank()) {
      throw new IllegalArgumentException("model name and version must not be blank but were '" + name + "' and '" + version + "'");
    }
  }

  /** Formats as {@code name:version}. */
  @Override
  public String toString() {
    return name + ":" + version;
  }
}
