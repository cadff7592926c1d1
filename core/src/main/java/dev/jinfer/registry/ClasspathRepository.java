package dev.jinfer.registry;

import dev.jinfer.ModelId;
import dev.jinfer.ModelLoadException;
import dev.jinfer.spi.Backend;
import dev.jinfer.spi.ModelSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A repository packaged as classpath resources, {@code <location>/<name>/<version>/<artifact>}, laid out like a
 * directory repository. It is read once, when opened, from every class path entry (a directory or a jar,
 * including Spring Boot's nested jars) that holds the location: a class path does not change, so the repository
 * is immutable and polling it finds nothing new.
 *
 * <p>A version whose artifact is one file that the chosen backend loads from memory (ONNX Runtime) is loaded
 * from the resource's bytes, with no file written. Any other version (a SavedModel directory, a TorchScript
 * file, a backend that reads only files) is copied, with the files beside its artifact and its checksum files,
 * into a temporary directory under {@code java.io.tmpdir}, loaded from there, and the copy is deleted when the
 * version is closed (or at once if it fails to load). Checksum files are checked as for a directory
 * repository. Thread-safe: the index is immutable and loads read resources through the class loader.
 */
final class ClasspathRepository implements Repository {
  private static final Logger LOG = LoggerFactory.getLogger(ClasspathRepository.class);
  /** The prefix a location may carry, as Spring writes resource locations. */
  static final String SCHEME = "classpath:";

  private final ClassLoader loader;
  private final String prefix;
  /** name to version label to the files under the version directory (relative, '/'-separated), sorted. */
  private final Map<String, Map<String, Set<String>>> versions;
  /** name to the files directly under the model directory (the checksum files of directory versions). */
  private final Map<String, Set<String>> modelFiles;

  private ClasspathRepository(ClassLoader loader, String prefix, Map<String, Map<String, Set<String>>> versions,
      Map<String, Set<String>> modelFiles) {
    this.loader = loader;
    this.prefix = prefix;
    this.versions = versions;
    this.modelFiles = modelFiles;
  }

