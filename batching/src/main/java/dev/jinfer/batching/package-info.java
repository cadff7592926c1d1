/**
 * Dynamic micro-batching: {@link dev.jinfer.batching.BatchingPredictor} wraps any
 * {@link dev.jinfer.Predictor} and serves many small concurrent requests with few large engine calls,
 * with a bounded queue, deadlines, priorities, failure isolation and an adaptive mode that follows a
 * latency target. A request's deadline and priority come from the call's {@link dev.jinfer.CallOptions},
 * so they reach the batcher through any {@link dev.jinfer.ForwardingPredictor} placed in front of it.
 *
 * <p>{@code BatchingPredictor} is the only public class besides its {@code Builder} and the
 * {@link dev.jinfer.batching.BatchingStats} snapshot; the package-private classes beside it each do one
 * thing: {@code BatcherConfig} (the builder's settings and defaults), {@code BatcherState} (the lock, the
 * queue and the lifecycle they share), {@code Admission} (validation, request creation, queue-full and
 * priority displacement), {@code Workers} (the threads and the dispatch loop), {@code Drain} (close),
 * {@code BatchCounters} (stats and meters), {@code BatchQueue} (the queue policy as pure functions of the
 * time) and {@code BatchRunner} (one batch: concatenate, call, split, isolate failures).
 */
@NullMarked
package dev.jinfer.batching;

import org.jspecify.annotations.NullMarked;
