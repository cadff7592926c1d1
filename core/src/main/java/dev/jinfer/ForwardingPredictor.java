package dev.jinfer;

import java.util.List;
import java.util.Objects;

/**
 * The base of a decorator: a {@link Predictor} that forwards every call, with its {@link CallOptions}, to
 * the predictor it wraps. A subclass overrides only what it changes: a breaker overrides
 * {@link #predict(NamedTensors, List, CallOptions)} to guard the call, a cache to look it up first, and the
 * deadline and priority in the options still reach the layers below.
 *
 * <p>Asynchronous calls are not forwarded: they run this object's {@code predict} on the caller's executor
 * (the {@link Predictor} default), so a subclass that overrides only {@code predict} still sees every call.
 * A subclass that can complete calls without blocking a thread overrides
 * {@link #predictAsync(NamedTensors, List, CallOptions, java.util.concurrent.Executor)} too.
 *
 * <p>{@link #close()} does nothing: a decorator does not own the predictor it wraps. Thread-safe if the
 * subclass is.
 */
public abstract class ForwardingPredictor implements Predictor {
  private final Predictor delegate;

  /**
   * Wraps a predictor.
   *
   * @param delegate the predictor calls are forwarded to
   * @throws NullPointerException if it is null
   */
  protected ForwardingPredictor(Predictor delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /**
   * The wrapped predictor.
   *
   * @return the predictor calls are forwarded to
   */
  protected final Predictor delegate() {
    return delegate;
  }

  @Override
  public ModelId modelId() {
    return delegate.modelId();
  }

  @Override
  public ModelSignature signature() {
    return delegate.signature();
  }

  /**
   * Forwards the call and its options to the wrapped predictor.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted; empty for all
   * @param options the call's deadline, priority and attachments
   * @return the wrapped predictor's outputs
   * @throws InferenceException whatever the wrapped predictor throws
   * @throws ModelClosedException if the wrapped predictor is closed
   */
  @Override
  public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    return delegate.predict(inputs, outputNames, options);
  }

  /** Releases nothing: the wrapped predictor belongs to whoever created it. */
  @Override
  public void close() {}

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + delegate + "]";
  }
}
