/**
 * Dynamic micro-batching: {@link dev.jinfer.batching.BatchingPredictor} wraps any
 * {@link dev.jinfer.Predictor} and serves many small concurrent requests with few large engine calls,
 * with a bounded queue, deadlines, priorities, failure isolation and an adaptive mode that follows a
 * latency target.
 */
@NullMarked
package dev.jinfer.batching;

import org.jspecify.annotations.NullMarked;
