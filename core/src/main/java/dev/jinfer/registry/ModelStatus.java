package dev.jinfer.registry;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One model in a {@link ModelRegistry}, as {@link ModelRegistry#status()} saw it: its versions and their
 * states, the version the unversioned handle routes to, the effective aliases and the canary split.
 *
 * <p>Immutable, so thread-safe.
 *
 * @param name the model name (its directory under the repository root)
 * @param required whether the registry's readiness waits for this model
 * @param versions every version on disk or still loaded, oldest first
 * @param servingVersion the version {@code predictor(name)} sends traffic to (the primary when a canary
 *     split is on); empty when no version is ready
 * @param canaryVersion the version that receives {@code canaryPercent} of the unversioned traffic; empty
 *     when no split is in effect
 * @param canaryPercent the configured canary share, 0 to 100
 * @param aliases alias to version, for the aliases that resolve to a loaded version now
 * @param error a problem with the model as a whole (no directory, no version, an alias that cannot be
 *     served); empty when there is none
 */
public record ModelStatus(
    String name,
    boolean required,
    List<VersionStatus> versions,
    Optional<String> servingVersion,
    Optional<String> canaryVersion,
    int canaryPercent,
    Map<String, String> aliases,
    Optional<String> error) {
  /** Copies the collections and checks the components are present. */
  public ModelStatus {
    Objects.requireNonNull(name, "name");
    versions = List.copyOf(versions);
    Objects.requireNonNull(servingVersion, "servingVersion");
    Objects.requireNonNull(canaryVersion, "canaryVersion");
    aliases = Map.copyOf(aliases);
    Objects.requireNonNull(error, "error");
  }

  /**
   * Whether the model can serve unversioned requests: some version is loaded, warm and routed to.
   *
   * @return true when {@link #servingVersion()} is present
   */
  public boolean isReady() {
    return servingVersion.isPresent();
  }

  /**
   * One version's status.
   *
   * @param version the version, compared numerically ({@code 3} finds {@code 00000003})
   * @return its status, or empty if the registry does not know it
   */
  public Optional<VersionStatus> version(String version) {
    for (VersionStatus v : versions) {
      if (v.version().equals(version) || sameNumber(v.version(), version)) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }

  private static boolean sameNumber(String a, String b) {
    try {
      return Long.parseLong(a) == Long.parseLong(b);
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
