package dev.jinfer.serving;

import dev.jinfer.CallOptions;
import dev.jinfer.ForwardingPredictor;
import dev.jinfer.InferenceException;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * The outermost layer of a chain with an {@link ObservationRegistry}: one {@link Observation} named
 * {@value #NAME} per call, with the model, the version and the outcome as low-cardinality key values. A
 * tracing bridge makes it a span (a child of the caller's), a meter handler a timer.
 */
final class ObservedPredictor extends ForwardingPredictor {
  /** The observation's name (and, with Micrometer's meter handler, the timer's). */
  static final String NAME = "jinfer.serving.predict";

  private final ObservationRegistry observations;
  private final ModelId id;
  private final KeyValues idKeys;

  ObservedPredictor(Predictor delegate, ObservationRegistry observations) {
    super(delegate);
    this.observations = observations;
    this.id = delegate.modelId();
    this.idKeys = KeyValues.of(KeyValue.of("jinfer.model", id.name()), KeyValue.of("jinfer.version", id.version()));
  }

  private Observation start() {
    return Observation.createNotStarted(NAME, observations)
        .contextualName("jinfer predict " + id.name())
        .lowCardinalityKeyValues(idKeys)
        .start();
  }

  private static void stop(Observation observation, @org.jspecify.annotations.Nullable Throwable error) {
    if (error == null) {
      observation.lowCardinalityKeyValue("outcome", "success");
    } else {
      observation.lowCardinalityKeyValue("outcome", outcome(error));
      observation.error(error);
    }
    observation.stop();
  }

  /** The outcome tag of a failed call: the error code of a jinfer error, else the exception's simple name. */
  static String outcome(Throwable error) {
    if (error instanceof InferenceException) {
      return ((InferenceException) error).code().name();
    }
    return error.getClass().getSimpleName();
  }

  @Override
  public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    Observation observation = start();
    NamedTensors out;
    Observation.Scope scope = observation.openScope();
    try {
      out = super.predict(inputs, outputNames, options);
    } catch (RuntimeException | Error e) {
      scope.close();
      stop(observation, e);
      throw e;
    }
    scope.close();
    stop(observation, null);
    return out;
  }

  @Override
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, CallOptions options,
      Executor executor) {
    Observation observation = start();
    CompletableFuture<NamedTensors> f;
    Observation.Scope scope = observation.openScope();
    try {
      f = delegate().predictAsync(inputs, outputNames, options, executor);
    } catch (RuntimeException e) {
      scope.close();
      stop(observation, e);
      return CompletableFuture.failedFuture(e);
    }
    scope.close();
    return f.whenComplete((r, e) -> stop(observation, e == null ? null : unwrap(e)));
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }
}
