package dev.jinfer.flink;

import dev.jinfer.NamedTensors;
import java.io.Serializable;

/**
 * Makes the output event from an input event and the model's outputs for it. Serializable, because Flink
 * ships it with the job. It runs on a jinfer thread, not on the task thread, possibly for several events at
 * once, so it should be stateless.
 *
 * @param <IN> the event type
 * @param <OUT> the scored event type
 */
@FunctionalInterface
public interface ResultFunction<IN, OUT> extends Serializable {
  /**
   * @param event the event that was scored
   * @param outputs the model's outputs for it
   * @return the event to emit downstream
   */
  OUT result(IN event, NamedTensors outputs);
}
