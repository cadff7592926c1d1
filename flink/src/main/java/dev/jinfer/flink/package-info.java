/**
 * Flink stream scoring: {@link dev.jinfer.flink.AsyncScoringFunction} scores each event of a
 * {@code DataStream} through {@code AsyncDataStream} (ordered or unordered) over the serving chain's
 * {@code predictAsync}, with optional micro-batching across in-flight events, a model per TaskManager JVM
 * ({@link dev.jinfer.flink.TaskManagerModels}) and Flink and Micrometer metrics.
 */
@NullMarked
package dev.jinfer.flink;

import org.jspecify.annotations.NullMarked;
