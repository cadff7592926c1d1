package dev.jinfer.spark;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelLoadException;
import dev.jinfer.Predictor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM-wide holder of the models Spark tasks score with: one {@link Model} per model location and
 * version in each JVM (the driver, which loads it once to check the signature, and each executor), shared by
 * every task of every job in that JVM and closed by a JVM shutdown hook. Models never travel with a task's
 * closure: a task carries the location and version, and the first task of an executor loads the model.
 *
 * <p><b>One version per location.</b> The version is part of the key, so a new file at the same location (its
 * size or modification time changed, or an explicit version) loads anew; once it has loaded, the other versions
 * of that location are retired: no task gets them any more, and each is closed as soon as the last task using it
 * has finished (at once if none does). A task holds its model from its start to its completion (a lease released
 * by a task completion listener), so a retired model never closes under a running task. The first load of a key
 * fixes its options (threads): later jobs with other options share it.
 *
 * <p>Thread-safe: concurrent tasks that need the same model wait for one load.
 */
public final class SharedModels {
  private static final Logger LOG = LoggerFactory.getLogger(SharedModels.class);
  /** Guards MODELS and every slot's state; loads run under it too (tasks of a JVM wait for one load). */
  private static final Object LOCK = new Object();
  private static final Map<Key, Slot> MODELS = new HashMap<>();
  private static final LongAdder LOADS = new LongAdder();
  private static final LongAdder CLOSES = new LongAdder();
  private static final LongAdder BATCHES = new LongAdder();
  private static final AtomicBoolean HOOK = new AtomicBoolean();

  private SharedModels() {
  }

  private record Key(String location, String version) {
  }

  /** One key's model, loaded once by the first caller; a failed load is not kept, so a later task retries. */
  private static final class Slot {
    private final Key key;
    private @Nullable Model model;
    private @Nullable Predictor predictor;
    private int leases;
    private boolean retired;

    Slot(Key key) {
      this.key = key;
    }

    synchronized void close() {
      if (predictor != null) {
        predictor.close();
      }
      if (model != null) {
        model.close();
        CLOSES.increment();
        LOG.info("closed model {} (version {})", key.location(), key.version());
      }
      predictor = null;
      model = null;
    }
  }

  /** A task's (or the driver check's) hold on a model: a retired model stays open until its last lease is closed. */
  static final class Lease implements AutoCloseable {
    private final Slot slot;
    private final Predictor predictor;
    private boolean closed;

    private Lease(Slot slot, Predictor predictor) {
      this.slot = slot;
      this.predictor = predictor;
    }

    Predictor predictor() {
      return predictor;
    }

    /** Releases the model; the last release of a retired model closes it. Idempotent. */
    @Override
    public void close() {
      synchronized (LOCK) {
        if (closed) {
          return;
        }
        closed = true;
        if (--slot.leases > 0 || !slot.retired) {
          return;
        }
      }
      closeQuietly(slot);
    }
  }

  /**
   * A lease on the shared predictor of a model, loading it on first use in this JVM and retiring the other
   * versions of its location.
   *
   * @param location the model location as the user gave it (a path, or a file name in {@code SparkFiles})
   * @param version the version the driver computed or the user set
   * @param threads intra-op threads of the engine session
   * @return a lease whose thread-safe predictor stays open until the lease is closed
   * @throws ModelLoadException if this JVM cannot read the location or the engine rejects it
   */
  static Lease acquire(String location, String version, int threads) {
    Path file = ModelFiles.resolve(location);
    installHook();
    Key key = new Key(location, version);
    List<Slot> retired = new ArrayList<>();
    Lease lease;
    synchronized (LOCK) {
      Slot slot = MODELS.computeIfAbsent(key, Slot::new);
      if (slot.predictor == null) {
        LoadOptions options = LoadOptions.newBuilder().intraOpThreads(threads).interOpThreads(1)
            .modelVersion(version).build();
        Model loaded;
        try {
          loaded = Model.load(file, options);
        } catch (RuntimeException e) {
          MODELS.remove(key);
          throw e;
        }
        LOADS.increment();
        slot.model = loaded;
        slot.predictor = loaded.predictor();
        LOG.info("loaded model {} (version {}) from {} for Spark scoring", location, version, file);
        for (Iterator<Slot> it = MODELS.values().iterator(); it.hasNext(); ) {
          Slot other = it.next();
          if (other != slot && other.key.location().equals(location)) {
            it.remove();
            other.retired = true;
            if (other.leases == 0) {
              retired.add(other);
            }
          }
        }
      }
      slot.leases++;
      lease = new Lease(slot, slot.predictor);
    }
    retired.forEach(SharedModels::closeQuietly);
    return lease;
  }

  static void countBatch() {
    BATCHES.increment();
  }

  private static void installHook() {
    if (HOOK.compareAndSet(false, true)) {
      Runtime.getRuntime().addShutdownHook(new Thread(SharedModels::closeAll, "jinfer-spark-models-close"));
    }
  }

  /** @return how many models this JVM has loaded for Spark scoring since it started */
  public static long loads() {
    return LOADS.sum();
  }

  /** @return how many batches (engine calls) this JVM's tasks have scored since it started */
  public static long batches() {
    return BATCHES.sum();
  }

  /** @return how many models are loaded in this JVM now and given to new tasks (retired ones not counted) */
  public static int size() {
    synchronized (LOCK) {
      return MODELS.size();
    }
  }

  /** @return how many models this JVM has closed (retired versions and {@link #closeAll()}) since it started */
  public static long closes() {
    return CLOSES.sum();
  }

  /**
   * Closes every model of this JVM (waiting for calls in flight) and forgets them; a later task loads its
   * model again. The JVM shutdown hook calls it; tests and long-lived drivers may too.
   */
  public static void closeAll() {
    List<Slot> slots;
    synchronized (LOCK) {
      slots = new ArrayList<>(MODELS.values());
      MODELS.clear();
      slots.forEach(slot -> slot.retired = true);
    }
    slots.forEach(SharedModels::closeQuietly);
  }

  private static void closeQuietly(Slot slot) {
    try {
      slot.close();
    } catch (RuntimeException e) {
      LOG.warn("closing shared model {} (version {}) failed", slot.key.location(), slot.key.version(), e);
    }
  }
}
