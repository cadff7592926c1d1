package dev.jinfer.flink;

import dev.jinfer.NamedTensors;
import java.io.Serializable;

/**
 * Turns an event into the model's inputs (usually one row: {@code [1, n]}). Serializable, because Flink ships
 * it to the TaskManagers with the job; it should hold no model or other heavy state. Called concurrently
 * only if the implementation is shared by several subtasks in one JVM, so it should be stateless.
 *
 * @param <IN> the event type
 */
@FunctionalInterface
public interface FeatureFunction<IN> extends Serializable {
  /**
   * @param event an event of the stream
   * @return every input of the model's signature, by name
   * @throws dev.jinfer.InvalidInputException if the event cannot be turned into inputs (fails the event)
   */
  NamedTensors features(IN event);
}
