package dev.jinfer.registry;

import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Where a registry model's traffic goes at one moment: the ready versions by number, the primary (what
 * the unversioned handle serves), the canary and its share, and the aliases. Immutable: a reload builds
 * a new route and publishes it with one volatile write, which is the whole of an atomic swap.
 *
 * @param ready the loaded, warm versions by number
 * @param primary where unversioned traffic goes (all of it, or 100 - canaryPercent of it)
 * @param canary where canaryPercent of unversioned traffic goes; null when there is no split
 * @param canaryPercent 0 to 100
 * @param aliases alias to version
 */
record RegistryRoute(NavigableMap<Long, ServedVersion> ready, @Nullable ServedVersion primary,
    @Nullable ServedVersion canary, int canaryPercent, Map<String, ServedVersion> aliases) {
  /** A route to nothing. */
  public static final RegistryRoute EMPTY = new RegistryRoute(new TreeMap<>(), null, null, 0, Map.of());

  /** Makes the collections unmodifiable. */
  public RegistryRoute {
    ready = Collections.unmodifiableNavigableMap(new TreeMap<>(ready));
    aliases = Map.copyOf(aliases);
  }

  /**
   * The version for one unversioned request.
   *
   * @param sampler uniform in [0, 1)
   * @return the canary for a {@code canaryPercent} share of calls, else the primary; null if none
   */
  public @Nullable ServedVersion pick(DoubleSupplier sampler) {
    ServedVersion c = canary;
    if (c != null && sampler.getAsDouble() * 100 < canaryPercent) {
      return c;
    }
    return primary;
  }
}
