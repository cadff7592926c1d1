package dev.jinfer.flink;

import java.io.Serializable;
import java.time.Duration;

/**
 * How a TaskManager serves one model: the key of {@link TaskManagerModels} (subtasks with equal settings in
 * one JVM share the model and its chain). A {@code latencyTarget} of zero means fixed batching (by
 * {@code maxQueueDelay}); a positive one, the batcher's adaptive mode.
 */
record ScoringSettings(
    String location,
    String version,
    boolean batching,
    int maxBatchSize,
    Duration maxQueueDelay,
    Duration latencyTarget,
    int threads,
    boolean micrometer) implements Serializable {
}
