package dev.jinfer.cache;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.kotlinx.lincheck.annotations.Operation;
import org.jetbrains.kotlinx.lincheck.annotations.Param;
import org.jetbrains.kotlinx.lincheck.paramgen.IntGen;
import org.jetbrains.kotlinx.lincheck.strategy.stress.StressOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of the cache's single flight (Lincheck, stress mode) over a concurrent map, as
 * {@link CachedPredictor} uses it: every concurrent history of loads must be one of {@link Spec}, a plain
 * memo table. A load of a key returns the generation of the entry it got (the model
 * numbers its computations per key), so a second computation of a key while one is in flight (no single
 * flight), a waiter served another flight's answer, or an error kept as an entry shows as a history no
 * sequential memo table produces. Key 2's computation always fails: every caller of it, leader or waiter,
 * gets the error ({@code -1}), and nothing is kept.
 *
 * <p>Invalidation is left out: removing a flight that is still computing lets a later load start a second
 * flight while the first finishes for its own callers (Caffeine's async cache behaves the same), so two
 * computations of one key overlap and their numbering follows when each reached the model, not the order of
 * the loads; Lincheck's stress mode found that history against a memo table. Both answers are the model's
 * answers to the same input, so no caller gets another input's answer ({@code CacheKeyPropertiesTest}).
 *
 * <p>Stress mode, not model checking: Lincheck 2.39's model checker cannot instrument objects that reach a
 * record ({@link ModelId}): "can't get field offset on a record class".
 */
@Timeout(120)
class SingleFlightLincheckTest {
  private static final ModelId MODEL = new ModelId("m", "1");
  private static final int FAILING = 2;
  private static final int MAX_GENERATIONS = 64;
  private static final KeySchema SCHEMA = new KeySchema(List.of("x"), Map.of(), -1L);
  /** Entry {@code [k][g]} is the g-th computation of key k: the harness maps an answer back by identity. */
  private static final NamedTensors[][] ANSWERS = new NamedTensors[2][MAX_GENERATIONS];

  static {
    for (int k = 0; k < 2; k++) {
      for (int g = 0; g < MAX_GENERATIONS; g++) {
        ANSWERS[k][g] = NamedTensors.of("y", Tensor.ofInts(new int[] {k, g}, 2));
      }
    }
  }

  private static CacheKey key(int k) {
    return new CacheKey(SCHEMA, MODEL, k, 0, null, new long[] {k});
  }

  /** A single flight over a fresh map, one per scenario. */
  @Param(name = "key", gen = IntGen.class, conf = "0:2")
  public static final class Harness {
    private final ConcurrentHashMap<CacheKey, CompletableFuture<NamedTensors>> map = new ConcurrentHashMap<>();
    private final AtomicIntegerArray computations = new AtomicIntegerArray(2);
    private final SingleFlight flight = new SingleFlight(map, this::compute, () -> MODEL, () -> 0L,
        new SingleFlight.Listener() {
          @Override
          public void joinedAfterMiss() {
            // counted by CachedPredictor; nothing to count here
          }

          @Override
          public void loaded(long nanos, boolean success) {
            // likewise
          }
        });

    private NamedTensors compute(CacheKey key, NamedTensors inputs, CallOptions options) {
      int k = (int) key.h1;
      if (k == FAILING) {
        throw new BackendException("model failed on key " + k);
      }
      return ANSWERS[k][computations.incrementAndGet(k)];
    }

    /** @return the generation of the entry served, or -1 if the load failed */
    @Operation
    public int load(@Param(name = "key") int k) {
      NamedTensors out;
      try {
        out = flight.load(key(k), NamedTensors.of("x", Tensor.ofInts(new int[] {k}, 1)), CallOptions.defaults(), false);
      } catch (BackendException e) {
        return -1;
      }
      for (int g = 0; g < MAX_GENERATIONS; g++) {
        if (out == ANSWERS[k][g]) {
          return g;
        }
      }
      throw new AssertionError("key " + k + " was served an answer computed for another key");
    }
  }

  /** The sequential specification: a memo table with a computation counter per key. */
  public static final class Spec {
    private final Map<Integer, Integer> entries = new HashMap<>();
    private final int[] computations = new int[2];

    public int load(int k) {
      if (k == FAILING) {
        return -1;
      }
      return entries.computeIfAbsent(k, x -> ++computations[x]);
    }
  }

  @Test
  void singleFlight_isLinearizable_againstAMemoTable() {
    LinChecker.check(Harness.class, new StressOptions()
        .iterations(30)
        .invocationsPerIteration(1_500)
        .threads(3)
        .actorsPerThread(3)
        .actorsBefore(2)
        .actorsAfter(2)
        .sequentialSpecification(Spec.class));
  }
}
