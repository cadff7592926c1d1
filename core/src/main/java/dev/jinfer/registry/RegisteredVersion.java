package dev.jinfer.registry;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * A version registered at run time ({@link ModelRegistry#register}): its source (a file's bytes, or a path)
 * kept so that the version can be loaded again when the policy or an alias wants it back, and the model the
 * registration loaded to check it, which the slot's first load takes instead of loading it twice. Each
 * registration gets a new generation, the version's fingerprint: registering a version number again is seen
 * as the version republished, and swapped. Thread-safe.
 */
final class RegisteredVersion {
  private static final AtomicLong GENERATIONS = new AtomicLong();

  private final String label;
  private final String what;
  private final long generation = GENERATIONS.incrementAndGet();
  private final byte @Nullable [] contents;
  private final @Nullable String fileName;
  private final @Nullable Path path;
  private final AtomicReference<@Nullable LoadedVersion> preloaded = new AtomicReference<>();

  private RegisteredVersion(String label, String what, byte @Nullable [] contents, @Nullable String fileName, @Nullable Path path) {
    this.label = label;
    this.what = what;
    this.contents = contents;
    this.fileName = fileName;
    this.path = path;
  }

  /**
   * A file's bytes.
   *
   * @param label the version label
   * @param what the source, for messages and status, e.g. {@code classpath resource 'models/fraud.onnx'}
   * @param contents the bytes, not empty; not copied
   * @param fileName the file's name
   * @return the registration
   */
  static RegisteredVersion ofBytes(String label, String what, byte[] contents, String fileName) {
    return new RegisteredVersion(label, what, contents, fileName, null);
  }

  /**
   * A file or directory on disk, which must stay there while the version is registered.
   *
   * @param label the version label
   * @param path the artifact
   * @return the registration
   */
  static RegisteredVersion ofPath(String label, Path path) {
    return new RegisteredVersion(label, "path " + path, null, null, path);
  }

  /** @return the version label */
  String label() {
    return label;
  }

  /** @return the source, for messages */
  String what() {
    return what;
  }

  /** @return this registration's fingerprint */
  long generation() {
    return generation;
  }

  /**
   * Loads the source, checks and warms it up.
   *
   * @param loader the registry's loader
   * @param name the model name
   * @return the version, owned by the caller
   */
  LoadedVersion loadNew(VersionLoader loader, String name) {
    byte[] bytes = contents;
    String file = fileName;
    Path p = path;
    return bytes != null && file != null ? loader.loadBytes(name, label, bytes, file) : loader.loadPath(name, label, java.util.Objects.requireNonNull(p));
  }

  /**
   * The model the registration loaded, if no one took it yet, else a new load.
   *
   * @param loader the registry's loader
   * @param name the model name
   * @return the version, owned by the caller
   */
  LoadedVersion load(VersionLoader loader, String name) {
    LoadedVersion p = preloaded.getAndSet(null);
    return p != null ? p : loadNew(loader, name);
  }

  /** @param loaded the model the registration loaded, for the first {@link #load} to take */
  void preload(LoadedVersion loaded) {
    preloaded.set(loaded);
  }

  /** Closes the model the registration loaded if no one took it (the policy did not select the version). */
  void closeUnused() {
    LoadedVersion p = preloaded.getAndSet(null);
    if (p != null) {
      p.close();
    }
  }

  @Override
  public String toString() {
    return "version " + label + " from " + what;
  }
}
