package dev.jinfer.spring;

import dev.jinfer.registry.ModelRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * The value of {@code jinfer.repository.root}, read as Spring reads resource locations: {@code classpath:models}
 * is a repository packaged as classpath resources ({@link ModelRegistry#newClasspathBuilder(ClassLoader, String)}),
 * {@code file:/srv/models} (or {@code file:models}) and a plain path are a directory
 * ({@link ModelRegistry#newBuilder(Path)}). Immutable, so thread-safe.
 */
final class RepositoryLocation {
  static final String CLASSPATH = "classpath:";
  private static final String FILE = "file:";

  private final String value;
  private final @Nullable Path directory;
  private final @Nullable String resource;

  private RepositoryLocation(String value, @Nullable Path directory, @Nullable String resource) {
    this.value = value;
    this.directory = directory;
    this.resource = resource;
  }

  /**
   * Reads a location.
   *
   * @param value the property's value, not blank
   * @return the location
   * @throws IllegalArgumentException if it is blank, {@code classpath:} names no resource directory, or a
   *     {@code file:} URL or path is malformed
   */
  static RepositoryLocation parse(String value) {
    String v = value == null ? "" : value.strip();
    if (v.isEmpty()) {
      throw new IllegalArgumentException("expected a directory or a classpath: location but got an empty value");
    }
    String lower = v.toLowerCase(Locale.ROOT);
    if (lower.startsWith("classpath*:")) {
      throw new IllegalArgumentException("expected classpath:<location> (one resource directory, read in every class path entry"
          + " that holds it) but got " + v);
    }
    if (lower.startsWith(CLASSPATH)) {
      String res = v.substring(CLASSPATH.length()).strip();
      while (res.startsWith("/")) {
        res = res.substring(1);
      }
      if (res.isEmpty() || res.equals(".")) {
        throw new IllegalArgumentException("expected a resource directory such as classpath:models but got " + v);
      }
      return new RepositoryLocation(v, null, res);
    }
    Path dir;
    try {
      if (lower.startsWith("file:/")) {
        dir = Path.of(URI.create(v));
      } else if (lower.startsWith(FILE)) {
        dir = Path.of(v.substring(FILE.length()));
      } else {
        dir = Path.of(v);
      }
    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      throw new IllegalArgumentException("expected a directory path, a file: URL or a classpath: location but got " + v
          + " (" + e.getMessage() + ")", e);
    }
    return new RepositoryLocation(v, dir, null);
  }

  /** @return the directory, or null for a classpath location */
  @Nullable Path directory() {
    return directory;
  }

  /** @return whether the location names classpath resources */
  boolean isClasspath() {
    return resource != null;
  }

  /**
   * A registry builder over the location.
   *
   * @param loader the application's class loader, for a classpath location
   * @return the builder
   * @throws IllegalArgumentException if the directory does not exist, or no class path entry holds the location
   */
  ModelRegistry.Builder builder(ClassLoader loader) {
    String res = resource;
    return res != null ? ModelRegistry.newClasspathBuilder(loader, res) : ModelRegistry.newBuilder(java.util.Objects.requireNonNull(directory));
  }

  /**
   * The models the location holds (directory names), for the Predictor beans. A classpath location is matched
   * with {@code classpath*:<location>/*}{@code /*}{@code /*} (the artifacts of {@code <name>/<version>/}).
   *
   * @param loader the application's class loader
   * @return the model names, sorted; empty if it cannot be listed (the registry reports why)
   * @throws IOException if it cannot be listed
   */
  Set<String> modelNames(@Nullable ClassLoader loader) throws IOException {
    Set<String> names = new TreeSet<>();
    Path dir = directory;
    if (dir != null) {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> dirs = Files.list(dir)) {
          dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).forEach(names::add);
        }
      }
      return names;
    }
    PathMatchingResourcePatternResolver resolver = new PathMatchingResourcePatternResolver(loader);
    String res = java.util.Objects.requireNonNull(resource);
    String base = res.endsWith("/") ? res : res + "/";
    for (Resource r : resolver.getResources("classpath*:" + base + "*/*/*")) {
      String url = r.getURL().toString();
      String[] parts = (url.endsWith("/") ? url.substring(0, url.length() - 1) : url).split("/");
      if (parts.length >= 3) {
        names.add(parts[parts.length - 3]);
      }
    }
    return names;
  }

  @Override
  public String toString() {
    return value;
  }
}
