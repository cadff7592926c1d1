package dev.jinfer.registry;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One version of a model in a {@link ModelRegistry}, as {@link ModelRegistry#status()} saw it.
 *
 * <p>Immutable, so thread-safe.
 *
 * @param version the version as its directory is named, e.g. {@code 00000123}
 * @param state where the version is in its life
 * @param since when it entered that state (the registry's clock)
 * @param error why it failed, for {@link VersionState#FAILED}; empty otherwise
 */
public record VersionStatus(String version, VersionState state, Instant since, Optional<String> error) {
  /** Checks the components are present. */
  public VersionStatus {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(error, "error");
  }
}
