package dev.jinfer.examples.rest;

import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.VersionState;
import dev.jinfer.registry.VersionStatus;
import java.util.List;

/** What the service says about itself in the Open Inference Protocol's metadata, on HTTP and gRPC alike. Stateless. */
final class OipServerInfo {
  /** The server name in the server metadata. */
  static final String NAME = "jinfer";
  /** The platform in the model metadata: every backend is reached through jinfer. */
  static final String PLATFORM = "jinfer";

  private OipServerInfo() {}

  /** @return jinfer's version from the jar manifest, or {@code "dev"} when run from classes */
  static String version() {
    String v = OipServerInfo.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** @return the versions of a model that are loaded and can serve, oldest first */
  static List<String> readyVersions(ModelStatus m) {
    return m.versions().stream().filter(v -> v.state() == VersionState.READY).map(VersionStatus::version).toList();
  }
}
