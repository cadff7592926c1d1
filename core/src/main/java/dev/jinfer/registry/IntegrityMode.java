package dev.jinfer.registry;

/**
 * Whether a {@link ModelRegistry} checks an artifact's SHA-256 before loading it.
 *
 * <p>The digest lives beside the artifact, in a file named after it plus {@code .sha256}:
 * {@code fraud/3/model.onnx} is checked against {@code fraud/3/model.onnx.sha256}, which holds the hex
 * digest, optionally followed by the file name, exactly as {@code sha256sum model.onnx} prints it. A
 * directory artifact (a SavedModel) is checked against a manifest beside the directory
 * ({@code model.savedmodel.sha256}; for the TF Serving layout, where the version directory is the
 * SavedModel, {@code fraud/3.sha256}) in {@code sha256sum} format, one line per file with its path
 * relative to the directory, as {@code cd model.savedmodel && find . -type f | sort | xargs sha256sum}
 * prints it: every regular file in the directory must be listed and match, and no listed file may be
 * missing. A mismatch fails the version's load; the version serving before keeps serving.
 *
 * <p>Thread-safe (an enum).
 */
public enum IntegrityMode {
  /** No check; {@code .sha256} files are ignored. */
  OFF,
  /** Checked when the {@code .sha256} file exists; an artifact without one loads unchecked. The default. */
  IF_PRESENT,
  /** Every artifact must have a {@code .sha256} file that matches, or the version fails to load. */
  REQUIRED
}
