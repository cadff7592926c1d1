package dev.jinfer.registry;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Where a registry finds the versions it serves besides the ones registered at run time: a directory
 * ({@link DirectoryRepository}), classpath resources ({@link ClasspathRepository}), or nothing
 * ({@link #NONE}). Implementations are thread-safe.
 */
interface Repository {
  /** A repository that holds no model: the registry serves only the versions registered at run time. */
  Repository NONE = new Repository() {
    @Override
    public String describe() {
      return "no repository (registered models only)";
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
      return List.of();
    }

    @Override
    public @Nullable TreeMap<Long, String> versions(String name, List<String> problems) {
      return null;
    }

    @Override
    public String absent(String name) {
      return "model '" + name + "': no version registered";
    }

    @Override
    public String where(String name) {
      return name;
    }

    @Override
    public String source(String name, String label) {
      return "no repository";
    }

    @Override
    public long fingerprint(String name, String label) {
      return 0;
    }

    @Override
    public LoadedVersion load(VersionLoader loader, String name, String label) {
      throw new dev.jinfer.ModelLoadException("model '" + name + "' version " + label + ": not registered, and the registry has no repository");
    }

    @Override
    public String toString() {
      return describe();
    }
  };

  /** @return the repository for messages and status, e.g. {@code /models} or {@code classpath:models/} */
  String describe();

  /** @return the root directory's real path, or null when the repository is not a directory */
  @Nullable Path root();

  /** @return whether its contents can change, so that polling it can find something new */
  boolean mutable();

  /**
   * The models it holds.
   *
   * @return their names, sorted
   * @throws IOException if it cannot be listed
   */
  List<String> modelNames() throws IOException;

  /**
   * A model's versions, by number.
   *
   * @param name a valid model name
   * @param problems receives a message for every version skipped (duplicate numbers)
   * @return number to version label, or null if the repository does not hold the model
   * @throws IOException if it cannot be read
   * @throws dev.jinfer.ModelLoadException if the model is there but unusable (e.g. outside the root)
   */
  @Nullable TreeMap<Long, String> versions(String name, List<String> problems) throws IOException;

  /**
   * Why a model it does not hold is missing.
   *
   * @param name the model name
   * @return the message for the model's status
   */
  String absent(String name);

  /**
   * Where a model lives, for messages.
   *
   * @param name the model name
   * @return e.g. {@code fraud} (relative to the root) or {@code classpath:models/fraud}
   */
  String where(String name);

  /**
   * Where one of its versions is loaded from, for the version's status ({@link VersionStatus#source()}).
   *
   * @param name the model name
   * @param label the version label
   * @return e.g. {@code /srv/models/fraud/1} or {@code classpath:models/fraud/1/}
   */
  String source(String name, String label);

  /**
   * A cheap fingerprint of a version's contents, so that a failed version is retried only once it changes
   * and a version republished in place is loaded again.
   *
   * @param name the model name
   * @param label the version label
   * @return the fingerprint; 0 if it cannot be read
   */
  long fingerprint(String name, String label);

  /**
   * Loads, checks and warms up one of its versions.
   *
   * @param loader the registry's loader
   * @param name the model name
   * @param label the version label
   * @return the loaded version, owned by the caller
   * @throws IOException if the repository cannot be read
   * @throws dev.jinfer.InferenceException if the version cannot be loaded
   */
  LoadedVersion load(VersionLoader loader, String name, String label) throws IOException;
}
