package dev.jinfer.batching;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.CancelledException;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.ForwardingPredictor;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.OverloadedException;
import dev.jinfer.Predictor;
import dev.jinfer.Priority;
import dev.jinfer.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Predictor} that serves many small concurrent requests with few large engine calls: requests
 * wait in a bounded queue for a short window, are concatenated along the batch (first) dimension, run as
 * one call of the delegate, and get their own rows of the outputs back as views.
 *
 * <pre>{@code
 * BatchingPredictor p = BatchingPredictor.newBuilder(model.predictor())
 *     .maxBatchSize(32)                        // rows per engine call
 *     .maxQueueDelay(Duration.ofMillis(2))     // how long the oldest request waits for company
 *     .maxQueueSize(10_000)                    // requests; beyond, OverloadedException at once
 *     .defaultTimeout(Duration.ofMillis(50))   // queued longer: DeadlineExceededException, never run
 *     .build();
 * CompletableFuture<NamedTensors> f = p.predictAsync(in, CallOptions.of(Priority.HIGH));
 * }</pre>
 *
 * <h2>Batches</h2>
 * A batch is one engine call over up to {@code maxBatchSize} rows; a request may carry several rows, and
 * a request with more rows than the limit runs alone. One group is due when its rows reach the limit,
 * when its oldest request has waited {@code maxQueueDelay}, or on close. Requests whose dynamic non-batch
 * dimensions differ, or that ask for different outputs, are <em>grouped</em>: they wait in separate groups
 * and are never concatenated together. {@code workers} threads each run one batch at a time, so that many
 * batches are in flight. Every output of the delegate must keep the batch dimension (its first dimension
 * equal to the batch's rows); a model whose signature has an input or output without a dynamic first
 * dimension is rejected by {@link #newBuilder}, and a batch whose output cannot be split at run time is
 * retried request by request (with a warning logged once).
 *
 * <h2>Deadlines, overload and priorities</h2>
 * Every call carries {@link CallOptions}; their priority and deadline reach the batcher through any
 * {@link ForwardingPredictor} in front of it (a cache, a breaker). Admission never blocks: a full queue fails
 * the future at once with {@link OverloadedException}, except that a {@link Priority#HIGH} request displaces
 * the most recently queued normal one. A request's timeout is the time left before the options' deadline
 * when it is submitted, or {@link Builder#defaultTimeout} without one; a request whose timeout passes while
 * it is queued is dropped without running and fails with {@link DeadlineExceededException}: at its
 * deadline if a worker is idle, otherwise as soon as a worker finishes its current batch. High-priority
 * requests are taken first when a batch is formed.
 *
 * <h2>Failure isolation</h2>
 * When the delegate fails on a batch with an error that one request can cause (invalid input, an engine
 * failure, an unexpected runtime exception), the batch is retried in halves, recursively, so that the
 * requests that do not fail on their own succeed, and each one that does gets the very exception its own
 * call raised. A poisoned batch of {@code n} requests costs at most {@code 2n - 1} engine calls. Errors that
 * say nothing about the requests (closed or overloaded delegate, open circuit, JVM errors) fail the whole
 * batch at once.
 *
 * <h2>Adaptive mode</h2>
 * With {@link Builder#latencyTarget}, the batcher is <em>greedy</em> (work-conserving): a free worker never
 * waits for company, it takes whatever is queued, so batches form from the requests that arrive while the
 * workers are busy and grow with the load. It fits the engine's cost per call online, {@code cost(n) =
 * fixed + perRow * n} (exponentially weighted least squares over the calls so far), and caps batches at the
 * largest {@code n <= maxBatchSize} with {@code 2 * cost(n) <= target}: a request may wait for one batch
 * already running, then run in its own. It also sheds: a request predicted to finish after its deadline
 * fails at once with {@link DeadlineExceededException} when it is submitted, and a queued request whose
 * batch is predicted to end after its deadline is dropped before the batch runs. See {@link #stats()} for
 * the limit in force and the fitted costs.
 *
 * <p>Adaptive mode also turns batching off for callers blocked in the sync {@code predict} when it does not pay
 * them (a model whose call is cheaper than a caller's park and wake-up), and on again when it does: it measures
 * the sync calls completed per second in short alternating epochs of both modes, batched and direct (the
 * delegate called on the caller's own thread), and switches only when the other mode wins clearly in every
 * pair of epochs, re-probing every 1-30 s ({@link BatchingStats#direct()} is the verdict in force; the module
 * README has the details). Async callers always queue; {@link #close()} waits for the direct calls running.
 *
 * <h2>Threads and close</h2>
 * The batcher starts {@code workers} platform daemon threads named {@code jinfer-batcher-<model>-<n>}
 * (e.g. {@code jinfer-batcher-fraud:1-0}) that sleep on a condition when there is nothing to do, and
 * completes futures on them: attach heavy dependent stages with an {@code *Async} method and your own
 * executor, or use {@link #predictAsync(NamedTensors, List, CallOptions, Executor)}. {@link #close()} stops
 * accepting requests, runs everything queued at once (no window) for up to {@link Builder#drainTimeout},
 * fails what is still queued after that with {@link ModelClosedException}, waits for the batches in flight
 * (an engine call cannot be interrupted safely), and returns when every thread has ended. Every future is
 * completed exactly once. Closing the batcher does not close the delegate, which the caller owns.
 *
 * <p>For deterministic tests, {@link Builder#manualDispatch()} starts no thread: the test calls
 * {@link #dispatchDue()} after moving its fake {@link Ticker}.
 *
 * <p>This class is the facade; the parts live beside it, package-private: {@code Admission} (validation,
 * request creation, queue-full and priority displacement), {@code Workers} (threads and the dispatch loop),
 * {@code Drain} (close), {@code BatchCounters} (stats and meters), {@code BatcherConfig} (the builder's
 * settings and defaults), over {@code BatchQueue} and {@code BatchRunner}.
 *
 * <p>Thread-safe: any number of threads may submit at once.
 */
public final class BatchingPredictor extends ForwardingPredictor {
  private final ModelSignature signature;
  private final BatcherState state;
  private final Admission admission;
  private final Workers workers;
  private final BatchCounters counters;
  private final BatchRunner runner;
  private final Drain drain;

  private BatchingPredictor(BatcherConfig config, @Nullable ObservationRegistry observationRegistry) {
    super(config.delegate());
    BatchObservations observations = new BatchObservations(observationRegistry, config.delegate().modelId());
    this.state = new BatcherState(config);
    // threads first (not started yet): if the factory fails, no meter is left registered
    this.workers = new Workers(config, state);
    this.counters = new BatchCounters(config, state);
    this.admission = new Admission(config, state, counters, observations);
    this.signature = admission.signature();
    this.runner = new BatchRunner(config.delegate(), admission.inputNames(), state.ticker,
        config.resolvedIsolateFailures(), state.tuner, state.tuning, counters.metrics, observations);
    this.drain = new Drain(config, state, workers, counters);
    workers.start(runner, counters);
  }

  /**
   * A builder for a batcher in front of a predictor.
   *
   * @param delegate the predictor that runs the batches; thread-safe, owned by the caller
   * @return a new builder
   * @throws NullPointerException if the delegate is null
   * @throws IllegalArgumentException if the delegate's model cannot be batched: an input or output
   *     without a dynamic first (batch) dimension, or no input at all
   */
  public static Builder newBuilder(Predictor delegate) {
    return new Builder(delegate);
  }

  /**
   * The delegate's model, as it was when the batcher was built.
   *
   * @return its name and version
   */
  @Override
  public ModelId modelId() {
    return state.id;
  }

  /**
   * The delegate's signature, as it was when the batcher was built: the one requests are checked and
   * grouped against.
   *
   * @return the signature
   */
  @Override
  public ModelSignature signature() {
    return signature;
  }

  /**
   * Queues a request and returns at once. A deadline in the options gives the request its timeout (the
   * time left now; already passed: {@link DeadlineExceededException} before anything is queued), without
   * one it gets the {@link Builder#defaultTimeout}; the options' priority is the request's. This method
   * never throws: invalid input or null options ({@link InvalidInputException}), a full queue
   * ({@link OverloadedException}), a closed batcher ({@link ModelClosedException}), a passed deadline or a
   * predicted miss ({@link DeadlineExceededException}) and the delegate's own failures all complete the
   * future exceptionally with that exception, unwrapped. Cancelling the future removes the request from the
   * queue if it has not run yet. Thread-safe.
   *
   * @param inputs every input of the signature, by name, each with the same number of rows
   * @param outputNames the outputs wanted; empty for all
   * @param options the call's deadline and priority
   * @return a future completed exactly once, on a batcher thread (or a blocking caller's thread leading a
   *     batch), with this request's rows of the outputs (views into the batch's output tensors)
   */
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    return admission.submit(inputs, outputNames, options);
  }

  /**
   * Queues a request for every output; see {@link #predictAsync(NamedTensors, List, CallOptions)}.
   * Never throws. Thread-safe.
   *
   * @param inputs every input of the signature, by name
   * @param options the call's deadline and priority
   * @return a future completed exactly once with all outputs
   */
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, CallOptions options) {
    return predictAsync(inputs, List.of(), options);
  }

  /**
   * Queues a request for every output with {@link CallOptions#defaults()}; see
   * {@link #predictAsync(NamedTensors, List, CallOptions)}. Never throws. Thread-safe.
   *
   * @param inputs every input of the signature, by name
   * @return a future completed exactly once with all outputs
   */
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs) {
    return predictAsync(inputs, List.of(), CallOptions.defaults());
  }

  /**
   * Queues a request with the call's options, as {@link #predictAsync(NamedTensors, List, CallOptions)}, and
   * completes the returned future on {@code executor}, so that its dependent stages do not run on a
   * batcher thread (if the executor rejects the hand-off, the future is completed on the batcher thread
   * instead). The engine call itself runs on a batcher thread, or on a blocking caller's thread leading the
   * batch. Never throws. Thread-safe.
   *
   * @param inputs every input of the signature, by name
   * @param outputNames the outputs wanted; empty for all
   * @param options the call's deadline and priority
   * @param executor where the future is completed
   * @return a future completed exactly once
   */
  @Override
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, CallOptions options,
      Executor executor) {
    if (executor == null) {
      return CompletableFuture.failedFuture(new InvalidInputException("executor: expected an Executor but got null"));
    }
    CompletableFuture<NamedTensors> inner = predictAsync(inputs, outputNames, options);
    CompletableFuture<NamedTensors> outer = new CompletableFuture<>();
    inner.whenComplete((value, error) -> {
      Runnable relay = () -> {
        if (error == null) {
          outer.complete(value);
        } else {
          outer.completeExceptionally(unwrap(error));
        }
      };
      try {
        executor.execute(relay);
      } catch (RejectedExecutionException e) {
        relay.run();
      }
    });
    outer.whenComplete((value, error) -> {
      if (outer.isCancelled()) {
        inner.cancel(false);
      }
    });
    return outer;
  }

  /**
   * Queues a request with the call's options and waits for it; see
   * {@link #predictAsync(NamedTensors, List, CallOptions)}. With a deadline, the caller waits until the
   * deadline at most: a request still queued then is withdrawn, and one whose batch is already running is
   * abandoned (the batch completes without it). In {@link Builder#manualDispatch() manual} mode another
   * thread must call {@link #dispatchDue()}. Thread-safe.
   *
   * @param inputs every input of the signature, by name, each with the same number of rows
   * @param outputNames the outputs wanted, in the order wanted; empty for all
   * @param options the call's deadline and priority
   * @return this request's rows of the outputs, ready before the deadline if there is one
   * @throws DeadlineExceededException if the deadline (or the default timeout) passed before the request
   *     ran or completed, or the request was shed
   * @throws InvalidInputException if the request does not match the signature, or the options are null
   * @throws OverloadedException if the queue is full
   * @throws ModelClosedException if the batcher is closed, or closed before the request ran
   * @throws IllegalStateException if called on one of its own threads (which would wait for itself)
   * @throws CancelledException if the calling thread is interrupted while waiting (the request is
   *     cancelled and the interrupt flag kept; {@code ErrorCode.CANCELLED}, not an engine failure)
   * @throws dev.jinfer.InferenceException for the delegate's own failures, as the delegate threw them
   */
  @Override
  public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    if (options == null) {
      throw new InvalidInputException("options: expected CallOptions but got null");
    }
    requireCallerThread();
    ModeArbiter arbiter = state.arbiter;
    if (arbiter == null) {
      return predictQueued(inputs, outputNames, options);
    }
    NamedTensors out = arbiter.directAt(state.ticker.read()) ? predictDirect(inputs, outputNames, options)
        : predictQueued(inputs, outputNames, options);
    arbiter.completed.increment();
    return out;
  }

  // adaptive mode, batching off: the delegate runs on the caller's thread; close waits for such calls
  private NamedTensors predictDirect(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    if (!state.beginDirect()) {
      throw new ModelClosedException("BatchingPredictor for model " + state.id + " is closed");
    }
    try {
      return delegate().predict(inputs, outputNames, options);
    } finally {
      state.endDirect();
    }
  }

  private NamedTensors predictQueued(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    Deadline deadline = options.deadlineOrNull();
    boolean mayLead = !workers.manual();
    if (deadline == null) {
      Admission.Submitted s = admission.submit(inputs, outputNames, options.priority(), admission.defaultTimeoutNanos(),
          mayLead);
      CompletableFuture<NamedTensors> f = s.future();
      if (s.lead() != null) {
        workers.lead(s.lead(), f);
      }
      try {
        return f.get();
      } catch (ExecutionException e) {
        throw rethrowable(e.getCause());
      } catch (InterruptedException e) {
        throw interrupted(f, e);
      }
    }
    long remaining = deadline.remainingNanos();
    if (remaining <= 0) {
      throw DeadlineExceededException.beforeStart(modelId(), deadline);
    }
    Admission.Submitted s = admission.submit(inputs, outputNames, options.priority(), remaining, mayLead);
    CompletableFuture<NamedTensors> f = s.future();
    if (s.lead() != null) {
      workers.lead(s.lead(), f);
      remaining = Math.max(0, deadline.remainingNanos());
    }
    try {
      NamedTensors out = f.get(remaining, TimeUnit.NANOSECONDS);
      if (deadline.isExpired()) {
        throw DeadlineExceededException.lateResult(modelId(), deadline);
      }
      return out;
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new DeadlineExceededException("model " + modelId() + ": the deadline (timeout " + deadline.describeTimeout()
          + ") passed before the batched request completed; it was withdrawn (a batch already running completes"
          + " without it)");
    } catch (ExecutionException e) {
      throw rethrowable(e.getCause());
    } catch (InterruptedException e) {
      throw interrupted(f, e);
    }
  }

  /**
   * In {@link Builder#manualDispatch() manual} mode, runs on the calling thread every batch that is due
   * at the ticker's current reading, and fails every queued request whose deadline has passed. Thread-safe;
   * several threads may dispatch at once.
   *
   * @return the number of batches run
   * @throws IllegalStateException if the batcher has its own threads
   */
  public int dispatchDue() {
    if (!workers.manual()) {
      throw new IllegalStateException("BatchingPredictor for model " + modelId()
          + " runs its own threads; dispatchDue() needs Builder.manualDispatch()");
    }
    return workers.dispatchDue();
  }

  /**
   * A snapshot of the queue, the counters and the limits in force. Thread-safe.
   *
   * @return the statistics
   */
  public BatchingStats stats() {
    return counters.snapshot(state, runner);
  }

  /**
   * Stops accepting requests, runs what is queued (at once, without waiting for the window) for up to the
   * drain timeout, fails what is still queued then with {@link ModelClosedException}, waits for the
   * batches in flight and for the batcher threads to end. Idempotent; a concurrent second call waits too.
   * Called on a batcher thread (in a dependent stage of a future), it only stops accepting requests and
   * returns; the threads still drain the queue and end, without the drain timeout. Does not close the
   * delegate. Interrupts are remembered, not obeyed. Thread-safe.
   */
  @Override
  public void close() {
    drain.close();
  }

  /** @return adaptive mode's batched/direct arbiter, null in fixed mode and with manual dispatch (for tests) */
  @Nullable ModeArbiter modeArbiter() {
    return state.arbiter;
  }

  /** @return whether {@link #close()} has been called */
  public boolean isClosed() {
    return state.isClosed();
  }

  @Override
  public String toString() {
    return "BatchingPredictor[" + modelId() + "]";
  }

  // a sync predict on a batcher thread would wait for the thread it blocks
  private void requireCallerThread() {
    if (workers.onBatcherThread()) {
      throw new IllegalStateException("BatchingPredictor for model " + modelId() + ": predict() on a batcher thread (in a"
          + " dependent stage of one of its futures) would wait for itself; use predictAsync");
    }
  }

  private CancelledException interrupted(CompletableFuture<?> f, InterruptedException e) {
    f.cancel(false);
    Thread.currentThread().interrupt();
    return new CancelledException("model " + modelId() + ": interrupted while waiting for a batched prediction; the"
        + " request was withdrawn if still queued", e);
  }

  private RuntimeException rethrowable(Throwable cause) {
    Throwable e = unwrap(cause);
    if (e instanceof RuntimeException) {
      return (RuntimeException) e;
    }
    if (e instanceof Error) {
      throw (Error) e;
    }
    return new BackendException("model " + modelId() + ": batched prediction failed: " + e, e);
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * Builds a {@link BatchingPredictor}. Every option may be set once; a second call, or options that
   * conflict, throw {@link IllegalStateException}. Not thread-safe.
   */
  public static final class Builder {
    private BatcherConfig config;
    private @Nullable ObservationRegistry observations;

    private Builder(Predictor delegate) {
      this.config = BatcherConfig.of(delegate);
    }

    /**
     * The most rows in one engine call; default 32. A request with more rows runs alone. In adaptive mode,
     * the upper bound of the limit.
     *
     * @param rows at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     * @throws IllegalStateException if already set
     */
    public Builder maxBatchSize(int rows) {
      config = config.withMaxBatchSize(rows);
      return this;
    }

    /**
     * How long the oldest queued request of a group waits for others before its batch runs anyway;
     * default 2 ms. Zero makes the batcher greedy: a free worker takes whatever is queued. With callers
     * that each wait for their answer (a closed loop), fewer callers than {@code maxBatchSize} never fill a
     * batch, so every batch waits the whole delay: size the batch to the concurrency, or use
     * {@link #latencyTarget}.
     *
     * @param delay zero or more
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set, or with {@link #latencyTarget} (which is greedy)
     */
    public Builder maxQueueDelay(Duration delay) {
      config = config.withMaxQueueDelay(delay);
      return this;
    }

    /**
     * The most requests waiting in the queue (not counting batches in flight); default 10,000. A request
     * that finds the queue full fails at once with {@link OverloadedException} (a high-priority one
     * displaces the newest normal one instead).
     *
     * @param requests at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     * @throws IllegalStateException if already set
     */
    public Builder maxQueueSize(int requests) {
      config = config.withMaxQueueSize(requests);
      return this;
    }

    /**
     * The batcher threads, that is the batches in flight at once; default 1. More than one helps when the
     * engine leaves cores idle during a call (small models, or intra-op threads fewer than cores).
     *
     * @param threads at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     * @throws IllegalStateException if already set, or with {@link #manualDispatch()}
     */
    public Builder workers(int threads) {
      config = config.withWorkers(threads);
      return this;
    }

    /**
     * The timeout of requests whose {@link CallOptions} carry no deadline; default none. A request still
     * queued when it passes fails with {@link DeadlineExceededException} and never runs.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set
     */
    public Builder defaultTimeout(Duration timeout) {
      config = config.withDefaultTimeout(timeout);
      return this;
    }

    /**
     * Turns on adaptive mode: greedy batching (no queue delay) with the batch limit following the
     * measured engine cost so that two batches fit in the target, and shedding of requests predicted to
     * miss their deadline (see the class documentation). {@link #maxBatchSize} stays the upper bound of the
     * limit. Default off: the limits are {@link #maxBatchSize} and {@link #maxQueueDelay}.
     *
     * @param target the latency to stay under, e.g. the p99 objective; positive
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set, or with {@link #maxQueueDelay}
     */
    public Builder latencyTarget(Duration target) {
      config = config.withLatencyTarget(target);
      return this;
    }

    /**
     * How long {@link BatchingPredictor#close()} keeps running queued requests before it fails the rest;
     * default 30 s. Batches already running always finish.
     *
     * @param timeout zero or more
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder drainTimeout(Duration timeout) {
      config = config.withDrainTimeout(timeout);
      return this;
    }

    /**
     * Whether a failed batch is retried in halves so that one bad request does not fail the others;
     * default true. When false, every request of a failed batch gets the batch's error.
     *
     * @param isolate whether to isolate
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder isolateFailures(boolean isolate) {
      config = config.withIsolateFailures(isolate);
      return this;
    }

    /**
     * Where to publish the batcher's meters (see {@link BatchingPredictor}); default none.
     *
     * @param registry the registry
     * @return this builder
     * @throws NullPointerException if null
     * @throws IllegalStateException if already set
     */
    public Builder meterRegistry(MeterRegistry registry) {
      config = config.withMeterRegistry(registry);
      return this;
    }

    /**
     * Observes each request submitted inside an observation (the caller's current one): a child
     * observation {@code jinfer.batch.queue} while it waits in the queue, and {@code jinfer.batch.engine}
     * for the engine call of its batch (high-cardinality key values {@code jinfer.batch.rows} and
     * {@code jinfer.batch.requests}). A tracing bridge makes them child spans of the caller's. Default: none.
     *
     * @param registry the observation registry
     * @return this builder
     * @throws NullPointerException if null
     */
    public Builder observationRegistry(ObservationRegistry registry) {
      this.observations = java.util.Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * The clock of windows, deadlines and measured costs; default {@link Ticker#system()}. A fake ticker is
     * meant for {@link #manualDispatch()}: batcher threads still sleep in real time.
     *
     * @param ticker the ticker
     * @return this builder
     * @throws NullPointerException if null
     * @throws IllegalStateException if already set
     */
    public Builder ticker(Ticker ticker) {
      config = config.withTicker(ticker);
      return this;
    }

    /**
     * Makes the batcher threads; default: platform daemon threads named {@code jinfer-batcher-<model>-<n>}.
     *
     * @param factory the factory; it must return unstarted threads
     * @return this builder
     * @throws NullPointerException if null
     * @throws IllegalStateException if already set, or with {@link #manualDispatch()}
     */
    public Builder threadFactory(ThreadFactory factory) {
      config = config.withThreadFactory(factory);
      return this;
    }

    /**
     * Starts no thread: batches run only when someone calls {@link BatchingPredictor#dispatchDue()} (and
     * on close, on the closing thread). Meant for deterministic tests on a fake ticker, and for callers that
     * drive the batcher from their own loop.
     *
     * @return this builder
     * @throws IllegalStateException if already set, or with {@link #workers} or {@link #threadFactory}
     */
    public Builder manualDispatch() {
      config = config.withManualDispatch();
      return this;
    }

    /**
     * Builds the batcher and starts its threads.
     *
     * @return the batcher, owned by the caller, who must close it
     */
    public BatchingPredictor build() {
      return new BatchingPredictor(config, observations);
    }
  }
}
