/**
 * What several core packages share and no user should touch: the lease counter that lets a model or a
 * registry version close only after its last call ({@link dev.jinfer.internal.LeaseCounter}) and the
 * synthetic warmup inputs ({@link dev.jinfer.internal.WarmupInputs}). Not API: no module outside core may
 * import it (checked by the architecture test) and the module descriptor does not export it.
 */
@NullMarked
package dev.jinfer.internal;

import org.jspecify.annotations.NullMarked;
