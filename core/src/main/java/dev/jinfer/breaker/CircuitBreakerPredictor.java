package dev.jinfer.breaker;

import dev.jinfer.CallOptions;
import dev.jinfer.ForwardingPredictor;
import dev.jinfer.ModelClosedException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Ticker;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * A predictor whose calls go through a {@link CircuitBreaker}; see {@link CircuitBreaker#decorate}. Each
 * call reports its outcome to the very state that let it through, so a call that outlives its state
 * (permitted while closed, finished after the breaker opened) changes nothing. Thread-safe.
 */
final class CircuitBreakerPredictor extends ForwardingPredictor {
  private final CircuitBreaker breaker;
  private final Ticker ticker;
  private final @Nullable Predictor fallback;
  private final boolean fallbackOnFailure;
  private volatile boolean closed;

  CircuitBreakerPredictor(CircuitBreaker breaker, Predictor delegate, Ticker ticker) {
    super(delegate);
    this.breaker = breaker;
    this.ticker = ticker;
    this.fallback = breaker.fallback();
    this.fallbackOnFailure = breaker.fallbackOnFailure();
  }

  /**
   * Guards the call; passes the options (deadline, priority) to the delegate and to the fallback. A
   * deadline failure counts as a failed call.
   */
  @Override
  public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    if (closed) {
      throw closedException();
    }
    CircuitBreakerState granted = breaker.acquire();
    if (granted.rejects) {
      return refused(granted, inputs, outputNames, options);
    }
    long start = ticker.read();
    NamedTensors out;
    try {
      out = delegate().predict(inputs, outputNames, options);
    } catch (Throwable t) {
      long end = ticker.read();
      boolean counted = breaker.complete(granted, end - start, end, t);
      if (counted && fallbackOnFailure && t instanceof RuntimeException e) {
        return fallbackAfterFailure(e, inputs, outputNames, options);
      }
      throw t;
    }
    long end = ticker.read();
    breaker.complete(granted, end - start, end, null);
    return out;
  }

  private NamedTensors refused(CircuitBreakerState rejecting, NamedTensors inputs, List<String> outputNames,
      CallOptions options) {
    Predictor f = fallback;
    if (f == null) {
      throw breaker.openException(rejecting);
    }
    breaker.meters().fallback(true);
    try {
      return f.predict(inputs, outputNames, options);
    } catch (RuntimeException e) {
      CircuitOpenException open = breaker.openException(rejecting);
      open.addSuppressed(e);
      throw open;
    }
  }

  private NamedTensors fallbackAfterFailure(RuntimeException failure, NamedTensors inputs, List<String> outputNames,
      CallOptions options) {
    breaker.meters().fallback(false);
    try {
      return fallback.predict(inputs, outputNames, options);
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
      throw failure;
    }
  }

  @Override
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, CallOptions options,
      Executor executor) {
    if (closed) {
      return CompletableFuture.failedFuture(closedException());
    }
    CircuitBreakerState granted = breaker.acquire();
    if (granted.rejects) {
      return refusedAsync(granted, inputs, outputNames, options, executor);
    }
    long start = ticker.read();
    CompletableFuture<NamedTensors> f;
    try {
      f = delegate().predictAsync(inputs, outputNames, options, executor);
    } catch (Throwable t) {
      // the contract says predictAsync never throws; a delegate that does still gets recorded
      f = CompletableFuture.failedFuture(t);
    }
    if (!fallbackOnFailure) {
      return f.whenComplete((out, t) -> {
        long end = ticker.read();
        breaker.complete(granted, end - start, end, t == null ? null : unwrap(t));
      });
    }
    return f.handle((out, t) -> {
      long end = ticker.read();
      Throwable cause = t == null ? null : unwrap(t);
      boolean counted = breaker.complete(granted, end - start, end, cause);
      if (cause == null) {
        return CompletableFuture.completedFuture(out);
      }
      if (!counted || !(cause instanceof RuntimeException failure)) {
        return CompletableFuture.<NamedTensors>failedFuture(cause);
      }
      breaker.meters().fallback(false);
      return fallbackAsync(inputs, outputNames, options, executor).handle((fallbackOut, fallbackError) -> {
        if (fallbackError == null) {
          return fallbackOut;
        }
        failure.addSuppressed(unwrap(fallbackError));
        throw new CompletionException(failure);
      });
    }).thenCompose(x -> x);
  }

  private CompletableFuture<NamedTensors> refusedAsync(CircuitBreakerState rejecting, NamedTensors inputs,
      List<String> outputNames, CallOptions options, Executor executor) {
    if (fallback == null) {
      return CompletableFuture.failedFuture(breaker.openException(rejecting));
    }
    breaker.meters().fallback(true);
    return fallbackAsync(inputs, outputNames, options, executor).handle((out, t) -> {
      if (t == null) {
        return out;
      }
      CircuitOpenException open = breaker.openException(rejecting);
      open.addSuppressed(unwrap(t));
      throw open;
    });
  }

  private CompletableFuture<NamedTensors> fallbackAsync(NamedTensors inputs, List<String> outputNames,
      CallOptions options, Executor executor) {
    try {
      return fallback.predictAsync(inputs, outputNames, options, executor);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private ModelClosedException closedException() {
    return new ModelClosedException("circuit-breaker predictor of model " + delegate().modelId() + " is closed");
  }

  /** Marks this predictor closed; the delegate and the fallback stay open (the caller owns them). Idempotent. */
  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "CircuitBreakerPredictor[" + breaker + " -> " + delegate() + "]";
  }
}
