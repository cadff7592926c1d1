package dev.jinfer.cli.bench;

import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What the load tool sends requests to: a predictor in this process or a REST service. Implementations
 * are thread-safe: every client thread calls {@link #call} at once.
 */
interface LoadTarget extends AutoCloseable {
  /** The signature requests are generated from and checked against. */
  ModelSignature signature();

  /** One line for the report: what is measured (model id, backend, wrapping, or URL). */
  String description();

  /**
   * Turns inputs into a ready-to-send request (for HTTP, the JSON body), so that the timed part of a
   * closed loop is the call itself.
   *
   * @param request the inputs
   * @return the request
   */
  Call prepare(NamedTensors request);

  /**
   * Turns inputs into a ready-to-send request that completes without a thread waiting for it, for an
   * event-driven closed loop (few threads, a request in flight per client), where the target has such a path.
   *
   * @param request the inputs
   * @param client the client (0 .. concurrency - 1) that will send it, e.g. to pick its connection
   * @return the request, or null when the target has no event-driven path (the runner then uses threads)
   */
  default @Nullable AsyncCall prepareAsync(NamedTensors request, int client) {
    return null;
  }

  /**
   * Cumulative counters of the wrappers (cache hits and misses, batcher requests and engine calls), read at
   * the start and the end of a level's measurement so the report can show their change.
   *
   * @return counter name to value; empty when there is nothing to count
   */
  default Map<String, Long> counters() {
    return Map.of();
  }

  /**
   * Whether the target remembers answers (a cache), so that a request repeated from a client's ring of prepared
   * requests would measure hits instead of the model.
   *
   * @return true if it caches
   */
  default boolean caches() {
    return false;
  }

  /**
   * Whether the target runs in another process (a service), so that this process's CPU is the tool's alone and a
   * process using every CPU means the tool, not the target, is saturated.
   *
   * @return true for a remote service, false for a predictor in this process
   */
  default boolean remote() {
    return false;
  }

  /** Clears state that would carry from one level to the next (the cache), so each level starts cold. */
  default void resetBetweenLevels() {}

  @Override
  void close();

  /** One prepared request. */
  @FunctionalInterface
  interface Call {
    /**
     * Sends the request and waits for its answer. Never throws for a failed request: the run goes on and
     * the failure is counted under its type.
     *
     * @return null on success, else the error's type (an {@code ErrorCode} name, or {@code HTTP <status> <code>})
     */
    @Nullable String send();
  }

  /** One prepared request, sent without blocking. */
  @FunctionalInterface
  interface AsyncCall {
    /**
     * Sends the request; {@code done} is called exactly once, with null on success, else the error's type (as
     * {@link Call#send}), on whatever thread the answer arrives. Never throws for a failed request.
     *
     * @param done what to do with the outcome
     */
    void send(java.util.function.Consumer<@Nullable String> done);
  }
}
