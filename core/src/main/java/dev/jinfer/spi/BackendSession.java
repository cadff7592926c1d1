package dev.jinfer.spi;

import dev.jinfer.Deadline;
import dev.jinfer.Device;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import java.util.List;
import java.util.Map;

/**
 * A model loaded into an engine, as a backend hands it to core. Core wraps it in a
 * {@link dev.jinfer.Model}: it validates every request against {@link #signature()} before calling
 * {@link #run}, counts calls in flight, and calls {@link #close()} only once no call is running and none
 * can start, so a backend never has to guard its native session against a concurrent close.
 *
 * <p>{@link #run} must be safe to call from many threads at once.
 */
public interface BackendSession extends AutoCloseable {
  /**
   * The model's inputs and outputs as the engine reports them.
   *
   * @return the signature
   */
  ModelSignature signature();

  /**
   * Model metadata the engine exposes (producer, description, custom keys).
   *
   * @return an unmodifiable map, possibly empty
   */
  Map<String, String> metadata();

  /**
   * Where the model runs.
   *
   * @return the device
   */
  Device device();

  /**
   * Runs one request. Inputs have already been validated against the signature. Every native handle
   * created for the call must be released before returning, on every path.
   *
   * @param inputs every input, by name
   * @param outputNames the outputs to return, in this order; never empty
   * @return the outputs, in the order asked, detached from native memory
   * @throws Exception any engine failure; core reports it as a {@link dev.jinfer.BackendException}
   */
  NamedTensors run(NamedTensors inputs, List<String> outputNames) throws Exception;

  /**
   * Whether {@link #run(NamedTensors, List, Deadline)} stops a running call at its deadline. When false
   * (the default), core runs a call that has a deadline on a helper thread and releases the caller at the
   * deadline, leaving the engine call to run out (it stays counted as in flight, so {@link #close()} still
   * waits for it) and discarding its result.
   *
   * @return true if the engine can cancel a running call
   */
  default boolean supportsCancellation() {
    return false;
  }

  /**
   * Runs one request that the engine stops at the deadline. Core calls it only when
   * {@link #supportsCancellation()} is true, only with a deadline that has not yet passed, and on the
   * caller's thread; the same rules as {@link #run(NamedTensors, List)} apply (validated inputs, native
   * handles released on every path). The session must stay usable after a stopped call. Core discards
   * outputs returned after the deadline. This default ignores the deadline.
   *
   * @param inputs every input, by name
   * @param outputNames the outputs to return, in this order; never empty
   * @param deadline when to stop the call
   * @return the outputs, in the order asked, detached from native memory
   * @throws dev.jinfer.DeadlineExceededException if the engine stopped the call because of the deadline
   *     (core adds the model's name)
   * @throws Exception any other engine failure; core reports it as a {@link dev.jinfer.BackendException}
   */
  default NamedTensors run(NamedTensors inputs, List<String> outputNames, Deadline deadline) throws Exception {
    return run(inputs, outputNames);
  }

  /**
   * Releases the native session. Called once, when no call is in flight. A failure to release is
   * thrown unchecked; core logs it.
   */
  @Override
  void close();
}
