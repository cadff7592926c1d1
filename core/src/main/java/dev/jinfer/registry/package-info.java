/**
 * The model registry: {@link dev.jinfer.registry.ModelRegistry} serves the versions of a model repository
 * laid out as {@code <root>/<name>/<version>/<artifact>} (the layout TF Serving and Triton use), with version
 * policies ({@link dev.jinfer.registry.VersionPolicy}), aliases, integrity checks
 * ({@link dev.jinfer.registry.IntegrityMode}), status snapshots ({@link dev.jinfer.registry.RegistryStatus},
 * {@link dev.jinfer.registry.ModelStatus}, {@link dev.jinfer.registry.VersionStatus}) and atomic hot swap:
 * new requests go to the new version while calls in flight finish on the old one, which closes after its
 * last call. Everything else in the package (layout scanning, loading, leases, routes, meters) is
 * package-private.
 */
@NullMarked
package dev.jinfer.registry;

import org.jspecify.annotations.NullMarked;
