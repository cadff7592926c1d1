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
 * @param source where the version is loaded from, for status pages and messages: for a directory repository
 *     the version directory's real path (e.g. {@code /srv/models/fraud/1}); for a classpath repository
 *     {@code classpath:<location>/<name>/<version>/} (e.g. {@code classpath:models/fraud/1/}); for a version
 *     registered at run time {@code registered from } and what it was registered from: {@code the bytes of
 *     fraud.onnx (1234 bytes)}, {@code a stream of fraud.onnx (1234 bytes)}, {@code classpath resource
 *     'models/fraud.onnx'} or {@code path /opt/fraud.onnx}
 */
public record VersionStatus(String version, VersionState state, Instant since, Optional<String> error, String source) {
  /** Checks the components are present. */
  public VersionStatus {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(error, "error");
    Objects.requireNonNull(source, "source");
  }
}
