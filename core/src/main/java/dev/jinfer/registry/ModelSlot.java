package dev.jinfer.registry;

import dev.jinfer.Model;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model of a registry: its versions' records, its aliases and canary share, and the route that
 * handles read. {@link #reload} brings the loaded versions in line with the disk and the policy, and
 * then swaps the route in one volatile write: a new version takes traffic only once loaded, checked and
 * warm, a version that fails leaves the current ones serving, and a version that leaves the route is
 * retired, to close after its last call in flight.
 *
 * <p>Thread-safe as used: {@link #route()} and {@link #status()} from any thread; {@link #reload},
 * {@link #setAlias}, {@link #setCanaryPercent} and {@link #retireAll} only under the registry's lock.
 */
final class ModelSlot {
  private static final Logger LOG = LoggerFactory.getLogger(ModelSlot.class);
  /** The alias that, when set, is the primary of the unversioned route. */
  public static final String STABLE = "stable";
  /** The alias that, when set, receives the canary share. */
  public static final String CANARY = "canary";

  private final String name;
  private final RegistryConfig config;
  private final VersionLoader loader;
  private final RegistryMeters meters;
  private final boolean named;
  private volatile boolean present;
  private final ConcurrentSkipListMap<Long, VersionRecord> records = new ConcurrentSkipListMap<>();
  private final ConcurrentSkipListMap<Long, RegisteredVersion> registered = new ConcurrentSkipListMap<>();
  private final Map<String, Long> aliases;
  private volatile int canaryPercent;
  private volatile RegistryRoute route = RegistryRoute.EMPTY;
  private volatile @Nullable String error;

  /**
   * Creates a slot that has loaded nothing yet.
   *
   * @param name the model name
   * @param config the registry configuration
   * @param loader the version loader
   * @param meters the registry meters
   */
  public ModelSlot(String name, RegistryConfig config, VersionLoader loader, RegistryMeters meters) {
    this.name = name;
    this.config = config;
    this.loader = loader;
    this.meters = meters;
    this.named = config.required().contains(name);
    this.aliases = Collections.synchronizedMap(new LinkedHashMap<>(config.aliases().getOrDefault(name, Map.of())));
    this.canaryPercent = config.canaryPercents().getOrDefault(name, 0);
  }

  /** @return the model name */
  public String name() {
    return name;
  }

  /** @return the route now; never null */
  public RegistryRoute route() {
    return route;
  }

  /** @return the configured aliases, alias to version number (a copy) */
  public Map<String, Long> aliases() {
    synchronized (aliases) {
      return new LinkedHashMap<>(aliases);
    }
  }

  /**
   * Sets or removes an alias (call {@link #reload} after).
   *
   * @param alias the alias
   * @param version the version number, or null to remove it
   * @return the previous version, or null
   */
  public @Nullable Long setAlias(String alias, @Nullable Long version) {
    return version == null ? aliases.remove(alias) : aliases.put(alias, version);
  }

  /**
   * Sets the canary share (call {@link #reload} after).
   *
   * @param percent 0 to 100
   * @return the previous share
   */
  public int setCanaryPercent(int percent) {
    int before = canaryPercent;
    canaryPercent = percent;
    return before;
  }

  /**
   * Registers a version at run time (call {@link #reload} after): it takes the place of the repository's
   * version of that number, if any, and of an earlier registration of it.
   *
   * @param number the version number
   * @param version the registration
   * @return the registration it replaces, or null
   */
  public @Nullable RegisteredVersion register(long number, RegisteredVersion version) {
    return registered.put(number, version);
  }

  /**
   * Removes a registration (call {@link #reload} after).
   *
   * @param number the version number
   * @return the registration removed, or null if there was none
   */
  public @Nullable RegisteredVersion unregister(long number) {
    return registered.remove(number);
  }

  /** @return the registered version labels, by number */
  public Map<Long, String> registeredLabels() {
    Map<Long, String> labels = new TreeMap<>();
    registered.forEach((n, v) -> labels.put(n, v.label()));
    return labels;
  }

  /**
   * Brings the loaded versions in line with the disk, the policy and the aliases, then swaps the route.
   *
   * @param retryFailed whether to retry versions that failed even if their files have not changed
   */
  public void reload(boolean retryFailed) {
    Instant now = config.clock().instant();
    Repository repository = config.repository();
    List<String> problems = new ArrayList<>();
    TreeMap<Long, String> onDisk = new TreeMap<>();
    boolean inRepository = false;
    try {
      TreeMap<Long, String> found = repository.versions(name, problems);
      if (found != null) {
        inRepository = true;
        onDisk = found;
        if (found.isEmpty() && registered.isEmpty()) {
          problems.add("no numeric version directory under " + repository.where(name));
        }
      } else if (registered.isEmpty()) {
        problems.add(repository.absent(name));
      }
    } catch (IOException | RuntimeException e) {
      problems.add(message(e));
    }
    TreeMap<Long, String> disk = new TreeMap<>(onDisk);
    registered.forEach((n, v) -> disk.put(n, v.label()));
    present = inRepository || !registered.isEmpty();
    for (Map.Entry<Long, String> e : disk.entrySet()) {
      RegisteredVersion reg = registered.get(e.getKey());
      String source = reg != null ? "registered from " + reg.what() : repository.source(name, e.getValue());
      VersionRecord record = records.compute(e.getKey(), (n, r) -> r == null || (!r.label().equals(e.getValue()) && r.served() == null)
          ? new VersionRecord(n, e.getValue(), source, now) : r);
      record.source(source);
    }
    records.values().removeIf(r -> !disk.containsKey(r.number()) && r.served() == null);

    Set<Long> failed = new HashSet<>();
    for (VersionRecord r : records.values()) {
      if (r.state() == VersionState.FAILED && disk.containsKey(r.number())) {
        if (retryFailed || fingerprint(r) != r.failedFingerprint()) {
          r.forgetFailure(now);
        } else {
          failed.add(r.number());
        }
      }
    }

    List<ServedVersion> replaced = reloadRepublished(disk, problems);

    Map<String, Long> wantedAliases = aliases();
    VersionPolicy policy = config.policy(name);
    SortedSet<Long> policyPart;
    SortedSet<Long> desired;
    for (;;) {
      Set<Long> healthy = new TreeSet<>(disk.keySet());
      healthy.removeAll(failed);
      policyPart = policy.select(healthy);
      desired = new TreeSet<>(policyPart);
      for (Long target : wantedAliases.values()) {
        if (healthy.contains(target)) {
          desired.add(target);
        }
      }
      boolean newFailure = false;
      for (Long n : desired) {
        VersionRecord r = records.get(n);
        ServedVersion sv = r.served();
        if (sv != null && !sv.isRetired()) {
          continue;
        }
        if (!load(r)) {
          failed.add(n);
          newFailure = true;
        }
      }
      if (!newFailure) {
        break;
      }
    }

    RegistryRoute old = route;
    TreeMap<Long, ServedVersion> ready = new TreeMap<>();
    for (Long n : desired) {
      ready.put(n, records.get(n).served());
    }
    TreeMap<Long, ServedVersion> primaries = new TreeMap<>();
    policyPart.forEach(n -> primaries.put(n, ready.get(n)));
    if (primaries.isEmpty()) {
      // nothing the policy wants can serve: keep what served before, as long as it is still on disk
      for (ServedVersion sv : old.ready().values()) {
        if (disk.containsKey(sv.number()) && !sv.isRetired()) {
          ready.put(sv.number(), sv);
          primaries.put(sv.number(), sv);
        }
      }
      if (!primaries.isEmpty() && !disk.isEmpty()) {
        problems.add("no version the policy " + policy + " selects could be loaded; still serving " + labels(primaries.values()));
      }
    }
    Map<String, ServedVersion> routedAliases = new LinkedHashMap<>();
    for (Map.Entry<String, Long> a : wantedAliases.entrySet()) {
      ServedVersion target = ready.get(a.getValue());
      ServedVersion before = old.aliases().get(a.getKey());
      if (target != null) {
        routedAliases.put(a.getKey(), target);
      } else if (before != null && !before.isRetired() && disk.containsKey(before.number())) {
        ready.put(before.number(), before);
        routedAliases.put(a.getKey(), before);
        problems.add("alias '" + a.getKey() + "' wants version " + a.getValue() + ", which is not loaded" + why(a.getValue())
            + "; it still routes to version " + before.label());
      } else {
        problems.add("alias '" + a.getKey() + "' wants version " + a.getValue() + ", which is not loaded" + why(a.getValue()));
      }
    }
    RegistryRoute next = buildRoute(ready, primaries, routedAliases);
    route = next;
    error = problems.isEmpty() ? null : String.join("; ", problems);

    if (next.primary() != old.primary() || next.canary() != old.canary()) {
      meters.swap(name);
      LOG.info("model {}: unversioned traffic now goes to {}{} (was {}{})", name, label(next.primary()),
          next.canary() == null ? "" : " and " + next.canaryPercent() + "% to " + label(next.canary()),
          label(old.primary()), old.canary() == null ? "" : " and " + old.canaryPercent() + "% to " + label(old.canary()));
    }
    for (ServedVersion sv : replaced) {
      LOG.info("model {}: retiring the previous files of version {}; they close after their last call in flight", name, sv.label());
      sv.retire();
    }
    Set<ServedVersion> routed = Collections.newSetFromMap(new IdentityHashMap<>());
    routed.addAll(next.ready().values());
    for (VersionRecord r : records.values()) {
      ServedVersion sv = r.served();
      if (sv != null && !sv.isRetired() && !routed.contains(sv)) {
        r.unloading(config.clock().instant());
        LOG.info("model {}: retiring version {}; it closes after its last call in flight", name, sv.label());
        sv.retire();
      }
    }
  }

  private RegistryRoute buildRoute(TreeMap<Long, ServedVersion> ready, TreeMap<Long, ServedVersion> primaries,
      Map<String, ServedVersion> routedAliases) {
    int percent = canaryPercent;
    ServedVersion newest = primaries.isEmpty() ? (ready.isEmpty() ? null : ready.lastEntry().getValue()) : primaries.lastEntry().getValue();
    ServedVersion stable = routedAliases.get(STABLE);
    if (percent == 0) {
      return new RegistryRoute(ready, stable != null ? stable : newest, null, 0, routedAliases);
    }
    ServedVersion canary = routedAliases.getOrDefault(CANARY, newest);
    ServedVersion primary = stable;
    if (primary == null) {
      for (ServedVersion sv : primaries.descendingMap().values()) {
        if (sv != canary) {
          primary = sv;
          break;
        }
      }
    }
    if (primary == null) {
      return new RegistryRoute(ready, canary, null, percent, routedAliases);
    }
    return new RegistryRoute(ready, primary, canary == primary ? null : canary, percent, routedAliases);
  }

  /**
   * Loads again every served version whose files changed since it was loaded (a version number
   * republished in place). A new load that succeeds takes the version's place, and the old one is returned
   * to be retired once the new route is in place; one that fails leaves the old files serving, says so in
   * the status, and is not retried until the files change again.
   */
  private List<ServedVersion> reloadRepublished(Map<Long, String> disk, List<String> problems) {
    List<ServedVersion> replaced = new ArrayList<>();
    for (VersionRecord r : records.values()) {
      ServedVersion old = r.served();
      if (old == null || old.isRetired() || r.state() != VersionState.READY || !disk.containsKey(r.number())) {
        continue;
      }
      long now = fingerprint(r);
      if (now == r.loadedFingerprint() || now == r.rejectedFingerprint()) {
        continue;
      }
      RegisteredVersion reg = registered.get(r.number());
      LOG.warn("model {}: {}; loading them again", name, reg != null ? "version " + r.label() + " was registered again, from "
          + reg.what() : "the files of version " + r.label() + " changed since it was loaded (republished in place)");
      try {
        LoadedVersion loaded = loadVersion(r);
        Model model = loaded.model();
        ServedVersion sv = new ServedVersion(r.number(), r.label(), loaded, v -> r.closed(v, config.clock().instant()));
        r.ready(sv, now, config.clock().instant());
        meters.load(name, true);
        replaced.add(old);
        LOG.info("model {}: version {} now serves its new files ({})", name, r.label(), model.backend());
      } catch (IOException | RuntimeException e) {
        r.rejected(now);
        meters.load(name, false);
        String message = message(e);
        problems.add("the files of version " + r.label() + " changed but failed to load (" + message
            + "); it still serves the files loaded before");
        LOG.warn("model {}: the new files of version {} failed to load; it keeps serving the files loaded before: {}",
            name, r.label(), message);
      }
    }
    return replaced;
  }

  private boolean load(VersionRecord r) {
    long fingerprint = fingerprint(r);
    r.loading(config.clock().instant());
    try {
      LoadedVersion loaded = loadVersion(r);
      Model model = loaded.model();
      ServedVersion sv = new ServedVersion(r.number(), r.label(), loaded, v -> r.closed(v, config.clock().instant()));
      r.ready(sv, fingerprint, config.clock().instant());
      meters.load(name, true);
      LOG.info("model {}: version {} loaded and warm ({})", name, r.label(), model.backend());
      return true;
    } catch (IOException | RuntimeException e) {
      String message = message(e);
      r.failed(message, fingerprint, config.clock().instant());
      meters.load(name, false);
      LOG.warn("model {}: version {} failed to load; the versions serving keep serving: {}", name, r.label(), message);
      LOG.debug("model {}: version {} load failure", name, r.label(), e);
      return false;
    }
  }

  /** Loads a version from its registration, if it has one, else from the repository. */
  private LoadedVersion loadVersion(VersionRecord r) throws IOException {
    RegisteredVersion reg = registered.get(r.number());
    return reg != null ? reg.load(loader, name) : config.repository().load(loader, name, r.label());
  }

  /** A version's fingerprint: its registration's generation, or its files' fingerprint in the repository. */
  private long fingerprint(VersionRecord r) {
    RegisteredVersion reg = registered.get(r.number());
    return reg != null ? reg.generation() : config.repository().fingerprint(name, r.label());
  }

  private String why(long version) {
    VersionRecord r = records.get(version);
    if (r == null) {
      return " (no such version directory)";
    }
    VersionStatus s = r.status();
    return " (" + s.state() + s.error().map(e -> ": " + e).orElse("") + ")";
  }

  /**
   * Retires every version, for the registry's close.
   *
   * @return completes when every retired version has closed
   */
  public CompletableFuture<Void> retireAll() {
    route = RegistryRoute.EMPTY;
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (VersionRecord r : records.values()) {
      ServedVersion sv = r.unloading(config.clock().instant());
      if (sv != null) {
        sv.retire();
        closing.add(sv.closed());
      }
    }
    return CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new));
  }

  /**
   * The model's status now.
   *
   * @return an immutable snapshot
   */
  public ModelStatus status() {
    RegistryRoute r = route;
    List<VersionStatus> versions = records.values().stream().map(VersionRecord::status).toList();
    Map<String, String> aliasLabels = new LinkedHashMap<>();
    r.aliases().forEach((a, v) -> aliasLabels.put(a, v.label()));
    return new ModelStatus(name, required(), versions, Optional.ofNullable(r.primary()).map(ServedVersion::label),
        Optional.ofNullable(r.canary()).map(ServedVersion::label), canaryPercent, aliasLabels, Optional.ofNullable(error));
  }

  /**
   * Whether readiness waits for this model: it was named required, or none was and its directory exists.
   *
   * @return true if required
   */
  public boolean required() {
    return named || (config.required().isEmpty() && present);
  }

  /**
   * A version's status.
   *
   * @param version the number
   * @return its status, or empty
   */
  public Optional<VersionStatus> versionStatus(long version) {
    return Optional.ofNullable(records.get(version)).map(VersionRecord::status);
  }

  private static String labels(java.util.Collection<ServedVersion> versions) {
    return versions.stream().map(ServedVersion::label).toList().toString();
  }

  private static String label(@Nullable ServedVersion v) {
    return v == null ? "nothing" : "version " + v.label();
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
