package dev.jinfer.registry;

import dev.jinfer.Backends;
import dev.jinfer.LoadOptions;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelId;
import dev.jinfer.ModelLoadException;
import dev.jinfer.ModelNotFoundException;
import dev.jinfer.Predictor;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names to versions to models: serves a model repository laid out {@code <root>/<name>/<version>/<artifact>}
 * (the layout of TF Serving and Triton: {@code fraud/00000123/model.onnx}, or a SavedModel directory),
 * with a {@link VersionPolicy} per model, aliases, an optional canary split, and atomic version swaps.
 *
 * <pre>{@code
 * try (ModelRegistry registry = ModelRegistry.newBuilder(Path.of("/models"))
 *     .versionPolicy("fraud", VersionPolicy.latest(2))
 *     .pollInterval(Duration.ofSeconds(30))
 *     .integrity(IntegrityMode.REQUIRED)
 *     .build()) {
 *   registry.start();
 *   Predictor fraud = registry.predictor("fraud");          // always the current version
 *   NamedTensors out = fraud.predict(NamedTensors.of("features", Tensor.ofFloats(row, 1, 32)));
 * }
 * }</pre>
 *
 * <p><b>Loading.</b> {@link #start()} and every {@link #reload()} or poll scan the root: each model
 * directory, its numeric version directories, and the versions the policy (plus the aliases) wants. A
 * new version is found, checked ({@link IntegrityMode}), loaded, and warmed up on synthetic inputs
 * before it takes any traffic. A version that fails stays out, is logged and reported in
 * {@link #status()}, and is retried only when its files change or on {@link #reload()}; the versions
 * serving keep serving. Write a new version atomically (copy it elsewhere on the same file system, then
 * rename it into place), or give it a {@code .sha256} file: a half-copied version fails and is retried.
 * Version directories are immutable: a loaded version is not reloaded when its files change.
 *
 * <p><b>Routing.</b> {@link #predictor(String)} returns a stable handle: every call goes to the model's
 * current version. Without a canary share that is the version aliased {@code stable} if there is one,
 * else the highest version the policy loaded. With a canary share of p percent, p percent of calls
 * (drawn at random per call) go to the version aliased {@code canary}, else the highest loaded, and the
 * rest to the version aliased {@code stable}, else the next highest. {@link #predictor(String, String)}
 * pins a version number or an alias.
 *
 * <p><b>Swaps.</b> The route of a model is an immutable object replaced in one volatile write, after
 * the new version is warm. A call leases the version it is routed to for its whole duration; a version
 * that leaves the route is retired, takes no new call, and is closed by whichever comes last: its
 * retirement or the end of its last call. No call fails because of a swap, and no engine session is
 * closed under a running call.
 *
 * <p><b>Paths.</b> Names, versions and aliases are plain path segments (no {@code /}, no {@code ..});
 * every directory and artifact (and every link under a directory artifact) must resolve, links
 * followed, inside the root's real path, or the version fails to load.
 *
 * <p>Thread-safe: handles may be used from any number of threads; loads and swaps are serialized. The
 * registry owns its models: {@link #close()} stops the watch thread, retires every version, and returns
 * once every model is closed.
 */
public final class ModelRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
  /** The name of the thread the registry starts to watch the repository when no executor is given. */
  public static final String WATCH_THREAD_NAME = "jinfer-registry-watch";

  private final RegistryConfig config;
  private final VersionLoader loader;
  private final RegistryMeters meters;
  private final ReentrantLock lock = new ReentrantLock();
  private final ConcurrentHashMap<String, ModelSlot> slots = new ConcurrentHashMap<>();
  private volatile boolean started;
  private volatile boolean closed;
  /** Completes when every version retired by {@link #close} is closed; set under the lock by the first close. */
  private volatile @Nullable CompletableFuture<Void> allVersionsClosed;
  private @Nullable ScheduledExecutorService ownExecutor;
  private volatile @Nullable ScheduledFuture<?> watch;

  private ModelRegistry(RegistryConfig config) {
    this.config = config;
    this.loader = new VersionLoader(config);
    this.meters = new RegistryMeters(config.meters(), this::isReady);
  }

  /**
   * A builder for a registry over a repository root.
   *
   * @param root an existing directory holding {@code <name>/<version>/<artifact>}
   * @return a new builder
   * @throws IllegalArgumentException if the root is not an existing directory
   */
  public static Builder newBuilder(Path root) {
    return new Builder(new DirectoryRepository(RepositoryLayout.open(root)));
  }

  /**
   * A builder for a registry over a repository packaged as classpath resources (in the application's jar),
   * laid out like a directory repository: {@code <location>/<name>/<version>/<artifact>}, e.g.
   * {@code models/fraud/1/model.onnx}. Read through the thread's context class loader (or this class's when
   * there is none); see {@link #newClasspathBuilder(ClassLoader, String)}.
   *
   * @param location the resource directory, e.g. {@code models/} ({@code classpath:} and a leading {@code /}
   *     are ignored)
   * @return a new builder
   * @throws IllegalArgumentException if the location is blank or the class root, or no class path entry holds
   *     it, or it cannot be listed
   */
  public static Builder newClasspathBuilder(String location) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return newClasspathBuilder(loader != null ? loader : ModelRegistry.class.getClassLoader(), location);
  }

  /**
   * A builder for a registry over a repository packaged as classpath resources of a class loader. The
   * resource directory is listed once, here, in every directory and jar of the class path that holds it
   * (jars must have directory entries, as Maven's and Spring Boot's do). A class path does not change, so
   * the repository is immutable: a {@link Builder#pollInterval poll interval} starts no watch thread, and
   * {@link #reload()} only retries versions that failed. A version whose artifact is one file that its
   * backend loads from memory (ONNX Runtime) is loaded from the resource's bytes, with no file written; any
   * other (a SavedModel directory, TorchScript) is copied with the files beside it into a temporary
   * directory under {@code java.io.tmpdir}, loaded from there, and the copy is deleted when the version is
   * closed (retired, replaced, or the registry closed). {@code .sha256} files are checked as
   * {@link Builder#integrity} says.
   *
   * @param loader the class loader that sees the resources
   * @param location the resource directory, e.g. {@code models/}
   * @return a new builder
   * @throws IllegalArgumentException if the loader is null, the location is blank or the class root, or no
   *     class path entry holds it, or it cannot be listed
   */
  public static Builder newClasspathBuilder(ClassLoader loader, String location) {
    return new Builder(ClasspathRepository.open(loader, location));
  }

  /**
   * A builder for a registry without a repository, serving only the versions given to
   * {@link #register(String, String, byte[], String) register} and its overloads (a service that downloads,
   * decrypts or embeds its models). Such a registry is ready once started if no model is named required.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder(Repository.NONE);
  }

  /**
   * Loads every model the repository holds (and every required one) and, when a poll interval is set,
   * starts watching the repository. Load failures do not throw: they are logged and reported in the
   * returned status; check {@link RegistryStatus#isReady()} to fail fast.
   *
   * @return the status after the initial load
   * @throws IllegalStateException if already started
   * @throws ModelClosedException if closed
   */
  public RegistryStatus start() {
    lock.lock();
    try {
      checkOpen();
      if (started) {
        throw new IllegalStateException("model registry over " + config.repository().describe() + " is already started");
      }
      reloadAll(false);
      started = true;
      Duration interval = config.pollInterval();
      if (interval != null && !config.repository().mutable()) {
        LOG.info("model registry over {}: the repository cannot change, so it is not polled", config.repository().describe());
      } else if (interval != null) {
        ScheduledExecutorService executor = config.watchExecutor();
        if (executor == null) {
          executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, WATCH_THREAD_NAME);
            t.setDaemon(true);
            return t;
          });
          ownExecutor = executor;
        }
        long nanos = interval.toNanos();
        watch = executor.scheduleWithFixedDelay(this::poll, nanos, nanos, TimeUnit.NANOSECONDS);
      }
    } finally {
      lock.unlock();
    }
    return status();
  }

  /**
   * Scans the repository now, as a poll does, and also retries versions that failed even if their files
   * have not changed. Returns once every load it started has finished and the routes are swapped.
   *
   * @return the status after the reload
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public RegistryStatus reload() {
    lock.lock();
    try {
      checkRunning();
      reloadAll(true);
    } finally {
      lock.unlock();
    }
    return status();
  }

  private void poll() {
    if (closed) {
      return;
    }
    lock.lock();
    try {
      if (!closed) {
        reloadAll(false);
      }
    } catch (RuntimeException | Error e) {
      LOG.error("model registry over {}: a poll failed; the next one retries", config.repository().describe(), e);
    } finally {
      lock.unlock();
    }
  }

  private void reloadAll(boolean retryFailed) {
    Set<String> names = new TreeSet<>(config.required());
    names.addAll(slots.keySet());
    try {
      names.addAll(config.repository().modelNames());
    } catch (IOException e) {
      LOG.warn("model registry: cannot list the repository {}: {}", config.repository().describe(), e.toString());
    }
    for (String name : names) {
      try {
        slots.computeIfAbsent(name, n -> new ModelSlot(n, config, loader, meters)).reload(retryFailed);
      } catch (RuntimeException e) {
        LOG.error("model registry: reloading model '{}' failed; its current versions keep serving", name, e);
      }
    }
  }

  /**
   * A stable handle on a model: each call goes to the model's current version (or splits between
   * primary and canary, see the class documentation), and a version swap never fails a call.
   *
   * @param name the model name
   * @return a handle, owned by the caller (closing it releases nothing else)
   * @throws IllegalArgumentException if the name is not a plain name
   * @throws ModelNotFoundException if the registry knows no such model
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public Predictor predictor(String name) {
    return new RegistryPredictor(slot(name), -1, null, () -> closed, config.canarySampler());
  }

  /**
   * A handle on one version (digits, compared numerically) or one alias (starts with a letter) of a model.
   * The handle follows the alias when it is moved; calls fail with {@link ModelNotFoundException} while
   * the version is not loaded.
   *
   * @param name the model name
   * @param versionOrAlias a version number such as {@code 3} or {@code 00000003}, or an alias such as {@code stable}
   * @return a handle, owned by the caller
   * @throws IllegalArgumentException if the name, version or alias is malformed
   * @throws ModelNotFoundException if the model is unknown, or the version or alias does not resolve now
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public Predictor predictor(String name, String versionOrAlias) {
    ModelSlot slot = slot(name);
    RegistryPredictor p;
    if (RepositoryLayout.isVersion(versionOrAlias)) {
      p = new RegistryPredictor(slot, Long.parseLong(versionOrAlias), null, () -> closed, config.canarySampler());
    } else {
      p = new RegistryPredictor(slot, -1, RepositoryLayout.checkAlias("alias", versionOrAlias), () -> closed, config.canarySampler());
    }
    p.modelId(); // fail fast when it resolves to nothing now
    return p;
  }

  /**
   * Samples the route of one unversioned call: the version that a call of {@link #predictor(String)} made now
   * would go to, drawn the same way (the canary version for its share of draws, else the primary). A handle's
   * {@link Predictor#modelId()} names the primary only, so a caller that keeps its own chain per version (a
   * {@code ServingChain} pinned to a version, as the REST service and the Spring starter do) calls this once per
   * request to give the canary its share. Without a canary split it always returns the primary.
   *
   * @param name the model name
   * @return the version this call should go to
   * @throws IllegalArgumentException if the name is not a plain name
   * @throws ModelNotFoundException if the registry knows no such model, or the model has no version ready
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public ModelId sampleRoute(String name) {
    return new RegistryPredictor(slot(name), -1, null, () -> closed, config.canarySampler()).sampleRoute();
  }

  /**
   * The stable handle on a model, if the registry knows it.
   *
   * @param name the model name
   * @return the handle of {@link #predictor(String)}, or empty if the name is unknown or malformed
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public Optional<Predictor> find(String name) {
    checkRunning();
    if (!RepositoryLayout.isName(name) || !slots.containsKey(name)) {
      return Optional.empty();
    }
    return Optional.of(predictor(name));
  }

  /**
   * Points an alias at a version, loading the version first if needed. If it cannot be loaded, the
   * alias keeps its previous target and the load error is thrown.
   *
   * @param name the model name
   * @param alias the alias; starts with a letter
   * @param version the version number
   * @return the model's status after the change
   * @throws IllegalArgumentException if the alias or version is malformed
   * @throws ModelNotFoundException if the model is unknown
   * @throws ModelLoadException if the version is missing or fails to load
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public ModelStatus setAlias(String name, String alias, String version) {
    RepositoryLayout.checkAlias("alias", alias);
    long number = RepositoryLayout.checkVersion("version", version);
    lock.lock();
    try {
      ModelSlot slot = slot(name);
      Long before = slot.setAlias(alias, number);
      slot.reload(false);
      if (!slot.route().aliases().containsKey(alias) || slot.route().aliases().get(alias).number() != number) {
        String why = slot.versionStatus(number).map(s -> s.state() + s.error().map(e -> ": " + e).orElse(""))
            .orElse("no such version directory");
        slot.setAlias(alias, before);
        slot.reload(false);
        throw new ModelLoadException("model '" + name + "': alias '" + alias + "' cannot point at version " + version
            + " (" + why + "); it still points at " + (before == null ? "nothing" : "version " + before));
      }
      return slot.status();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Removes an alias; a version loaded only for it is retired.
   *
   * @param name the model name
   * @param alias the alias
   * @return the model's status after the change
   * @throws ModelNotFoundException if the model is unknown
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public ModelStatus removeAlias(String name, String alias) {
    lock.lock();
    try {
      ModelSlot slot = slot(name);
      slot.setAlias(alias, null);
      slot.reload(false);
      return slot.status();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sets the share of a model's unversioned traffic that goes to its canary (see the class documentation).
   *
   * @param name the model name
   * @param percent 0 (no split) to 100
   * @return the model's status after the change
   * @throws IllegalArgumentException if the percent is outside 0..100
   * @throws ModelNotFoundException if the model is unknown
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public ModelStatus setCanaryPercent(String name, int percent) {
    RegistryConfigBuilder.checkPercent(percent);
    lock.lock();
    try {
      ModelSlot slot = slot(name);
      slot.setCanaryPercent(percent);
      slot.reload(false);
      return slot.status();
    } finally {
      lock.unlock();
    }
  }

  /**
   * A snapshot of every model, version, alias and error, with readiness and liveness. Never blocks on a
   * load in progress (it shows the version as LOADING).
   *
   * @return an immutable snapshot
   */
  public RegistryStatus status() {
    List<ModelStatus> models = new ArrayList<>();
    for (String name : new TreeSet<>(slots.keySet())) {
      models.add(slots.get(name).status());
    }
    return new RegistryStatus(models, isLive(), config.clock().instant());
  }

  /**
   * Readiness: live, and every required model (every model in the repository, when none was named
   * required) has a warm version serving.
   *
   * @return true when traffic can be sent to every required model
   */
  public boolean isReady() {
    if (!isLive()) {
      return false;
    }
    for (String required : config.required()) {
      if (!slots.containsKey(required)) {
        return false;
      }
    }
    return slots.values().stream().filter(ModelSlot::required).allMatch(s -> s.route().primary() != null);
  }

  /**
   * Liveness: started, not closed, and the watch task (when polling) still scheduled.
   *
   * @return true while the registry runs
   */
  public boolean isLive() {
    ScheduledFuture<?> w = watch;
    return started && !closed && (config.pollInterval() == null || !config.repository().mutable() || (w != null && !w.isDone()));
  }

  /**
   * The repository root, for a registry over a directory ({@link #newBuilder(Path)}).
   *
   * @return its real path
   * @throws IllegalStateException if the registry's repository is not a directory (see {@link #repository()})
   */
  public Path root() {
    Path root = config.repository().root();
    if (root == null) {
      throw new IllegalStateException("model registry over " + config.repository().describe() + " has no root directory");
    }
    return root;
  }

  /**
   * Where the registry's versions come from, besides the registered ones: the root directory's real path,
   * {@code classpath:<location>/}, or {@code no repository (registered models only)}.
   *
   * @return the repository, for logs, status pages and messages
   */
  public String repository() {
    return config.repository().describe();
  }

  /**
   * Registers a version of a model from a file's bytes (downloaded, decrypted, embedded), beside the
   * repository's versions. The version is loaded, checked and warmed up here, under the registry's lock, and
   * then routed as a repository version of that number would be (by the model's {@link VersionPolicy} and
   * aliases): registering a number higher than the one serving swaps traffic to it, and registering a number
   * again replaces that version (hot swap: calls in flight finish on the old model, which closes after its
   * last one). A registered version takes the place of the repository's version of the same number until
   * {@link #unregister}ed. If the load fails, nothing changes and the error is thrown.
   *
   * <p>The registry keeps the bytes while the version is registered, to load it again if the policy or an
   * alias wants it back after retiring it. A backend that loads from memory (ONNX Runtime) gets the bytes
   * as they are; any other gets a temporary copy, deleted once it has loaded. Integrity checks
   * ({@link Builder#integrity}) apply to repository versions, not to registered sources.
   *
   * @param name the model name, a plain name; a new name adds a model
   * @param version the version number, 1 to 18 digits
   * @param contents the model file's bytes; not copied, so not to be modified afterwards
   * @param fileName the file's name, e.g. {@code fraud.onnx}: its extension picks the backend
   * @return the model's status after the change
   * @throws IllegalArgumentException if the name or version is malformed
   * @throws ModelLoadException naming the source if the bytes are null or empty, the file name is blank, no
   *     backend accepts the file, or the engine rejects it or its warmup fails
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public ModelStatus register(String name, String version, byte[] contents, String fileName) {
    RepositoryLayout.checkName("model name", name);
    RepositoryLayout.checkVersion("version", version);
    String file = registeredFileName(name, version, fileName);
    if (contents == null || contents.length == 0) {
      throw new ModelLoadException("model '" + name + "' version " + version + " from the bytes of " + file
          + ": expected the bytes of a model file but got " + (contents == null ? "null" : "0 bytes"));
    }
    return register(name, version, RegisteredVersion.ofBytes(version, "the bytes of " + file + " (" + contents.length
        + " bytes)", contents, file));
  }

  /**
   * Registers a version of a model from a stream, read to its end here and not closed (the caller owns it);
   * see {@link #register(String, String, byte[], String)}.
   *
   * @param name the model name
   * @param version the version number
   * @param in the model file's bytes
   * @param fileName the file's name, e.g. {@code fraud.onnx}
   * @return the model's status after the change
   * @throws IllegalArgumentException if the name or version is malformed
   * @throws ModelLoadException naming the source if the stream is null, cannot be read or is empty, or the
   *     model cannot be loaded
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public ModelStatus register(String name, String version, InputStream in, String fileName) {
    RepositoryLayout.checkName("model name", name);
    RepositoryLayout.checkVersion("version", version);
    String file = registeredFileName(name, version, fileName);
    String what = "a stream of " + file;
    if (in == null) {
      throw new ModelLoadException("model '" + name + "' version " + version + " from " + what + ": expected an InputStream but got null");
    }
    byte[] contents;
    try {
      contents = in.readAllBytes();
    } catch (IOException | OutOfMemoryError e) {
      throw new ModelLoadException("model '" + name + "' version " + version + " from " + what + ": the stream could not be read: " + e, e);
    }
    if (contents.length == 0) {
      throw new ModelLoadException("model '" + name + "' version " + version + " from " + what
          + ": expected the bytes of a model file but the stream is empty");
    }
    return register(name, version, RegisteredVersion.ofBytes(version, what + " (" + contents.length + " bytes)", contents, file));
  }

  /**
   * Registers a version of a model packaged as one classpath resource, read through the thread's context
   * class loader (or this class's when there is none); see {@link #register(String, String, byte[], String)}.
   * The resource's file name picks the backend.
   *
   * @param name the model name
   * @param version the version number
   * @param resource the resource's name, e.g. {@code models/fraud.onnx} ({@code classpath:} and a leading
   *     {@code /} are ignored)
   * @return the model's status after the change
   * @throws IllegalArgumentException if the name or version is malformed
   * @throws ModelLoadException naming the resource if it is blank, missing, unreadable or empty, or the model
   *     cannot be loaded
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public ModelStatus registerResource(String name, String version, String resource) {
    RepositoryLayout.checkName("model name", name);
    RepositoryLayout.checkVersion("version", version);
    String res = resource == null ? "" : resource.strip();
    if (res.regionMatches(true, 0, ClasspathRepository.SCHEME, 0, ClasspathRepository.SCHEME.length())) {
      res = res.substring(ClasspathRepository.SCHEME.length());
    }
    while (res.startsWith("/")) {
      res = res.substring(1);
    }
    String prefix = "model '" + name + "' version " + version + " from classpath resource '" + res + "'";
    if (res.isEmpty() || res.endsWith("/")) {
      throw new ModelLoadException("model '" + name + "' version " + version + ": expected a classpath resource name such as"
          + " models/fraud.onnx but got " + (resource == null ? "null" : "'" + resource + "'"));
    }
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    ClassLoader loader = cl != null ? cl : ModelRegistry.class.getClassLoader();
    byte[] contents;
    try (InputStream in = loader.getResourceAsStream(res)) {
      if (in == null) {
        throw new ModelLoadException(prefix + ": expected a resource but the class loader " + loader.getName() + " finds nothing there");
      }
      contents = in.readAllBytes();
    } catch (IOException e) {
      throw new ModelLoadException(prefix + ": could not be read: " + e, e);
    }
    if (contents.length == 0) {
      throw new ModelLoadException(prefix + ": expected the bytes of a model file but the resource is empty");
    }
    return register(name, version, RegisteredVersion.ofBytes(version, "classpath resource '" + res + "'", contents,
        res.substring(res.lastIndexOf('/') + 1)));
  }

  /**
   * Registers a version of a model from a file or directory outside the repository (a SavedModel directory
   * works), which must stay there while it is registered; see {@link #register(String, String, byte[], String)}.
   *
   * @param name the model name
   * @param version the version number
   * @param artifact the model file or directory
   * @return the model's status after the change
   * @throws IllegalArgumentException if the name or version is malformed
   * @throws ModelLoadException naming the path if it is null or missing, or the model cannot be loaded
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public ModelStatus register(String name, String version, Path artifact) {
    RepositoryLayout.checkName("model name", name);
    RepositoryLayout.checkVersion("version", version);
    if (artifact == null || !Files.exists(artifact)) {
      throw new ModelLoadException("model '" + name + "' version " + version + " from path " + artifact
          + ": expected an existing model file or directory but nothing is there");
    }
    return register(name, version, RegisteredVersion.ofPath(version, artifact));
  }

  /**
   * Removes a version registered at run time. The version leaves the route (the repository's version of
   * that number, if any, takes its place at once), and closes after its last call in flight.
   *
   * @param name the model name
   * @param version the version number, as registered or with other leading zeros
   * @return the model's status after the change
   * @throws IllegalArgumentException if the name or version is malformed
   * @throws ModelNotFoundException if the model is unknown or that version was not registered
   * @throws IllegalStateException if not started
   * @throws ModelClosedException if closed
   */
  public ModelStatus unregister(String name, String version) {
    long number = RepositoryLayout.checkVersion("version", version);
    lock.lock();
    try {
      ModelSlot slot = slot(name);
      RegisteredVersion removed = slot.unregister(number);
      if (removed == null) {
        throw new ModelNotFoundException("model '" + name + "': version " + version + " was not registered; registered versions: "
            + slot.registeredLabels().values());
      }
      removed.closeUnused();
      slot.reload(false);
      return slot.status();
    } finally {
      lock.unlock();
    }
  }

  private static String registeredFileName(String name, String version, @Nullable String fileName) {
    String file = fileName == null ? "" : fileName.substring(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
    if (file.isBlank() || file.equals(".") || file.equals("..")) {
      throw new ModelLoadException("model '" + name + "' version " + version + ": expected a file name such as fraud.onnx"
          + " (its extension picks the backend) but got " + (fileName == null ? "null" : "'" + fileName + "'"));
    }
    return file;
  }

  private ModelStatus register(String name, String version, RegisteredVersion registration) {
    long number = Long.parseLong(version);
    lock.lock();
    try {
      checkRunning();
      LoadedVersion loaded;
      try {
        loaded = registration.loadNew(loader, name);
      } catch (RuntimeException e) {
        throw new ModelLoadException("model '" + name + "' version " + version + " from " + registration.what() + ": "
            + e.getMessage(), e);
      }
      registration.preload(loaded);
      ModelSlot slot = slots.computeIfAbsent(name, n -> new ModelSlot(n, config, loader, meters));
      RegisteredVersion before = slot.register(number, registration);
      if (before != null) {
        before.closeUnused();
      }
      try {
        slot.reload(false);
      } finally {
        registration.closeUnused();
      }
      LOG.info("model {}: version {} registered from {}", name, version, registration.what());
      return slot.status();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops watching, retires every version, and waits until every model is closed (calls in flight finish
   * first). Later calls on it and on its handles throw {@link ModelClosedException}. Idempotent; interrupts are
   * remembered, not obeyed, since giving up early would leave sessions open. A shutdown that must end in
   * time uses {@link #close(Duration)}.
   */
  @Override
  public void close() {
    closeWithin(Long.MAX_VALUE);
  }

  /**
   * As {@link #close()}, but waits for calls in flight only up to a bound. If a version still has calls
   * running then, this logs which ones and returns false; each such version is closed by the last of its
   * calls, never under a running one. An interrupt ends the wait early (returning false, the interrupt status
   * kept).
   *
   * @param timeout the longest wait; {@link Duration#ZERO} only stops the registry and retires its versions
   * @return true if every version is closed, false if some still had calls running at the bound
   * @throws IllegalArgumentException if the timeout is null or negative
   */
  public boolean close(Duration timeout) {
    if (timeout == null || timeout.isNegative()) {
      throw new IllegalArgumentException("model registry: close timeout: expected a duration >= 0 but got " + timeout);
    }
    return closeWithin(timeout.compareTo(Duration.ofDays(365)) > 0 ? Long.MAX_VALUE : timeout.toNanos());
  }

  private boolean closeWithin(long nanos) {
    ScheduledExecutorService own;
    CompletableFuture<Void> allClosed;
    Map<String, CompletableFuture<Void>> closing = new TreeMap<>();
    lock.lock();
    try {
      if (closed) {
        CompletableFuture<Void> f = allVersionsClosed;
        return f == null || f.isDone(); // another close is waiting, or has given up: nothing more to do here
      }
      closed = true;
      ScheduledFuture<?> w = watch;
      if (w != null) {
        w.cancel(false);
      }
      own = ownExecutor;
      for (ModelSlot slot : slots.values()) {
        closing.put(slot.name(), slot.retireAll());
      }
      allClosed = CompletableFuture.allOf(closing.values().toArray(CompletableFuture[]::new));
      allVersionsClosed = allClosed;
    } finally {
      lock.unlock();
    }
    if (own != null) {
      own.shutdown();
    }
    boolean bounded = nanos != Long.MAX_VALUE;
    long end = System.nanoTime() + nanos;
    boolean interrupted = false;
    boolean done = false;
    for (;;) {
      try {
        if (bounded) {
          allClosed.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        } else {
          allClosed.get();
        }
        if (own != null) {
          own.awaitTermination(bounded ? Math.max(0, end - System.nanoTime()) : TimeUnit.MINUTES.toNanos(1),
              TimeUnit.NANOSECONDS);
        }
        done = true;
        break;
      } catch (InterruptedException e) {
        interrupted = true;
        if (bounded) {
          break;
        }
      } catch (ExecutionException e) {
        LOG.warn("model registry: a version failed to close", e);
        done = true;
        break;
      } catch (TimeoutException e) {
        break;
      }
    }
    if (done) {
      meters.close();
    } else {
      List<String> running = new ArrayList<>();
      closing.forEach((name, f) -> {
        if (!f.isDone()) {
          running.add(name);
        }
      });
      LOG.warn("model registry: closing: models {} still have calls running; each version closes when its last call"
          + " ends", running);
      allClosed.whenComplete((v, t) -> meters.close());
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return done;
  }

  private ModelSlot slot(String name) {
    RepositoryLayout.checkName("model name", name);
    checkRunning();
    ModelSlot slot = slots.get(name);
    if (slot == null) {
      throw new ModelNotFoundException("model '" + name + "': not in the repository " + config.repository().describe()
          + " nor registered; models: " + new TreeSet<>(slots.keySet()));
    }
    return slot;
  }

  private void checkOpen() {
    if (closed) {
      throw new ModelClosedException("model registry over " + config.repository().describe() + " is closed");
    }
  }

  private void checkRunning() {
    checkOpen();
    if (!started) {
      throw new IllegalStateException("model registry over " + config.repository().describe() + " is not started; call start() first");
    }
  }

  @Override
  public String toString() {
    return "ModelRegistry[" + config.repository().describe() + ", models=" + new TreeSet<>(slots.keySet()) + (closed ? ", closed" : "") + "]";
  }

  /**
   * Builds a {@link ModelRegistry}. Every option is validated when set and named in the message; setting
   * a single-valued option twice is an {@link IllegalStateException}. Not thread-safe.
   */
  public static final class Builder {
    private final RegistryConfigBuilder draft;

    private Builder(Repository repository) {
      this.draft = new RegistryConfigBuilder(repository);
    }

    /**
     * The backends to load with; default {@link Backends#discover()}.
     *
     * @param backends the backends
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder backends(Backends backends) {
      draft.backends(backends);
      return this;
    }

    /**
     * The options every version is loaded with; the registry sets the model name and version, and runs
     * its own warmup ({@link #warmupCalls}). Default {@link LoadOptions#defaults()}.
     *
     * @param options the options
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder loadOptions(LoadOptions options) {
      draft.loadOptions(options);
      return this;
    }

    /**
     * The policy of models without their own; default {@link VersionPolicy#latest()}.
     *
     * @param policy the policy
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder defaultPolicy(VersionPolicy policy) {
      draft.defaultPolicy(policy);
      return this;
    }

    /**
     * One model's version policy.
     *
     * @param model the model name
     * @param policy the policy
     * @return this builder
     * @throws IllegalArgumentException if the name is malformed
     * @throws IllegalStateException if this model's policy is already set
     */
    public Builder versionPolicy(String model, VersionPolicy policy) {
      draft.versionPolicy(model, policy);
      return this;
    }

    /**
     * An alias for a version of a model; the version is loaded whatever the policy. {@code stable} and
     * {@code canary} also steer unversioned traffic (see the class documentation). Change aliases at
     * run time with {@link ModelRegistry#setAlias}.
     *
     * @param model the model name
     * @param alias starts with a letter, then letters, digits, {@code _ . -}
     * @param version the version number
     * @return this builder
     * @throws IllegalArgumentException if the name, alias or version is malformed
     * @throws IllegalStateException if this alias is already set
     */
    public Builder alias(String model, String alias, long version) {
      draft.alias(model, alias, version);
      return this;
    }

    /**
     * The share of a model's unversioned traffic that goes to its canary; default 0. Change it at run
     * time with {@link ModelRegistry#setCanaryPercent}.
     *
     * @param model the model name
     * @param percent 0 to 100
     * @return this builder
     * @throws IllegalArgumentException if the name is malformed or the percent outside 0..100
     * @throws IllegalStateException if already set for this model
     */
    public Builder canaryPercent(String model, int percent) {
      draft.canaryPercent(model, percent);
      return this;
    }

    /**
     * Models readiness waits for, which must be in the repository. Default: none named, and readiness
     * waits for every model in the repository.
     *
     * @param models model names
     * @return this builder
     * @throws IllegalArgumentException if a name is malformed
     */
    public Builder requiredModels(String... models) {
      draft.requiredModels(models);
      return this;
    }

    /**
     * Whether to check {@code .sha256} files before loading; default {@link IntegrityMode#IF_PRESENT}.
     *
     * @param mode the mode
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder integrity(IntegrityMode mode) {
      draft.integrity(mode);
      return this;
    }

    /**
     * The concrete shape one input of a model is warmed up with, for inputs with dynamic dimensions
     * other than the batch (undeclared inputs get their signature shape with every dynamic dimension 1).
     * A shape that does not fit the input fails the version's load.
     *
     * @param model the model name
     * @param input the input name
     * @param dims every dimension, each &gt;= 1
     * @return this builder
     * @throws IllegalArgumentException if the name is malformed or a dimension is below 1
     * @throws IllegalStateException if already set for this input
     */
    public Builder warmupShape(String model, String input, long... dims) {
      draft.warmupShape(model, input, dims);
      return this;
    }

    /**
     * Warmup calls per version before it takes traffic; default the load options' {@code warmupCalls},
     * or 1 when that is 0.
     *
     * @param calls at least 0 (0 disables warmup)
     * @return this builder
     * @throws IllegalArgumentException if negative
     * @throws IllegalStateException if already set
     */
    public Builder warmupCalls(int calls) {
      draft.warmupCalls(calls);
      return this;
    }

    /**
     * Watches the repository: scans it this often (after the previous scan ends) and loads, swaps and
     * retires versions as {@link ModelRegistry#reload()} does, except that failed versions are retried
     * only when their files change. Default: no watching.
     *
     * @param interval a positive duration
     * @return this builder
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if already set
     */
    public Builder pollInterval(Duration interval) {
      draft.pollInterval(interval);
      return this;
    }

    /**
     * Where polls run; default a daemon thread named {@value #WATCH_THREAD_NAME} that the registry owns
     * and stops on close. A given executor is not shut down by the registry. Needs {@link #pollInterval}.
     *
     * @param executor the executor
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder watchExecutor(ScheduledExecutorService executor) {
      draft.watchExecutor(executor);
      return this;
    }

    /**
     * Publishes the registry's meters (loads, swaps, readiness) here. Default: the load options'
     * registry, if any. Per-call meters come from the load options' registry.
     *
     * @param registry the registry
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder meterRegistry(MeterRegistry registry) {
      draft.meterRegistry(registry);
      return this;
    }

    /**
     * The clock of status timestamps; default the system UTC clock.
     *
     * @param clock the clock
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder clock(Clock clock) {
      draft.clock(clock);
      return this;
    }

    /**
     * Draws the per-call number, uniform in [0, 1), that decides primary or canary when a split is on;
     * default {@link ThreadLocalRandom}. Must be thread-safe. Tests inject a fixed sequence.
     *
     * @param sampler the sampler
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder canarySampler(DoubleSupplier sampler) {
      draft.canarySampler(sampler);
      return this;
    }

    /**
     * Builds the registry; nothing is loaded until {@link ModelRegistry#start()}.
     *
     * @return the registry, owned by the caller
     * @throws IllegalStateException if a watch executor is set without a poll interval
     */
    public ModelRegistry build() {
      return new ModelRegistry(draft.build());
    }
  }
}
