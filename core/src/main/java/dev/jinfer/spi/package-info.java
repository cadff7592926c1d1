/**
 * The service-provider interface for backend authors: implement {@link dev.jinfer.spi.Backend} and
 * {@link dev.jinfer.spi.BackendSession}, list the backend class in
 * {@code META-INF/services/dev.jinfer.spi.Backend}, and extend the compatibility kit
 * ({@code dev.jinfer.kit.BackendCompatibilityKit} in core's test-jar) to prove it behaves.
 */
@NullMarked
package dev.jinfer.spi;

import org.jspecify.annotations.NullMarked;
