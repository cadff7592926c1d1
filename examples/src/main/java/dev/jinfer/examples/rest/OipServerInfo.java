package dev.jinfer.examples.rest;

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
}
