package dev.jinfer;

import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
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
    sorted.sort(Comparator.comparingInt(Backend::priority).reversed().thenComparing(Backend::name));
    this.backends = List.copyOf(sorted);
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
    BackendSession session;
    try {
      session = backend.load(source, options);
    } catch (InferenceException e) {
      throw e;
    } catch (Exception | LinkageError e) {
      throw new ModelLoadException("model " + path + ": backend '" + backend.name() + "' could not load it: " + e.getMessage(), e);
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
    throw new BackendUnavailableException("model " + source.path() + ": no backend accepts it; present: " + describe());
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
