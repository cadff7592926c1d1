package dev.jinfer.flink;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelLoadException;
import dev.jinfer.ModelSignature;
import dev.jinfer.serving.ServingChain;
import io.micrometer.core.instrument.Metrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of a TaskManager JVM: one loaded model and one {@link ServingChain} (and its executor) per model
 * location, version and serving settings, shared by every subtask of the job in that JVM. Subtasks acquire a
 * lease in {@code open} and release it in {@code close}; the last release closes the chain, the executor and
 * the model, so nothing outlives the job (Flink drops a finished job's class loader) and a restarted job
 * loads again. Models never travel with the job graph: a function carries the location.
 *
 * <p><b>One version per location.</b> When a new version of a location loads (a new file: its size or
 * modification time changed; or another explicit version), the entries of the other versions of that location
 * are retired: no subtask gets them any more, and each closes when its last lease is returned (the subtasks of
 * a job still running on it finish undisturbed).
 *
 * <p>Thread-safe.
 */
public final class TaskManagerModels {
  private static final Logger LOG = LoggerFactory.getLogger(TaskManagerModels.class);
  private static final Map<Key, Entry> ENTRIES = new HashMap<>();
  private static final LongAdder LOADS = new LongAdder();
  private static final LongAdder CLOSES = new LongAdder();

  private TaskManagerModels() {
  }

  private record Key(ScoringSettings settings, String version) {
  }

  /** A loaded model with its chain and executor, and how many subtasks use it. */
  private static final class Entry {
    final Model model;
    final ServingChain chain;
    final ExecutorService executor;
    int leases;

    Entry(Model model, ServingChain chain, ExecutorService executor) {
      this.model = model;
      this.chain = chain;
      this.executor = executor;
    }
  }

  /** What a subtask holds between open and close. */
  static final class Lease implements AutoCloseable {
    private final Key key;
    private final Entry entry;
    private boolean released;

    private Lease(Key key, Entry entry) {
      this.key = key;
      this.entry = entry;
    }

    ServingChain chain() {
      return entry.chain;
    }

    ModelSignature signature() {
      return entry.model.signature();
    }

    ExecutorService executor() {
      return entry.executor;
    }

    @Override
    public void close() {
      synchronized (ENTRIES) {
        if (released) {
          return;
        }
        released = true;
        if (--entry.leases > 0) {
          return;
        }
        ENTRIES.remove(key, entry);
      }
      closeEntry(key, entry);
    }
  }

  private static void closeEntry(Key key, Entry entry) {
    entry.chain.close();
    entry.executor.shutdown();
    entry.model.close();
    CLOSES.increment();
    LOG.info("closed model {} (version {}): no subtask of this TaskManager uses it", key.settings().location(),
        key.version());
  }

  /**
   * A lease on the model and chain for these settings, loading the model if no subtask of this JVM holds it.
   *
   * @throws ModelLoadException if this TaskManager cannot read or load the model
   */
  static Lease acquire(ScoringSettings settings) {
    Path file = Path.of(settings.location());
    if (!Files.isReadable(file)) {
      throw new ModelLoadException("model location '" + settings.location() + "': expected a model file or directory"
          + " this TaskManager can read, but there is none");
    }
    String version = settings.version().isEmpty() ? fileVersion(file) : settings.version();
    Key key = new Key(settings, version);
    synchronized (ENTRIES) {
      Entry entry = ENTRIES.get(key);
      if (entry == null) {
        entry = load(settings, file, version);
        ENTRIES.put(key, entry);
        // retire the other versions of this location: no new leases; each closes with its last lease
        ENTRIES.keySet().removeIf(k -> !k.version().equals(version) && k.settings().location().equals(settings.location()));
      }
      entry.leases++;
      return new Lease(key, entry);
    }
  }

  private static Entry load(ScoringSettings s, Path file, String version) {
    LoadOptions.Builder options = LoadOptions.newBuilder().intraOpThreads(1).interOpThreads(1).modelVersion(version);
    if (s.micrometer()) {
      options.meterRegistry(Metrics.globalRegistry);
    }
    Model model = Model.load(file, options.build());
    try {
      ServingChain.Builder chain = ServingChain.newBuilder(model.predictor());
      if (s.batching()) {
        if (s.latencyTarget().isZero()) {
          chain.batching(b -> b.maxBatchSize(s.maxBatchSize()).maxQueueDelay(s.maxQueueDelay()).workers(s.threads()));
        } else {
          chain.batching(b -> b.maxBatchSize(s.maxBatchSize()).latencyTarget(s.latencyTarget()).workers(s.threads()));
        }
      }
      if (s.micrometer()) {
        chain.meterRegistry(Metrics.globalRegistry);
      }
      ServingChain built = chain.build();
      LOADS.increment();
      LOG.info("loaded model {} (version {}) for Flink scoring, batching {}", s.location(), version, s.batching());
      return new Entry(model, built, Executors.newFixedThreadPool(s.threads(), daemonThreads()));
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "jinfer-flink-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static String fileVersion(Path file) {
    try {
      return Files.size(file) + "-" + Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      throw new ModelLoadException("model location '" + file + "': cannot read its size and modification time", e);
    }
  }

  /** @return how many models this JVM has loaded for Flink scoring since it started */
  public static long loads() {
    return LOADS.sum();
  }

  /** @return how many models this JVM has closed since it started (each when its last subtask let go) */
  public static long closes() {
    return CLOSES.sum();
  }

  /** @return how many models are loaded in this JVM now and given to new subtasks (retired ones not counted) */
  public static int size() {
    synchronized (ENTRIES) {
      return ENTRIES.size();
    }
  }
}
