package dev.jinfer.registry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Which versions of a model a {@link ModelRegistry} keeps loaded, chosen among the numeric version
 * directories on disk that have not failed to load: the latest one (the default), the latest
 * {@code n}, or specific ones. Versions an alias points to are loaded as well, whatever the policy.
 *
 * <p>Immutable and thread-safe.
 */
public final class VersionPolicy {
  private static final VersionPolicy LATEST = new VersionPolicy(1, null);

  private final int latest;
  private final long @Nullable [] specific;

  private VersionPolicy(int latest, long @Nullable [] specific) {
    this.latest = latest;
    this.specific = specific;
  }

  /**
   * Serve the highest version only (the TF Serving and Triton default).
   *
   * @return the policy
   */
  public static VersionPolicy latest() {
    return LATEST;
  }

  /**
   * Keep the {@code n} highest versions loaded; the highest takes unversioned traffic, the others are
   * reachable by version or alias (and as the primary of a canary split).
   *
   * @param n at least 1
   * @return the policy
   * @throws IllegalArgumentException if {@code n} is below 1
   */
  public static VersionPolicy latest(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("latest versions must be > 0 but was " + n);
    }
    return n == 1 ? LATEST : new VersionPolicy(n, null);
  }

  /**
   * Keep every version on disk loaded.
   *
   * @return the policy
   */
  public static VersionPolicy all() {
    return new VersionPolicy(Integer.MAX_VALUE, null);
  }

  /**
   * Keep exactly these versions loaded (those of them on disk).
   *
   * @param versions one or more version numbers, each &gt;= 0 ({@code 123} matches directory {@code 00000123})
   * @return the policy
   * @throws IllegalArgumentException if no version is given or one is negative
   */
  public static VersionPolicy specific(long... versions) {
    if (versions == null || versions.length == 0) {
      throw new IllegalArgumentException("specific versions must name at least one version but named none");
    }
    for (long v : versions) {
      if (v < 0) {
        throw new IllegalArgumentException("specific versions must be >= 0 but included " + v);
      }
    }
    return new VersionPolicy(0, Arrays.stream(versions).distinct().sorted().toArray());
  }

  /**
   * The versions this policy wants among the candidates.
   *
   * @param candidates the version numbers on disk that have not failed
   * @return the chosen ones, ascending
   */
  public SortedSet<Long> select(Collection<Long> candidates) {
    TreeSet<Long> sorted = new TreeSet<>(candidates);
    TreeSet<Long> chosen = new TreeSet<>();
    if (specific != null) {
      for (long v : specific) {
        if (sorted.contains(v)) {
          chosen.add(v);
        }
      }
      return chosen;
    }
    for (Long v : sorted.descendingSet()) {
      if (chosen.size() >= latest) {
        break;
      }
      chosen.add(v);
    }
    return chosen;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VersionPolicy p && p.latest == latest && Arrays.equals(p.specific, specific);
  }

  @Override
  public int hashCode() {
    return 31 * latest + Arrays.hashCode(specific);
  }

  /** Formats as {@code latest(2)}, {@code all} or {@code specific[3, 5]}. */
  @Override
  public String toString() {
    if (specific != null) {
      List<Long> list = new ArrayList<>();
      for (long v : specific) {
        list.add(v);
      }
      return "specific" + list;
    }
    return latest == Integer.MAX_VALUE ? "all" : "latest(" + latest + ")";
  }
}
