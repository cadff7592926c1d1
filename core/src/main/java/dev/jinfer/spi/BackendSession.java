package dev.jinfer.spi;

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
   * Releases the native session. Called once, when no call is in flight. A failure to release is
   * thrown unchecked; core logs it.
   */
  @Override
  void close();
}
