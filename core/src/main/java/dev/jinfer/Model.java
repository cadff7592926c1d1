package dev.jinfer;

import java.nio.file.Path;
import java.util.Map;

/**
 * A model loaded into an engine: an id, a signature, the backend and device it runs on, and the
 * predictors that serve it.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("fraud.onnx"))) {
 *   Predictor p = model.predictor();
 *   NamedTensors out = p.predict(NamedTensors.of("features", Tensor.ofFloats(row, 1, 32)));
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} stops new calls, waits for the calls in flight to finish, then
 * releases the native session; closing twice is harmless.
 */
public interface Model extends AutoCloseable {
  /**
   * Loads a model with the default options, picking the backend through {@link Backends#discover()}.
   *
   * @param path a model file or directory
   * @return the model, owned by the caller
   * @throws ModelLoadException if the path is missing or the engine rejects the artifact
   * @throws BackendUnavailableException if no backend on the classpath accepts it
   */
  static Model load(Path path) {
    return Backends.discover().load(path, LoadOptions.defaults());
  }

  /**
   * Loads a model with options, picking the backend through {@link Backends#discover()}.
   *
   * @param path a model file or directory
   * @param options device, threads, warmup, backend and metrics options
   * @return the model, owned by the caller
   * @throws ModelLoadException if the path is missing, the engine rejects the artifact or warmup fails
   * @throws BackendUnavailableException if no backend accepts it or the forced one is absent
   */
  static Model load(Path path, LoadOptions options) {
    return Backends.discover().load(path, options);
  }

  /** @return the model's name and version */
  ModelId id();

  /** @return the inputs the model accepts and the outputs it returns */
  ModelSignature signature();

  /** @return the name of the backend that loaded it, e.g. {@code onnx} */
  String backend();

  /** @return where it runs */
  Device device();

  /** @return metadata the engine exposes (producer, description, custom keys); unmodifiable */
  Map<String, String> metadata();

  /** @return the options it was loaded with */
  LoadOptions options();

  /**
   * A thread-safe predictor for this model. Each call returns a new lightweight handle; closing a
   * handle affects only that handle, and every handle stops working when the model closes.
   *
   * @return a predictor
   * @throws ModelClosedException if the model is closed
   */
  Predictor predictor();

  /** @return whether {@link #close()} has been called */
  boolean isClosed();

  /**
   * Stops new calls, waits for calls in flight, and releases the engine session. Idempotent.
   */
  @Override
  void close();
}
