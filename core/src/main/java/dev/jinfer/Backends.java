package dev.jinfer;

import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backends jinfer can load models with, and the loader that picks one. {@link #discover()} finds
 * them with {@link ServiceLoader}; {@link #of} takes an explicit list (for tests, or to pin a backend).
 *
 * <p>Immutable and thread-safe. Holds no native resources: each backend builds its engine on first use.
 */
public final class Backends {
  private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

  private final List<Backend> backends;

  private Backends(List<Backend> backends) {
    List<Backend> sorted = new ArrayList<>(backends);
    sorted.sort(Backends::byPriorityThenName);
    this.backends = List.copyOf(sorted);
  }

  /**
   * Highest priority first, then by name. A method of this class rather than {@code Comparator.comparingInt(..)
   * .reversed().thenComparing(..)}: those lambdas are defined inside {@code java.util.Comparator}, which a JDK 17
   * dynamic CDS archive cannot hold, so every process spun three classes at run time (issue 20, start-up).
   */
  private static int byPriorityThenName(Backend a, Backend b) {
    int byPriority = Integer.compare(b.priority(), a.priority());
    return byPriority != 0 ? byPriority : a.name().compareTo(b.name());
  }

  /**
   * The backends listed in {@code META-INF/services/dev.jinfer.spi.Backend} on the thread's context
   * class loader (or this class's loader when there is none).
   *
   * @return a new instance
   */
  public static Backends discover() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    if (cl == null) {
      cl = Backends.class.getClassLoader();
    }
    List<Backend> found = new ArrayList<>();
    ServiceLoader.load(Backend.class, cl).forEach(found::add);
    return new Backends(found);
  }

  /**
   * An explicit set of backends.
   *
   * @param backends the backends
   * @return a new instance
   */
  public static Backends of(Backend... backends) {
    return new Backends(List.of(backends));
  }

  /**
   * All backends, highest priority first.
   *
   * @return an unmodifiable list
   */
  public List<Backend> all() {
    return backends;
  }

  /**
   * A backend by name (case-insensitive).
   *
   * @param name the backend's name
   * @return the backend, or empty
   */
  public Optional<Backend> find(String name) {
    return backends.stream().filter(b -> b.name().equalsIgnoreCase(name)).findFirst();
  }

  /**
   * Loads a model with the default options.
   *
   * @param path a model file or directory
   * @return the loaded model, owned by the caller
   * @throws ModelLoadException if the path is missing or the engine rejects the artifact
   * @throws BackendUnavailableException if no available backend accepts it
   */
  public Model load(Path path) {
    return load(path, LoadOptions.defaults());
  }

  /**
   * Loads a model: picks the backend forced in the options, or the highest-priority available one that
   * accepts the artifact, loads it, and runs the requested warmup calls.
   *
   * @param path a model file or directory
   * @param options load options
   * @return the loaded model, owned by the caller
   * @throws ModelLoadException if the path is missing, the engine rejects the artifact or warmup fails
   * @throws BackendUnavailableException if no available backend accepts it, or the forced one is absent
   */
  public Model load(Path path, LoadOptions options) {
    if (path == null) {
      throw new ModelLoadException("model path: expected a path but got null");
    }
    if (options == null) {
      throw new ModelLoadException("load options: expected LoadOptions but got null");
    }
    if (!Files.exists(path)) {
      throw new ModelLoadException("model path " + path + ": expected an existing file or directory but nothing is there");
    }
    if (!Files.isReadable(path)) {
      throw new ModelLoadException("model path " + path + ": expected a readable file or directory but it is not readable");
    }
    ModelSource source = new ModelSource(path, new ModelId(
        options.modelName().orElseGet(() -> defaultName(path)), options.modelVersion().orElse("1")));
    Backend backend = select(source, options);
    LOG.debug("loading {} from {} with backend {}", source.id(), path, backend.name());
    return open(backend, source, path.toString(), options);
  }

  /**
   * Loads a model from a file's bytes, for a service that holds its model in memory (downloaded, decrypted,
   * embedded). A backend that loads from memory (ONNX Runtime) gets the bytes as they are; any other gets a
   * temporary copy in {@code java.io.tmpdir}, deleted as soon as it has loaded (so a file the engine looks for
   * beside the model, such as a TorchScript signature sidecar, is not there: pass it as a property).
   *
   * @param contents the model file's bytes; not copied, so not to be modified while this runs
   * @param fileName the file's name, e.g. {@code fraud.onnx}: its extension picks the backend, and without
   *     {@link LoadOptions.Builder#modelName} it names the model
   * @param options load options
   * @return the loaded model, owned by the caller
   * @throws ModelLoadException if the bytes are empty, the name is blank or the engine rejects the model
   * @throws BackendUnavailableException if no available backend accepts it, or the forced one is absent
   */
  public Model load(byte[] contents, String fileName, LoadOptions options) {
    if (contents == null) {
      throw new ModelLoadException("model bytes: expected a byte array but got null");
    }
    String name = fileName(fileName);
    if (contents.length == 0) {
      throw new ModelLoadException("model " + name + ": expected the bytes of a model file but got 0 bytes");
    }
    if (options == null) {
      throw new ModelLoadException("load options: expected LoadOptions but got null");
    }
    ModelSource memory = new ModelSource(Path.of(name), new ModelId(
        options.modelName().orElseGet(() -> defaultName(Path.of(name))), options.modelVersion().orElse("1")), contents);
    Backend backend = select(memory, options);
    String what = name + " (" + contents.length + " bytes in memory)";
    if (backend.loadsFromMemory()) {
      LOG.debug("loading {} from {} with backend {}", memory.id(), what, backend.name());
      return open(backend, memory, what, options);
    }
    Path dir;
    try {
      dir = Files.createTempDirectory("jinfer-model-");
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException("model " + what + ": backend '" + backend.name() + "' loads only from a file, and no"
          + " temporary directory could be created in " + System.getProperty("java.io.tmpdir") + ": " + e, e);
    }
    Path copy = dir.resolve(name);
    try {
      Files.write(copy, contents);
      LOG.debug("loading {} from {} with backend {} through the temporary copy {}", memory.id(), what, backend.name(), copy);
      return open(backend, new ModelSource(copy, memory.id()), what, options);
    } catch (IOException e) {
      throw new ModelLoadException("model " + what + ": backend '" + backend.name() + "' loads only from a file, and"
          + " writing the temporary copy " + copy + " failed: " + e, e);
    } finally {
      deleteQuietly(copy);
      deleteQuietly(dir);
    }
  }

  /**
   * Loads a model from a stream, read to its end (and not closed: the caller owns it); see
   * {@link #load(byte[], String, LoadOptions)}. A model is read whole into memory, so it must be under 2 GB,
   * which is also ONNX's own limit for a model without external data.
   *
   * @param in the model file's bytes
   * @param fileName the file's name, e.g. {@code fraud.onnx}
   * @param options load options
   * @return the loaded model, owned by the caller
   * @throws ModelLoadException if the stream cannot be read, is empty, or the engine rejects the model
   * @throws BackendUnavailableException if no available backend accepts it, or the forced one is absent
   */
  public Model load(InputStream in, String fileName, LoadOptions options) {
    if (in == null) {
      throw new ModelLoadException("model stream: expected an InputStream but got null");
    }
    String name = fileName(fileName);
    byte[] contents;
    try {
      contents = in.readAllBytes();
    } catch (IOException | OutOfMemoryError e) {
      throw new ModelLoadException("model " + name + ": the stream could not be read: " + e, e);
    }
    return load(contents, name, options);
  }

  /**
   * Loads a model packaged as a classpath resource (in the application's jar), through the thread's context
   * class loader, or this class's when there is none; see {@link #load(byte[], String, LoadOptions)}.
   *
   * @param resource the resource's name, e.g. {@code models/fraud.onnx} (a leading {@code /} is ignored)
   * @param options load options
   * @return the loaded model, owned by the caller
   * @throws ModelLoadException if there is no such resource, it cannot be read, or the engine rejects it
   * @throws BackendUnavailableException if no available backend accepts it, or the forced one is absent
   */
  public Model loadResource(String resource, LoadOptions options) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return loadResource(loader != null ? loader : Backends.class.getClassLoader(), resource, options);
  }

  /**
   * Loads a model packaged as a classpath resource of a given class loader.
   *
   * @param loader the class loader that sees the resource
   * @param resource the resource's name, e.g. {@code models/fraud.onnx} (a leading {@code /} is ignored)
   * @param options load options
   * @return the loaded model, owned by the caller
   * @throws ModelLoadException if there is no such resource, it cannot be read, or the engine rejects it
   * @throws BackendUnavailableException if no available backend accepts it, or the forced one is absent
   */
  public Model loadResource(ClassLoader loader, String resource, LoadOptions options) {
    if (resource == null || resource.isBlank()) {
      throw new ModelLoadException("model resource: expected a classpath resource name but got "
          + (resource == null ? "null" : "'" + resource + "'"));
    }
    String name = resource.startsWith("/") ? resource.substring(1) : resource;
    try (InputStream in = loader.getResourceAsStream(name)) {
      if (in == null) {
        throw new ModelLoadException("model resource '" + name + "': expected a classpath resource but the class loader "
            + loader.getName() + " finds nothing there");
      }
      return load(in, name.substring(name.lastIndexOf('/') + 1), options);
    } catch (IOException e) {
      throw new ModelLoadException("model resource '" + name + "': could not be read: " + e, e);
    }
  }

  private static String fileName(String fileName) {
    if (fileName == null || fileName.isBlank()) {
      throw new ModelLoadException("model file name: expected a name such as fraud.onnx (its extension picks the"
          + " backend) but got " + (fileName == null ? "null" : "'" + fileName + "'"));
    }
    String name = fileName.substring(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new ModelLoadException("model file name: expected a file name such as fraud.onnx but got '" + fileName + "'");
    }
    return name;
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("could not delete the temporary model copy {}: {}", p, e.toString());
    }
  }

  private Model open(Backend backend, ModelSource source, String what, LoadOptions options) {
    BackendSession session;
    try {
      session = backend.load(source, options);
    } catch (InferenceException e) {
      throw e;
    } catch (Exception | LinkageError e) {
      throw new ModelLoadException("model " + what + ": backend '" + backend.name() + "' could not load it: " + e.getMessage(), e);
    }
    return DefaultModel.open(source.id(), backend.name(), session, options);
  }

  private Backend select(ModelSource source, LoadOptions options) {
    Optional<String> forced = options.backend();
    if (forced.isPresent()) {
      Backend b = find(forced.get()).orElseThrow(() -> new BackendUnavailableException(
          "backend '" + forced.get() + "': not on the classpath; present: " + describe()));
      if (!b.isAvailable()) {
        throw new BackendUnavailableException("backend '" + b.name() + "': on the classpath but its engine cannot be used here");
      }
      return b;
    }
    for (Backend b : backends) {
      if (b.accepts(source) && b.isAvailable()) {
        return b;
      }
    }
    throw new BackendUnavailableException("model " + (source.inMemory() ? source.path() + " (in memory)" : source.path())
        + ": no backend accepts it; present: " + describe());
  }

  private String describe() {
    if (backends.isEmpty()) {
      return "none (add a jinfer-backend-* dependency)";
    }
    return backends.stream()
        .map(b -> b.name() + (b.isAvailable() ? "" : " (unavailable)"))
        .collect(Collectors.joining(", ", "[", "]"));
  }

  private static String defaultName(Path path) {
    Path file = path.toAbsolutePath().normalize().getFileName();
    String name = file == null ? "model" : file.toString();
    int dot = name.lastIndexOf('.');
    if (dot > 0) {
      name = name.substring(0, dot);
    }
    return name.isBlank() ? "model" : name;
  }

  @Override
  public String toString() {
    return "Backends" + describe();
  }
}
