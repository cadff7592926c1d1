package dev.jinfer.registry;

import dev.jinfer.ModelLoadException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A model repository on disk, {@code <root>/<name>/<version>/<artifact>}, and the rules that keep every
 * path the registry touches inside its root: names, versions and aliases are plain path segments
 * (never {@code ..}, never a separator), and every directory, artifact and file under a directory
 * artifact must resolve (symbolic links followed) inside the root's real path. Immutable, so
 * thread-safe; it reads the file system on every call.
 */
final class RepositoryLayout {
  // a model name: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} without "..", checked by hand in isName
  private static final Pattern VERSION = Pattern.compile("[0-9]{1,18}");
  private static final Pattern ALIAS = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
  /** The file whose presence makes a version directory itself the artifact (TF Serving's layout). */
  public static final String SAVED_MODEL_FILE = "saved_model.pb";
  /** The suffix of checksum files, which are never artifacts. */
  public static final String DIGEST_SUFFIX = ".sha256";

  private final Path root;

  private RepositoryLayout(Path root) {
    this.root = root;
  }

  /**
   * Opens a repository.
   *
   * @param root an existing directory
   * @return the layout, rooted at the directory's real path
   * @throws IllegalArgumentException if the root is not an existing directory
   */
  public static RepositoryLayout open(Path root) {
    if (root == null || !Files.isDirectory(root)) {
      throw new IllegalArgumentException("repository root must be an existing directory but was " + root);
    }
    try {
      return new RepositoryLayout(root.toRealPath());
    } catch (IOException e) {
      throw new IllegalArgumentException("repository root must be an existing directory but " + root + " cannot be resolved: " + e.getMessage(), e);
    }
  }

  /** @return the root's real path */
  public Path root() {
    return root;
  }

  /**
   * Checks a model name: letters, digits, {@code _ . -}, not starting with a dot, no {@code ..}, at most 128 characters.
   *
   * @param option what the name is, for the message
   * @param name the name
   * @return the name
   * @throws IllegalArgumentException naming the option if the name is not a plain path segment
   */
  public static String checkName(String option, @Nullable String name) {
    if (!isName(name)) {
      throw new IllegalArgumentException(option + " must be a plain name (letters, digits, '_', '.', '-'; no '/', no '..', "
          + "not starting with '.') but was '" + name + "'");
    }
    return name;
  }

  /**
   * Checks an alias: starts with a letter (so it never reads as a version), then letters, digits, {@code _ . -}.
   *
   * @param option what the alias is, for the message
   * @param alias the alias
   * @return the alias
   * @throws IllegalArgumentException naming the option if it is not
   */
  public static String checkAlias(String option, @Nullable String alias) {
    if (alias == null || !ALIAS.matcher(alias).matches() || alias.contains("..")) {
      throw new IllegalArgumentException(option + " must start with a letter and hold only letters, digits, '_', '.', '-' "
          + "(no '/', no '..') but was '" + alias + "'");
    }
    return alias;
  }

  /**
   * Checks a version: 1 to 18 decimal digits.
   *
   * @param option what the version is, for the message
   * @param version the version
   * @return its number
   * @throws IllegalArgumentException naming the option if it is not
   */
  public static long checkVersion(String option, @Nullable String version) {
    if (!isVersion(version)) {
      throw new IllegalArgumentException(option + " must be a number of 1 to 18 digits but was '" + version + "'");
    }
    return Long.parseLong(version);
  }

