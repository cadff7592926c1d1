/**
 * BatchingPredictor will live here: dynamic micro-batching of many single-row requests into one engine call (max batch size, max queue delay, bounded queue, deadlines, priorities, failure isolation). Nothing is implemented yet; see the batching issue.
 */
@NullMarked
package dev.jinfer.batching;

import org.jspecify.annotations.NullMarked;
