package dev.jinfer.registry;

import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a registry knows of one version of one model: its status, the loaded version when there is one,
 * and, after a failure, the fingerprint of the files that failed (so that a poll retries only changed
 * files). Written under the registry's reload lock, except the UNLOADING to UNLOADED step, which the
 * thread that closes the model takes; synchronized, so thread-safe.
 */
final class VersionRecord {
  private final long number;
  private final String label;
  private VersionStatus status;
  private String source;
  private @Nullable ServedVersion served;
  private long failedFingerprint;
  private long loadedFingerprint;
  private long rejectedFingerprint;

  VersionRecord(long number, String label, String source, Instant now) {
    this.number = number;
    this.label = label;
    this.source = source;
    this.status = new VersionStatus(label, VersionState.UNLOADED, now, Optional.empty(), source);
  }

  /**
   * Sets where the version is loaded from (a registration takes the place of the repository's files, and
   * unregistering gives it back), keeping the state.
   *
   * @param source the source, as {@link VersionStatus#source()} describes it
   */
  synchronized void source(String source) {
    if (!source.equals(this.source)) {
      this.source = source;
      status = new VersionStatus(label, status.state(), status.since(), status.error(), source);
    }
  }

  long number() {
    return number;
  }

  String label() {
    return label;
  }

  synchronized VersionStatus status() {
    return status;
  }

  synchronized VersionState state() {
    return status.state();
  }

  synchronized @Nullable ServedVersion served() {
    return served;
  }

  synchronized long failedFingerprint() {
    return failedFingerprint;
  }

  synchronized void loading(Instant now) {
    status = new VersionStatus(label, VersionState.LOADING, now, Optional.empty(), source);
  }

  /** @return the fingerprint of the files the served version was loaded from */
  synchronized long loadedFingerprint() {
    return loadedFingerprint;
  }

  /** @return the fingerprint of republished files that failed to load (not retried until they change) */
  synchronized long rejectedFingerprint() {
    return rejectedFingerprint;
  }

  synchronized void rejected(long fingerprint) {
    rejectedFingerprint = fingerprint;
  }

  synchronized void ready(ServedVersion version, long fingerprint, Instant now) {
    served = version;
    loadedFingerprint = fingerprint;
    rejectedFingerprint = 0;
    status = new VersionStatus(label, VersionState.READY, now, Optional.empty(), source);
  }

  synchronized void failed(String error, long fingerprint, Instant now) {
    served = null;
    failedFingerprint = fingerprint;
    status = new VersionStatus(label, VersionState.FAILED, now, Optional.of(error), source);
  }

  synchronized void forgetFailure(Instant now) {
    if (status.state() == VersionState.FAILED) {
      status = new VersionStatus(label, VersionState.UNLOADED, now, Optional.empty(), source);
    }
  }

  /**
   * Marks the loaded version retired; the record becomes UNLOADED once that version has closed.
   *
   * @param now the clock
   * @return the version to retire, or null if none was loaded
   */
  synchronized @Nullable ServedVersion unloading(Instant now) {
    ServedVersion v = served;
    if (v != null) {
      status = new VersionStatus(label, VersionState.UNLOADING, now, Optional.empty(), source);
    }
    return v;
  }

  synchronized void closed(ServedVersion version, Instant now) {
    if (served == version) {
      served = null;
      if (status.state() == VersionState.UNLOADING) {
        status = new VersionStatus(label, VersionState.UNLOADED, now, Optional.empty(), source);
      }
    }
  }
}
