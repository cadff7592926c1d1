package dev.jinfer.spark;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelLoadException;
import dev.jinfer.Predictor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
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
 * <p>The version is part of the key, so a new file at the same location (its size or modification time
 * changed, or an explicit version) loads beside the old one; a model stays loaded until {@link #closeAll()}
 * or JVM exit. The first load of a key fixes its options (threads): later jobs with other options share it.
 *
 * <p>Thread-safe: concurrent tasks that need the same model wait for one load.
 */
public final class SharedModels {
  private static final Logger LOG = LoggerFactory.getLogger(SharedModels.class);
  private static final ConcurrentMap<Key, Slot> MODELS = new ConcurrentHashMap<>();
  private static final LongAdder LOADS = new LongAdder();
  private static final LongAdder BATCHES = new LongAdder();
  private static final AtomicBoolean HOOK = new AtomicBoolean();

  private SharedModels() {
  }

  private record Key(String location, String version) {
  }

  /** One key's model, loaded once by the first caller; a failed load is not kept, so a later task retries. */
  private static final class Slot {
    private @Nullable Model model;
    private @Nullable Predictor predictor;

    synchronized Predictor get(Key key, Path file, int threads) {
      if (predictor == null) {
        LoadOptions options = LoadOptions.newBuilder().intraOpThreads(threads).interOpThreads(1)
            .modelVersion(key.version()).build();
        Model loaded = Model.load(file, options);
        LOADS.increment();
        model = loaded;
        predictor = loaded.predictor();
        LOG.info("loaded model {} (version {}) from {} for Spark scoring", key.location(), key.version(), file);
      }
      return predictor;
    }

    synchronized void close() {
      if (predictor != null) {
        predictor.close();
      }
      if (model != null) {
        model.close();
      }
      predictor = null;
      model = null;
    }
  }

  /**
   * The shared predictor of a model, loading it on first use in this JVM.
   *
   * @param location the model location as the user gave it (a path, or a file name in {@code SparkFiles})
   * @param version the version the driver computed or the user set
   * @param threads intra-op threads of the engine session
   * @return a thread-safe predictor, open until {@link #closeAll()}
   * @throws ModelLoadException if this JVM cannot read the location or the engine rejects it
   */
  static Predictor predictor(String location, String version, int threads) {
    Path file = ModelFiles.resolve(location);
    installHook();
    Key key = new Key(location, version);
    return MODELS.computeIfAbsent(key, k -> new Slot()).get(key, file, threads);
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

  /** @return how many models are loaded in this JVM now */
  public static int size() {
    return MODELS.size();
  }

  /**
   * Closes every model of this JVM (waiting for calls in flight) and forgets them; a later task loads its
   * model again. The JVM shutdown hook calls it; tests and long-lived drivers may too.
   */
  public static void closeAll() {
    List<Slot> slots = new ArrayList<>(MODELS.values());
    MODELS.clear();
    for (Slot slot : slots) {
      try {
        slot.close();
      } catch (RuntimeException e) {
        LOG.warn("closing a shared model failed", e);
      }
    }
  }
}
