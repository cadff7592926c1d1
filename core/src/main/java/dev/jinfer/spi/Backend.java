package dev.jinfer.spi;

import dev.jinfer.LoadOptions;

/**
 * An inference engine plugged into jinfer. Implementations are found with {@link java.util.ServiceLoader}:
 * a backend jar lists its class in {@code META-INF/services/dev.jinfer.spi.Backend}, and needs a public
 * no-argument constructor that does no native work (the engine is built on first use).
 *
 * <p>Implementations must be thread-safe.
 */
public interface Backend {
  /**
   * A short, unique, lower-case name, used to force this backend ({@code LoadOptions.backend("onnx")}).
   *
   * @return the name
   */
  String name();

  /**
   * Rank among the backends that accept a model; the highest wins. Built-in backends use 100.
   *
   * @return the priority
   */
  default int priority() {
    return 100;
  }

  /**
   * Whether the engine's classes and native libraries can be used here. Cheap; must not throw.
   *
   * @return true if {@link #load} can work
   */
  boolean isAvailable();

  /**
   * Whether this backend recognises the artifact (by extension, layout or magic bytes). Cheap: must not
   * load the model. Must not throw.
   *
   * @param source the artifact
   * @return true if it looks like this backend's format
   */
  boolean accepts(ModelSource source);

  /**
   * Loads the model into the engine.
   *
   * @param source the artifact
   * @param options device, threads and engine properties
   * @return the loaded session, owned by the caller
   * @throws Exception if the engine rejects the model; core reports it as a
   *     {@link dev.jinfer.ModelLoadException}, or passes an {@link dev.jinfer.InferenceException} through as is
   */
  BackendSession load(ModelSource source, LoadOptions options) throws Exception;

  /**
   * Whether {@link #load} takes a source held in memory ({@link ModelSource#inMemory()}: bytes, a stream or
   * a classpath resource) without a file. When false (the default), core writes such a source to a temporary
   * file, loads that, and deletes it once {@code load} returns, so a backend that returns false must have
   * read everything it needs from the file by then.
   *
   * @return true if the engine loads from bytes (ONNX Runtime does)
   */
  default boolean loadsFromMemory() {
    return false;
  }
}
