package dev.jinfer.registry;

/**
 * Where one version of a model in a {@link ModelRegistry} is in its life. Thread-safe (an enum).
 */
public enum VersionState {
  /** Being read, checked, loaded into the engine and warmed up; takes no traffic yet. */
  LOADING,
  /** Loaded and warm; may take traffic. */
  READY,
  /** Could not be loaded (missing or ambiguous artifact, checksum mismatch, engine error, warmup error); see the error. */
  FAILED,
  /** Retired: takes no new calls and closes once its last call in flight is done. */
  UNLOADING,
  /** On disk but not loaded, because the version policy does not want it (or it was retired). */
  UNLOADED
}
