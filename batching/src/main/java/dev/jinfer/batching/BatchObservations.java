package dev.jinfer.batching;

import dev.jinfer.ModelId;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The child observations of a batched request, when the batcher has an {@link ObservationRegistry} and the
 * request was submitted inside an observation (the serving chain's, or the caller's own): {@value #QUEUE}
 * from enqueue until its batch is taken (or it leaves the queue otherwise), and {@value #ENGINE} for the
 * engine call of its batch. Without a registry or a current observation nothing is created. Thread-safe.
 */
final class BatchObservations {
  static final String QUEUE = "jinfer.batch.queue";
  static final String ENGINE = "jinfer.batch.engine";

  private final @Nullable ObservationRegistry registry;
  private final ModelId id;
  private final KeyValues keys;

  BatchObservations(@Nullable ObservationRegistry registry, ModelId id) {
    this.registry = registry;
    this.id = id;
    this.keys = KeyValues.of(KeyValue.of("jinfer.model", id.name()), KeyValue.of("jinfer.version", id.version()));
  }

  /** Starts the queue observation of a request about to be queued, on the submitting thread. */
  void queued(PendingRequest r) {
    ObservationRegistry reg = registry;
    if (reg == null || reg.isNoop()) {
      return;
    }
    Observation parent = reg.getCurrentObservation();
    if (parent == null) {
      return;
    }
    r.parentObservation = parent;
    r.queueObservation = Observation.createNotStarted(QUEUE, reg).parentObservation(parent)
        .contextualName("jinfer queue " + id.name()).lowCardinalityKeyValues(keys).start();
    r.future.whenComplete((value, error) -> leftQueue(r, error));
  }

  /** Stops the queue observation (once): the batch was taken, or the request left the queue with an error. */
  void leftQueue(PendingRequest r, @Nullable Throwable error) {
    Observation q;
    synchronized (r) {
      q = r.queueObservation;
      r.queueObservation = null;
    }
    if (q != null) {
      if (error != null) {
        q.error(error);
      }
      q.stop();
    }
  }

  /** Starts the engine observation of each request of a batch, on the batcher thread. */
  void engineStarts(List<PendingRequest> batch, int rows) {
    ObservationRegistry reg = registry;
    if (reg == null) {
      return;
    }
    for (PendingRequest r : batch) {
      leftQueue(r, null);
      Observation parent = r.parentObservation;
      if (parent != null) {
        r.engineObservation = Observation.createNotStarted(ENGINE, reg).parentObservation(parent)
            .contextualName("jinfer engine " + id.name()).lowCardinalityKeyValues(keys)
            .highCardinalityKeyValue("jinfer.batch.rows", Integer.toString(rows))
            .highCardinalityKeyValue("jinfer.batch.requests", Integer.toString(batch.size())).start();
      }
    }
  }

  /** Stops the engine observation of each request of a batch, with the batch's error if it failed. */
  void engineEnds(List<PendingRequest> batch, @Nullable Throwable error) {
    for (PendingRequest r : batch) {
      Observation e = r.engineObservation;
      r.engineObservation = null;
      if (e != null) {
        if (error != null) {
          e.error(error);
        }
        e.stop();
      }
    }
  }
}
