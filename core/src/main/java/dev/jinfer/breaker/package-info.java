/**
 * The circuit breaker: {@link dev.jinfer.breaker.CircuitBreaker} (closed, open, half-open, disabled and
 * forced-open states swapped by compare-and-set over a count- or time-based sliding window of outcomes and
 * slow calls) decorates any {@link dev.jinfer.Predictor}, optionally with a fallback, and refuses calls
 * with {@link dev.jinfer.breaker.CircuitOpenException} while open. The windows, states and meters are
 * package-private.
 */
@NullMarked
package dev.jinfer.breaker;

import org.jspecify.annotations.NullMarked;
