package dev.jinfer.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/** A repository on disk, {@code <root>/<name>/<version>/<artifact>}, read through its {@link RepositoryLayout}. Thread-safe. */
final class DirectoryRepository implements Repository {
  private final RepositoryLayout layout;

  DirectoryRepository(RepositoryLayout layout) {
    this.layout = layout;
  }

  @Override
  public String describe() {
    return layout.root().toString();
  }

  @Override
  public Path root() {
    return layout.root();
  }

  @Override
  public boolean mutable() {
    return true;
  }

  @Override
  public List<String> modelNames() throws IOException {
    return layout.modelNames();
  }

  @Override
  public @Nullable TreeMap<Long, String> versions(String name, List<String> problems) throws IOException {
    if (!Files.exists(layout.root().resolve(RepositoryLayout.checkName("model name", name)))) {
      return null;
    }
    return layout.versions(layout.modelDir(name), problems);
  }

  @Override
  public String absent(String name) {
    return "model '" + name + "': expected a directory " + layout.root().resolve(name) + " but there is none";
  }

  @Override
  public String where(String name) {
    return layout.relative(layout.root().resolve(name));
  }

  @Override
  public String source(String name, String label) {
    return layout.root().resolve(name).resolve(label).toString();
  }

  @Override
  public long fingerprint(String name, String label) {
    try {
      return layout.fingerprint(layout.root().resolve(name).resolve(label));
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  @Override
  public LoadedVersion load(VersionLoader loader, String name, String label) throws IOException {
    return loader.load(layout, name, label, layout.modelDir(name).resolve(label));
  }

  @Override
  public String toString() {
    return describe();
  }
}
