package dev.jinfer.cache;

import dev.jinfer.CallOptions;
import dev.jinfer.CancelledException;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Ticker;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Single flight over the cache's map of futures, and the deadline joins: the first caller of a key puts its
 * own future in the map and computes the entry on its thread (the leader); identical callers find that
 * future and wait for it (joiners), without a deadline until it completes, with one at most until their own
 * deadline (the flight goes on and fills the cache for the others). A flight lost to its leader's deadline
 * is retried by a joiner that still has time: one with a deadline while it has time, one without a deadline
 * once. A failed flight removes itself from the map and hands its waiters the error; errors are not kept.
 *
 * <p>It knows nothing of the key schema, the outputs or Caffeine's policy: it works on whole entries (the
 * kept outputs) and the caller selects from them. Thread-safe.
 */
final class SingleFlight {
  /** What the leader runs: the second tier, then the model. */
  interface Computation {
    NamedTensors compute(CacheKey key, NamedTensors inputs, CallOptions options);
  }

  /** How a load is counted. */
  interface Listener {
    /** A request counted as a miss found a flight already running: it is a hit after all. */
    void joinedAfterMiss();

    /** A leader's load finished after {@code nanos}, with a value or not. */
    void loaded(long nanos, boolean success);
  }

  private final ConcurrentMap<CacheKey, CompletableFuture<NamedTensors>> flights;
  private final Computation computation;
  private final Supplier<ModelId> currentModel;
  private final Ticker ticker;
  private final Listener listener;

  SingleFlight(ConcurrentMap<CacheKey, CompletableFuture<NamedTensors>> flights, Computation computation,
      Supplier<ModelId> currentModel, Ticker ticker, Listener listener) {
    this.flights = flights;
    this.computation = computation;
    this.currentModel = currentModel;
    this.ticker = ticker;
    this.listener = listener;
  }

  /**
   * The entry of a flight found in the cache (a hit). If that flight failed on its own leader's deadline
   * and this caller still has time, this caller loads the entry itself.
   *
   * @param probe the key the flight was found under; stored only if this caller has to load
   */
  NamedTensors joinFound(CompletableFuture<NamedTensors> found, CacheKey probe, NamedTensors inputs,
      CallOptions options) {
    Deadline deadline = options.deadlineOrNull();
    try {
      return found.isDone() ? join(found) : await(found, deadline);
    } catch (DeadlineExceededException e) {
      if (deadline != null && deadline.isExpired()) {
        throw e;
      }
      // the joined call failed on its own caller's deadline; this caller has time left
      return load(probe.stored(), inputs, options, true);
    }
  }

  /**
   * Leads the flight of this key, or joins the one running.
   *
   * @param key a stored key
   * @param countedAsHit whether the caller already counted this request as a hit
   * @return the entry
   */
  NamedTensors load(CacheKey key, NamedTensors inputs, CallOptions options, boolean countedAsHit) {
    Deadline deadline = options.deadlineOrNull();
    CompletableFuture<NamedTensors> mine = new CompletableFuture<>();
    CompletableFuture<NamedTensors> prior;
    boolean counted = countedAsHit;
    boolean retried = countedAsHit && deadline == null;
    while ((prior = flights.putIfAbsent(key, mine)) != null) {
      if (!counted) {
        listener.joinedAfterMiss();
        counted = true;
      }
      try {
        return await(prior, deadline);
      } catch (DeadlineExceededException e) {
        // a caller without a deadline retries once (the flight may have timed out inside the delegate, e.g.
        // a batcher's request timeout, and would again); one with a deadline retries while it has time
        if (deadline == null ? retried : deadline.isExpired()) {
          throw e;
        }
        retried = true;
        // the call this request joined failed on its own caller's deadline; this one still has time: the
        // failed flight removes itself from the map, so the next round runs the model (or joins a newer flight)
        flights.remove(key, prior);
      }
    }
    long start = ticker.read();
    NamedTensors value;
    try {
      value = computation.compute(key, inputs, options);
    } catch (Throwable t) {
      // complete the waiters first: if the bookkeeping below threw, they would otherwise wait forever.
      // A CancellationException keeps Caffeine from logging every failed model call as a warning;
      // join() hands the waiters the real error
      try {
        mine.completeExceptionally(new LoadFailed(t));
      } finally {
        flights.remove(key, mine);
        listener.loaded(ticker.read() - start, false);
      }
      throw t;
    }
    mine.complete(value);
    listener.loaded(ticker.read() - start, true);
    if (!key.model.equals(currentModel.get())) {
      // the model changed while this ran: the result may come from either version, keep it nowhere
      flights.remove(key, mine);
    }
    return value;
  }

  /**
   * Waits for another caller's flight, at most until this caller's deadline (if any); the flight itself goes
   * on. Interruptible: a cancelled waiter leaves at once with a {@link CancelledException}.
   */
  private NamedTensors await(CompletableFuture<NamedTensors> f, @Nullable Deadline deadline) {
    try {
      return deadline == null ? f.get() : f.get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw DeadlineExceededException.lateResult(currentModel.get(), Objects.requireNonNull(deadline));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancelledException("model " + currentModel.get() + ": cancelled (the calling thread was "
          + "interrupted) while waiting for an identical request's result; that request goes on", e);
    } catch (LoadFailed e) {
      throw rethrow(e.getCause());
    } catch (ExecutionException e) {
      throw rethrow(e.getCause() instanceof LoadFailed ? e.getCause().getCause() : e.getCause());
    }
  }

  private static NamedTensors join(CompletableFuture<NamedTensors> f) {
    try {
      return f.join();
    } catch (LoadFailed e) {
      throw rethrow(e.getCause());
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw e;
    }
  }

  /**
   * The error a flight's future failed with, as its caller should see it.
   *
   * @param e what the future completed with
   * @return the load's own error
   */
  static Throwable unwrap(Throwable e) {
    return e instanceof LoadFailed ? e.getCause() : e;
  }

  /** Rethrows what a load threw; it was unchecked (predict declares no checked exception). */
  static RuntimeException rethrow(@Nullable Throwable t) {
    if (t instanceof RuntimeException) {
      throw (RuntimeException) t;
    }
    if (t instanceof Error) {
      throw (Error) t;
    }
    throw new CompletionException(t);
  }

  /** The failure of a load, as the waiters of its single flight see it. */
  private static final class LoadFailed extends java.util.concurrent.CancellationException {
    private static final long serialVersionUID = 1L;

    LoadFailed(Throwable cause) {
      super("load failed");
      initCause(cause);
    }
  }
}