  /**
   * Reads the index of a classpath repository.
   *
   * @param loader the class loader that sees the resources
   * @param location e.g. {@code models/}, {@code /models} or {@code classpath:models}
   * @return the repository
   * @throws IllegalArgumentException if the location is blank, no class path entry holds it, or it cannot be read
   */
  static ClasspathRepository open(ClassLoader loader, String location) {
    if (loader == null) {
      throw new IllegalArgumentException("classpath repository: expected a class loader but got null");
    }
    String prefix = normalise(location);
    List<String> files = new ArrayList<>();
    List<URL> roots = new ArrayList<>();
    try {
      Enumeration<URL> urls = loader.getResources(prefix.substring(0, prefix.length() - 1));
      while (urls.hasMoreElements()) {
        URL url = urls.nextElement();
        roots.add(url);
        scan(url, prefix, files);
      }
    } catch (IOException | UncheckedIOException e) {
      throw new IllegalArgumentException("classpath repository " + SCHEME + prefix + ": cannot be read: " + e, e);
    }
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("classpath repository " + SCHEME + prefix + ": expected a resource directory"
          + " (laid out <name>/<version>/<artifact>) but the class loader " + loader.getName() + " finds none there");
    }
    Map<String, Map<String, Set<String>>> versions = new TreeMap<>();
    Map<String, Set<String>> modelFiles = new TreeMap<>();
    for (String rel : files) {
      String[] parts = rel.split("/", 3);
      if (!RepositoryLayout.isName(parts[0]) || parts.length < 2) {
        continue;
      }
      if (parts.length == 2) {
        modelFiles.computeIfAbsent(parts[0], k -> new TreeSet<>()).add(parts[1]);
      } else if (RepositoryLayout.isVersion(parts[1]) && safe(parts[2])) {
        versions.computeIfAbsent(parts[0], k -> new TreeMap<>()).computeIfAbsent(parts[1], k -> new TreeSet<>()).add(parts[2]);
      }
    }
    LOG.debug("classpath repository {}{} in {}: models {}", SCHEME, prefix, roots, versions.keySet());
    return new ClasspathRepository(loader, prefix, freeze(versions), Map.copyOf(modelFiles));
  }

  private static Map<String, Map<String, Set<String>>> freeze(Map<String, Map<String, Set<String>>> versions) {
    Map<String, Map<String, Set<String>>> copy = new TreeMap<>();
    versions.forEach((name, byLabel) -> {
      Map<String, Set<String>> labels = new TreeMap<>();
      byLabel.forEach((label, files) -> labels.put(label, Collections.unmodifiableSet(new TreeSet<>(files))));
      copy.put(name, Collections.unmodifiableMap(labels));
    });
    return Collections.unmodifiableMap(copy);
  }

  static String normalise(@Nullable String location) {
    String p = location == null ? "" : location.strip();
    if (p.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      p = p.substring(SCHEME.length());
    }
    while (p.startsWith("/")) {
      p = p.substring(1);
    }
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (p.isEmpty() || !safe(p)) {
      throw new IllegalArgumentException("classpath repository location: expected a resource directory such as"
          + " 'models/' (not the class path's root, no '..') but got " + (location == null ? "null" : "'" + location + "'"));
    }
    return p + "/";
  }

  private static boolean safe(String rel) {
    for (String segment : rel.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.contains("\\")) {
        return false;
      }
    }
    return true;
  }

  private static void scan(URL url, String prefix, List<String> files) throws IOException {
    if ("file".equals(url.getProtocol())) {
      Path dir;
      try {
        dir = Path.of(url.toURI());
      } catch (URISyntaxException | IllegalArgumentException e) {
        throw new IOException("cannot read the directory " + url + ": " + e, e);
      }
      try (Stream<Path> s = Files.walk(dir)) {
        s.filter(Files::isRegularFile).forEach(p -> files.add(dir.relativize(p).toString().replace('\\', '/')));
      }
      return;
    }
    URLConnection connection = url.openConnection();
    if (!(connection instanceof JarURLConnection)) {
      throw new IOException("the resource directory " + url + " is neither a directory nor in a jar; a classpath"
          + " repository can list only those");
    }
    JarURLConnection jar = (JarURLConnection) connection;
    jar.setUseCaches(false);
    String entry = jar.getEntryName();
    String base = entry == null ? prefix : (entry.endsWith("/") ? entry : entry + "/");
    try (JarFile file = jar.getJarFile()) {
      Enumeration<JarEntry> entries = file.entries();
      while (entries.hasMoreElements()) {
        JarEntry e = entries.nextElement();
        if (!e.isDirectory() && e.getName().startsWith(base) && e.getName().length() > base.length()) {
          files.add(e.getName().substring(base.length()));
        }
      }
    }
  }

  @Override
  public String describe() {
    return SCHEME + prefix;
  }

  @Override
  public @Nullable Path root() {
    return null;
  }

  @Override
  public boolean mutable() {
    return false;
  }

  @Override
  public List<String> modelNames() {
    return List.copyOf(versions.keySet());
  }

  @Override
  public @Nullable TreeMap<Long, String> versions(String name, List<String> problems) {
    Map<String, Set<String>> labels = versions.get(name);
    if (labels == null) {
      return null;
    }
    TreeMap<Long, String> byNumber = new TreeMap<>();
    for (String label : labels.keySet()) {
      String before = byNumber.putIfAbsent(Long.parseLong(label), label);
      if (before != null) {
        problems.add("version directories '" + before + "' and '" + label + "' have the same number; '" + label + "' is ignored");
      }
    }
    return byNumber;
  }

  @Override
  public String absent(String name) {
    return "model '" + name + "': expected a resource directory " + describe() + name + "/ but the class path has none";
  }

  @Override
  public String where(String name) {
    return describe() + name;
  }

  @Override
  public String source(String name, String label) {
    return describe() + name + "/" + label + "/";
  }

  @Override
  public long fingerprint(String name, String label) {
    return 1; // immutable: a failed version is retried only by reload()
  }

  @Override
  public LoadedVersion load(VersionLoader versionLoader, String name, String label) throws IOException {
    Set<String> files = versions.getOrDefault(name, Map.of()).get(label);
    if (files == null) {
      throw new ModelLoadException("model '" + name + "' version " + label + ": no resource directory " + describe() + name + "/" + label + "/");
    }
    ModelId id = new ModelId(name, label);
    InMemory artifact = memoryArtifact(versionLoader, id, files);
    if (artifact != null) {
      String resource = prefix + name + "/" + label + "/" + artifact.fileName();
      String sidecar = files.contains(artifact.fileName() + RepositoryLayout.DIGEST_SUFFIX)
          ? new String(read(resource + RepositoryLayout.DIGEST_SUFFIX), StandardCharsets.UTF_8) : null;
      ArtifactDigest.verify(SCHEME + resource, artifact.contents(), artifact.fileName(), sidecar, versionLoader.integrity());
      try {
        return versionLoader.loadBytes(name, label, artifact.contents(), artifact.fileName());
      } catch (RuntimeException e) {
        throw new ModelLoadException(SCHEME + resource + ": " + e.getMessage(), e);
      }
    }
    return loadCopy(versionLoader, name, label, files);
  }

  /** A version's artifact file and its bytes. */
  private record InMemory(String fileName, byte[] contents) { }

  /**
   * The version's artifact when it can be loaded from memory: its only file (or, among several, the only one
   * a backend accepts), when no entry is a directory or a SavedModel and the backend it would load with takes
   * it from memory. Otherwise null, and the version goes through a temporary copy, which also reports an
   * ambiguous or empty version as a directory repository does.
   */
  private @Nullable InMemory memoryArtifact(VersionLoader versionLoader, ModelId id, Set<String> files) throws IOException {
    if (files.contains(RepositoryLayout.SAVED_MODEL_FILE)) {
      return null;
    }
    List<String> candidates = new ArrayList<>();
    for (String f : files) {
      String top = f.contains("/") ? f.substring(0, f.indexOf('/')) : f;
      if (!top.startsWith(".") && !top.toLowerCase(Locale.ROOT).endsWith(RepositoryLayout.DIGEST_SUFFIX)) {
        if (!top.equals(f)) {
          return null; // a directory artifact, or a directory beside the artifact: a temporary copy
        }
        candidates.add(f);
      }
    }
    InMemory chosen = null;
    Backend backend = null;
    for (String candidate : candidates) {
      byte[] contents = read(prefix + id.name() + "/" + id.version() + "/" + candidate);
      Backend b = versionLoader.backendFor(new ModelSource(Path.of(candidate), id, contents));
      if (candidates.size() == 1 || b != null) {
        if (chosen != null) {
          return null;
        }
        chosen = new InMemory(candidate, contents);
        backend = b;
      }
    }
    return chosen != null && backend != null && backend.loadsFromMemory() ? chosen : null;
  }

  private LoadedVersion loadCopy(VersionLoader versionLoader, String name, String label, Set<String> files) throws IOException {
    Path tmp = Files.createTempDirectory("jinfer-classpath-");
    Runnable cleanup = () -> deleteTree(tmp);
    try {
      Path versionDir = Files.createDirectories(tmp.resolve(name).resolve(label));
      for (String f : files) {
        Path target = versionDir.resolve(f);
        Files.createDirectories(target.getParent());
        Files.write(target, read(prefix + name + "/" + label + "/" + f));
      }
      String sidecar = label + RepositoryLayout.DIGEST_SUFFIX;
      if (modelFiles.getOrDefault(name, Set.of()).contains(sidecar)) {
        Files.write(tmp.resolve(name).resolve(sidecar), read(prefix + name + "/" + sidecar));
      }
      LOG.debug("model {} version {}: loading the temporary copy {} of {}{}/{}/", name, label, versionDir, describe(), name, label);
      LoadedVersion loaded = versionLoader.load(RepositoryLayout.open(tmp), name, label, versionDir);
      return new LoadedVersion(loaded.model(), cleanup);
    } catch (IOException | RuntimeException e) {
      cleanup.run();
      if (e instanceof IOException) {
        throw (IOException) e;
      }
      throw new ModelLoadException(describe() + name + "/" + label + "/ (through a temporary copy): " + e.getMessage(), e);
    }
  }

  private byte[] read(String resource) throws IOException {
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new ModelLoadException(SCHEME + resource + ": expected a resource but the class loader " + loader.getName()
            + " no longer finds it");
      }
      return in.readAllBytes();
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not delete the temporary model copy {}: {}", dir, e.toString());
    }
  }

  @Override
  public String toString() {
    return describe();
  }
}