  /**
   * @param name a candidate model name
   * @return whether it is a valid one
   */
  public static boolean isName(@Nullable String name) {
    // by hand, as NAME says: every request names its model, and a regex Matcher costs two arrays per call
    if (name == null || name.isEmpty() || name.length() > 128 || name.contains("..")) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean word = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_';
      if (!word && (i == 0 || c != '.' && c != '-')) {
        return false;
      }
    }
    return true;
  }

  /**
   * @param version a candidate version
   * @return whether it is a valid one
   */
  public static boolean isVersion(@Nullable String version) {
    return version != null && VERSION.matcher(version).matches();
  }

  /**
   * The model directories: entries of the root that are directories (or links to them) with valid names.
   *
   * @return the names, sorted
   * @throws IOException if the root cannot be listed
   */
  public List<String> modelNames() throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(root)) {
      s.forEach(p -> {
        String n = String.valueOf(p.getFileName());
        if (isName(n) && Files.isDirectory(p)) {
          names.add(n);
        }
      });
    }
    names.sort(null);
    return names;
  }

  /**
   * A model's directory, checked to resolve inside the root.
   *
   * @param name a valid model name
   * @return the directory (not its real path)
   * @throws ModelLoadException if it is missing, not a directory, or resolves outside the root
   * @throws IOException if it cannot be read
   */
  public Path modelDir(String name) throws IOException {
    Path dir = root.resolve(checkName("model name", name));
    if (!Files.isDirectory(dir)) {
      throw new ModelLoadException("model '" + name + "': expected a directory " + dir + " but there is none");
    }
    inside(dir);
    return dir;
  }

  /**
   * The numeric version directories of a model, by number. When two directories have the same number
   * ({@code 1} and {@code 001}), the first in name order wins and the others are reported.
   *
   * @param modelDir the model's directory, from {@link #modelDir}
   * @param duplicates receives a message for every duplicate skipped
   * @return number to directory name
   * @throws IOException if the directory cannot be listed
   */
  public TreeMap<Long, String> versions(Path modelDir, List<String> duplicates) throws IOException {
    TreeMap<Long, String> versions = new TreeMap<>();
    List<String> labels = new ArrayList<>();
    try (Stream<Path> s = Files.list(modelDir)) {
      s.forEach(p -> {
        String n = String.valueOf(p.getFileName());
        if (isVersion(n) && Files.isDirectory(p)) {
          labels.add(n);
        }
      });
    }
    labels.sort(null);
    for (String label : labels) {
      String before = versions.putIfAbsent(Long.parseLong(label), label);
      if (before != null) {
        duplicates.add("version directories '" + before + "' and '" + label + "' have the same number; '" + label + "' is ignored");
      }
    }
    return versions;
  }

  /**
   * Finds a version's artifact: the version directory itself when it holds {@code saved_model.pb};
   * otherwise its only entry that is neither hidden nor a {@code .sha256} file; when there are several,
   * the only one a backend accepts. Every path involved must resolve inside the root.
   *
   * @param versionDir the version directory
   * @param accepted whether some backend accepts a candidate
   * @return the artifact (not its real path, so that backends see its own file name)
   * @throws ModelLoadException if there is no artifact, several, or one resolves outside the root
   * @throws IOException if the directory cannot be read
   */
  public Path artifact(Path versionDir, Predicate<Path> accepted) throws IOException {
    inside(versionDir);
    if (Files.isRegularFile(versionDir.resolve(SAVED_MODEL_FILE))) {
      checkTree(versionDir);
      return versionDir;
    }
    List<Path> candidates = new ArrayList<>();
    try (Stream<Path> s = Files.list(versionDir)) {
      s.forEach(p -> {
        String n = String.valueOf(p.getFileName());
        if (!n.startsWith(".") && !n.toLowerCase(Locale.ROOT).endsWith(DIGEST_SUFFIX)) {
          candidates.add(p);
        }
      });
    }
    candidates.sort(null);
    if (candidates.isEmpty()) {
      throw new ModelLoadException("version directory " + relative(versionDir) + ": expected one model artifact but it is empty");
    }
    List<Path> chosen = candidates;
    if (candidates.size() > 1) {
      chosen = candidates.stream().filter(accepted).toList();
    }
    if (chosen.size() != 1) {
      throw new ModelLoadException("version directory " + relative(versionDir) + ": expected one model artifact"
          + (candidates.size() > 1 ? " that a backend accepts" : "") + " but found "
          + (chosen.isEmpty() ? candidates : chosen).stream().map(p -> String.valueOf(p.getFileName())).toList());
    }
    Path artifact = chosen.get(0);
    inside(artifact);
    if (Files.isDirectory(artifact)) {
      checkTree(artifact);
    }
    return artifact;
  }

  /**
   * Checks that a path exists and resolves, symbolic links followed, inside the root.
   *
   * @param path the path
   * @return its real path
   * @throws ModelLoadException if it resolves outside the root
   * @throws IOException if it does not exist or cannot be resolved
   */
  public Path inside(Path path) throws IOException {
    Path real = path.toRealPath();
    if (!real.startsWith(root)) {
      throw new ModelLoadException(relative(path) + " resolves to " + real + ", outside the repository root " + root
          + "; the registry reads nothing outside its root");
    }
    return real;
  }

  /**
   * Checks every symbolic link under a directory artifact resolves inside the root.
   *
   * @param dir the directory
   * @throws ModelLoadException if one does not
   * @throws IOException if the tree cannot be read
   */
  public void checkTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.forEach(p -> {
        if (Files.isSymbolicLink(p)) {
          try {
            inside(p);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * A cheap fingerprint of a version's files (names, sizes, modification times, and the checksum file
   * beside the directory), so that a version that failed is retried only once its files change.
   *
   * @param versionDir the version directory
   * @return the fingerprint
   * @throws IOException if the tree cannot be read
   */
  public long fingerprint(Path versionDir) throws IOException {
    long[] h = {1125899906842597L};
    try (Stream<Path> s = Files.walk(versionDir, 16)) {
      s.sorted().forEach(p -> h[0] = mix(h[0], p, versionDir));
    }
    Path sidecar = versionDir.resolveSibling(versionDir.getFileName() + DIGEST_SUFFIX);
    if (Files.exists(sidecar, LinkOption.NOFOLLOW_LINKS)) {
      h[0] = mix(h[0], sidecar, versionDir);
    }
    return h[0];
  }

  private static long mix(long h, Path p, Path base) {
    h = 31 * h + base.relativize(p).toString().hashCode();
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      h = 31 * h + a.size();
      h = 31 * h + a.lastModifiedTime().toMillis();
    } catch (IOException e) {
      h = 31 * h - 1; // vanished while we looked: the next poll sees a different fingerprint
    }
    return h;
  }

  /**
   * A path for messages: relative to the root when it is under it.
   *
   * @param path the path
   * @return the path to show
   */
  public String relative(Path path) {
    Path abs = path.toAbsolutePath().normalize();
    return abs.startsWith(root) ? root.relativize(abs).toString() : abs.toString();
  }
}
