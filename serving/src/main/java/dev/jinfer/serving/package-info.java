/**
 * The one serving chain: {@link dev.jinfer.serving.ServingChain} assembles cache, circuit breaker, batcher
 * and a version-pinned predictor in that order, with one set of defaults and one close sequence, for the
 * CLI's {@code bench}, the REST service and every later integration.
 */
@NullMarked
package dev.jinfer.serving;

import org.jspecify.annotations.NullMarked;
