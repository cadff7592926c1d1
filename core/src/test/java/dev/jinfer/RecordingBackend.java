package dev.jinfer;

import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A backend over another (a {@link ScaleBackend}, a directory backend) that records every source it is given and
 * whether a file was at the source's path then, and says whether it loads from memory: what the model-source tests
 * of {@code Model.load} and of the registry look at. Thread-safe.
 */
public final class RecordingBackend implements Backend {
  private final Backend delegate;
  private final boolean fromMemory;
  /** Every source given to {@link #load}, in order. */
  public final List<ModelSource> seen = new CopyOnWriteArrayList<>();
  /** For every load, whether a file or directory existed at the source's path. */
  public final List<Boolean> existedAtLoad = new CopyOnWriteArrayList<>();

  /**
   * @param delegate the backend that really loads
   * @param fromMemory what {@link #loadsFromMemory()} says
   */
  public RecordingBackend(Backend delegate, boolean fromMemory) {
    this.delegate = delegate;
    this.fromMemory = fromMemory;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public boolean accepts(ModelSource source) {
    return delegate.accepts(source);
  }

  @Override
  public boolean loadsFromMemory() {
    return fromMemory;
  }

  @Override
  public BackendSession load(ModelSource source, LoadOptions options) throws Exception {
    seen.add(source);
    existedAtLoad.add(Files.exists(source.path()));
    return delegate.load(source, options);
  }

  /** @return the paths of the sources that were files, not bytes */
  public List<Path> filesSeen() {
    return seen.stream().filter(s -> !s.inMemory()).map(ModelSource::path).toList();
  }
}
