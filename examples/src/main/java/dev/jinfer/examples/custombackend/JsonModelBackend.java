package dev.jinfer.examples.custombackend;

import dev.jinfer.LoadOptions;
import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;

/**
 * A pure-Java backend for small models described in JSON ({@code *.jmodel.json}): a list of inputs and
 * outputs (name, dtype, shape) and of ops ({@code dense}, {@code relu}, {@code softmax}, {@code identity},
 * {@code add}, {@code rowdot}, {@code argmax}) with weights inline or in {@code .npy} files beside the
 * JSON. It exists to show how a third party plugs an engine into jinfer: this class is listed in
 * {@code META-INF/services/dev.jinfer.spi.Backend}, and {@code Model.load(path)} picks it for any
 * {@code .jmodel.json} file. Thread-safe and stateless.
 *
 * <pre>{@code
 * {
 *   "format": "jmodel/1",
 *   "inputs":  [{"name": "x", "dtype": "FLOAT32", "shape": [-1, 2]}],
 *   "outputs": [{"name": "p", "dtype": "FLOAT32", "shape": [-1, 2]}],
 *   "ops": [
 *     {"op": "dense", "inputs": ["x"], "output": "h", "weight": [[1, 0], [0, 1]], "bias": [0, 0]},
 *     {"op": "softmax", "inputs": ["h"], "output": "p"}
 *   ]
 * }
 * }</pre>
 */
public final class JsonModelBackend implements Backend {
  /** The backend's name, for {@code LoadOptions.backend(..)}. */
  public static final String NAME = "json-mlp";

  /** The file-name suffix this backend accepts. */
  public static final String SUFFIX = ".jmodel.json";

  /** Creates the backend; does no work (ServiceLoader calls this). */
  public JsonModelBackend() {}

  @Override
  public String name() {
    return NAME;
  }

  /** @return always true: the engine is plain Java */
  @Override
  public boolean isAvailable() {
    return true;
  }

  /** @return true for a regular file whose name ends in {@code .jmodel.json} (never for {@code .onnx}) */
  @Override
  public boolean accepts(ModelSource source) {
    return source.fileName().endsWith(SUFFIX) && source.isFile();
  }

  /**
   * Reads and checks the model. Options (device, threads) are ignored: it runs on the caller's thread.
   *
   * @throws java.io.IOException if the file or a weight file cannot be read
   * @throws IllegalArgumentException if the JSON is malformed or does not describe a valid model; core
   *     reports both as a {@link dev.jinfer.ModelLoadException} naming the file
   */
  @Override
  public BackendSession load(ModelSource source, LoadOptions options) throws Exception {
    return JsonModelFile.read(source.path());
  }
}
