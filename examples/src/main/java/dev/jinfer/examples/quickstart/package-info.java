/**
 * The quickstart: {@link dev.jinfer.examples.quickstart.Quickstart} scores synthetic transactions with
 * the bundled fraud model and prints predictions, latency percentiles and throughput.
 */
@NullMarked
package dev.jinfer.examples.quickstart;

import org.jspecify.annotations.NullMarked;
