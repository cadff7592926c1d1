package dev.jinfer;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
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

  /**
   * Loads a model from a file's bytes (downloaded, decrypted or embedded), picking the backend through
   * {@link Backends#discover()}. ONNX Runtime loads the bytes as they are; a backend that needs a file gets a
   * temporary copy, deleted once it has loaded: see {@link Backends#load(byte[], String, LoadOptions)}.
   *
   * @param contents the model file's bytes; not copied, so not to be modified while this runs
   * @param fileName the file's name, e.g. {@code fraud.onnx}: its extension picks the backend
   * @param options load options
   * @return the model, owned by the caller
   * @throws ModelLoadException if the bytes are empty, the name is blank or the engine rejects the model
   * @throws BackendUnavailableException if no backend accepts it or the forced one is absent
   */
  static Model load(byte[] contents, String fileName, LoadOptions options) {
    return Backends.discover().load(contents, fileName, options);
  }

  /**
   * Loads a model from a stream, read to its end and not closed; see {@link #load(byte[], String, LoadOptions)}.
   *
   * @param in the model file's bytes
   * @param fileName the file's name, e.g. {@code fraud.onnx}: its extension picks the backend
   * @param options load options
   * @return the model, owned by the caller
   * @throws ModelLoadException if the stream cannot be read, is empty, or the engine rejects the model
   * @throws BackendUnavailableException if no backend accepts it or the forced one is absent
   */
  static Model load(InputStream in, String fileName, LoadOptions options) {
    return Backends.discover().load(in, fileName, options);
  }

  /**
   * Loads a model packaged as a classpath resource (in the application's jar), e.g.
   * {@code Model.loadResource("models/fraud.onnx", LoadOptions.defaults())}; see
   * {@link #load(byte[], String, LoadOptions)}.
   *
   * @param resource the resource's name (a leading {@code /} is ignored), read through the thread's context
   *     class loader
   * @param options load options
   * @return the model, owned by the caller
   * @throws ModelLoadException if there is no such resource, it cannot be read, or the engine rejects it
   * @throws BackendUnavailableException if no backend accepts it or the forced one is absent
   */
  static Model loadResource(String resource, LoadOptions options) {
    return Backends.discover().loadResource(resource, options);
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
   * @throws IllegalStateException if the model is closed
   */
  Predictor predictor();

  /** @return whether {@link #close()} has been called */
  boolean isClosed();

  /**
   * Stops new calls, waits for calls in flight, and releases the engine session. Idempotent. Blocks as long
   * as a call runs; a shutdown that must end in time uses {@link #close(Duration)}.
   */
  @Override
  void close();

  /**
   * Stops new calls and waits for calls in flight up to a bound. If they all finish, the engine session is
   * released before this returns; if not, this logs how many still run and returns false, and the last of
   * them releases the session when it ends (never under a running call). Idempotent; an interrupt ends the
   * wait early (returning false, with the interrupt status kept).
   *
   * @param timeout the longest wait; {@link Duration#ZERO} only stops new calls
   * @return true if the model is fully closed, false if calls were still running at the bound
   * @throws IllegalArgumentException if the timeout is null or negative
   */
  boolean close(Duration timeout);
}
