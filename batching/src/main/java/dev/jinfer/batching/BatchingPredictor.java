package dev.jinfer.batching;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.OverloadedException;
import dev.jinfer.Predictor;
import dev.jinfer.Priority;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Predictor} that serves many small concurrent requests with few large engine calls: requests
 * wait in a bounded queue for a short window, are concatenated along the batch (first) dimension, run as
 * one call of the delegate, and get their own rows of the outputs back as views.
 *
 * <pre>{@code
 * Predictor p = BatchingPredictor.newBuilder(model.predictor())
 *     .maxBatchSize(32)                        // rows per engine call
 *     .maxQueueDelay(Duration.ofMillis(2))     // how long the oldest request waits for company
 *     .maxQueueSize(10_000)                    // requests; beyond, OverloadedException at once
 *     .defaultTimeout(Duration.ofMillis(50))   // queued longer: DeadlineExceededException, never run
 *     .build();
 * CompletableFuture<NamedTensors> f = p.predictAsync(in, RequestOptions.ofPriority(Priority.HIGH));
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
 * Admission never blocks: a full queue fails the future at once with {@link OverloadedException}, except
 * that a {@link Priority#HIGH} request displaces the most recently queued normal one. A request whose
 * deadline ({@link RequestOptions#timeout()}, else {@link Builder#defaultTimeout}) passes while it is
 * queued is dropped without running and fails with {@link DeadlineExceededException}: at its deadline if
 * a worker is idle, otherwise as soon as a worker finishes its current batch. High-priority requests are
 * taken first when a batch is formed.
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
 * <h2>Threads and close</h2>
 * The batcher starts {@code workers} platform daemon threads named {@code jinfer-batcher-<model>-<n>}
 * (e.g. {@code jinfer-batcher-fraud:1-0}) that sleep on a condition when there is nothing to do, and
 * completes futures on them: attach heavy dependent stages with an {@code *Async} method and your own
 * executor, or use {@link #predictAsync(NamedTensors, List, Executor)}. {@link #close()} stops accepting
 * requests, runs everything queued at once (no window) for up to {@link Builder#drainTimeout}, fails what is
 * still queued after that with {@link IllegalStateException}, waits for the batches in flight (an engine call
 * cannot be interrupted safely), and returns when every thread has ended. Every future is completed exactly
 * once. Closing the batcher does not close the delegate, which the caller owns.
 *
 * <p>For deterministic tests, {@link Builder#manualDispatch()} starts no thread: the test calls
 * {@link #dispatchDue()} after moving its fake {@link Ticker}.
 *
 * <p>Thread-safe: any number of threads may submit at once.
 */
public final class BatchingPredictor implements Predictor {
  private static final Logger LOG = LoggerFactory.getLogger(BatchingPredictor.class);
  /** How often a closing thread looks at the ticker while the queue drains. */
  private static final long CLOSE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private enum Lifecycle { RUNNING, DRAINING, CANCELLING, TERMINATED }

  /** A batch taken from the queue, and when. */
  private record Batch(List<PendingRequest> requests, long takenAt) {}

  private static final Batch NOTHING_DUE = new Batch(List.of(), 0);

  private final Predictor delegate;
  private final ModelId id;
  private final ModelSignature signature;
  private final List<String> inputNames;
  private final List<String> allOutputs;
  /** For each input (signature order), its dynamic axes after the batch axis. */
  private final int[][] dynamicAxes;
  private final int dynamicAxisCount;
  private final int maxQueueSize;
  private final int workers;
  private final long defaultTimeoutNanos;
  private final long drainTimeoutNanos;
  private final boolean manual;
  private final Ticker ticker;
  private final BatchTuner tuner;
  private final AtomicReference<BatchTuner.Tuning> tuning;
  private final BatchMetrics metrics;
  private final BatchRunner runner;
  private final List<Thread> threads = new ArrayList<>();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition workAvailable = lock.newCondition();
  private final Condition workersExited = lock.newCondition();
  // guarded by lock
  private final BatchQueue queue;
  private Lifecycle lifecycle = Lifecycle.RUNNING;
  private long drainDeadline;
  private int idleWorkers;
  private long idleUntil = Long.MAX_VALUE;
  private int liveWorkers;

  private final LongAdder accepted = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder expired = new LongAdder();
  private final LongAdder shedOnAdmission = new LongAdder();
  private final LongAdder cancelledOnClose = new LongAdder();

  private BatchingPredictor(Builder b) {
    this.delegate = b.delegate;
    this.id = delegate.modelId();
    this.signature = delegate.signature();
    this.inputNames = signature.inputs().stream().map(TensorSpec::name).toList();
    this.allOutputs = signature.outputNames();
    List<TensorSpec> inputs = signature.inputs();
    this.dynamicAxes = new int[inputs.size()][];
    int count = 0;
    for (int i = 0; i < inputs.size(); i++) {
      Shape s = inputs.get(i).shape();
      dynamicAxes[i] = java.util.stream.IntStream.range(1, s.rank()).filter(a -> s.dim(a) == Shape.DYNAMIC).toArray();
      count += dynamicAxes[i].length;
    }
    this.dynamicAxisCount = count;
    this.maxQueueSize = b.maxQueueSize == Builder.UNSET ? Builder.DEFAULT_MAX_QUEUE_SIZE : b.maxQueueSize;
    this.workers = b.workers == Builder.UNSET ? 1 : b.workers;
    this.defaultTimeoutNanos = b.defaultTimeout == null ? 0 : nanos(b.defaultTimeout);
    this.drainTimeoutNanos = nanos(b.drainTimeout == null ? Builder.DEFAULT_DRAIN_TIMEOUT : b.drainTimeout);
    this.manual = b.manual;
    this.ticker = b.ticker == null ? Ticker.system() : b.ticker;
    int maxBatchSize = b.maxBatchSize == Builder.UNSET ? Builder.DEFAULT_MAX_BATCH_SIZE : b.maxBatchSize;
    long maxQueueDelay = nanos(b.maxQueueDelay == null ? Builder.DEFAULT_MAX_QUEUE_DELAY : b.maxQueueDelay);
    this.tuner = new BatchTuner(maxBatchSize, maxQueueDelay, b.latencyTarget == null ? 0 : nanos(b.latencyTarget));
    this.tuning = new AtomicReference<>(tuner.initial());
    this.queue = new BatchQueue(maxQueueSize);
    // threads first (not started yet): if the factory fails, no meter is left registered
    if (!manual) {
      ThreadFactory factory = b.threadFactory != null ? b.threadFactory : namedDaemonThreads("jinfer-batcher-" + id + "-");
      for (int i = 0; i < workers; i++) {
        Thread t = factory.newThread(this::workerLoop);
        if (t == null) {
          throw new IllegalStateException("threadFactory returned null for batcher thread " + i);
        }
        threads.add(t);
      }
      liveWorkers = workers;
    }
    this.metrics = new BatchMetrics(b.meterRegistry, id, this, p -> p.queuedRequests(),
        p -> p.tuning.get().maxRows(), p -> p.tuning.get().windowNanos() / 1e9);
    this.runner = new BatchRunner(delegate, inputNames, ticker, b.isolateFailures, tuner, tuning, metrics);
  }

  private void start() {
    for (Thread t : threads) {
      t.start();
    }
    LOG.debug("model {}: batching started ({})", id, manual ? "manual dispatch" : workers + " workers");
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

  @Override
  public ModelId modelId() {
    return id;
  }

  @Override
  public ModelSignature signature() {
    return signature;
  }

  /**
   * Queues a request and returns at once. This method never throws: invalid input
   * ({@link InvalidInputException}), a full queue ({@link OverloadedException}), a closed batcher
   * ({@link IllegalStateException}), a passed deadline or a predicted miss
   * ({@link DeadlineExceededException}) and the delegate's own failures all complete the future
   * exceptionally with that exception, unwrapped. Cancelling the future removes the request from the
   * queue if it has not run yet. Thread-safe.
   *
   * @param inputs every input of the signature, by name, each with the same number of rows
   * @param outputNames the outputs wanted; empty for all
   * @param options the timeout and priority
   * @return a future completed exactly once, on a batcher thread, with this request's rows of the outputs
   *     (views into the batch's output tensors)
   */
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames,
      RequestOptions options) {
    CompletableFuture<NamedTensors> future = new CompletableFuture<>();
    PendingRequest r;
    try {
      if (options == null) {
        throw new InvalidInputException("options: expected RequestOptions but got null");
      }
      signature.validate(inputs, outputNames, false);
      r = newRequest(inputs, outputNames, options, future);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    submit(r);
    return future;
  }

  /**
   * Queues a request for every output; see {@link #predictAsync(NamedTensors, List, RequestOptions)}.
   * Never throws. Thread-safe.
   *
   * @param inputs every input of the signature, by name
   * @param options the timeout and priority
   * @return a future completed exactly once with all outputs
   */
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, RequestOptions options) {
    return predictAsync(inputs, List.of(), options);
  }

  /**
   * Queues a request for every output with the default options; see
   * {@link #predictAsync(NamedTensors, List, RequestOptions)}. Never throws. Thread-safe.
   *
   * @param inputs every input of the signature, by name
   * @return a future completed exactly once with all outputs
   */
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs) {
    return predictAsync(inputs, List.of(), RequestOptions.defaults());
  }

  /**
   * Queues a request with the call's options (a deadline becomes the request's timeout, the priority its
   * priority) and completes the returned future on {@code executor}, so that its dependent stages do not
   * run on a batcher thread (if the executor rejects the hand-off, the future is completed on the batcher
   * thread instead). The engine call itself runs on a batcher thread. Never throws. Thread-safe.
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
    RequestOptions request;
    try {
      request = requestOptions(options);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<NamedTensors> inner = predictAsync(inputs, outputNames, request);
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
   * Queues a request and waits for its outputs; see {@link #predictAsync(NamedTensors, List, RequestOptions)}.
   * Thread-safe. In {@link Builder#manualDispatch() manual} mode another thread must call
   * {@link #dispatchDue()}.
   *
   * @param inputs every input of the signature, by name, each with the same number of rows
   * @param outputNames the outputs wanted, in the order wanted; empty for all
   * @param options the timeout and priority
   * @return this request's rows of the outputs
   * @throws InvalidInputException if the request does not match the signature
   * @throws OverloadedException if the queue is full
   * @throws DeadlineExceededException if the deadline passed before the request ran, or it was shed
   * @throws IllegalStateException if the batcher is closed, or closed before the request ran, or if called
   *     on one of its own threads (which would wait for itself)
   * @throws CancellationException if the calling thread is interrupted while waiting (the request is
   *     cancelled and the interrupt flag kept)
   * @throws dev.jinfer.InferenceException for the delegate's own failures, as the delegate threw them
   */
  public NamedTensors predict(NamedTensors inputs, List<String> outputNames, RequestOptions options) {
    requireCallerThread();
    CompletableFuture<NamedTensors> f = predictAsync(inputs, outputNames, options);
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw rethrowable(e.getCause());
    } catch (InterruptedException e) {
      throw interrupted(f);
    }
  }

  /**
   * Queues a request with the call's options and waits for it. Without a deadline it is
   * {@link #predict(NamedTensors, List, RequestOptions)} at the options' priority and the batcher's default
   * timeout. With one, the request's timeout is the time left before the deadline and the caller waits
   * until the deadline at most: a request still queued then is withdrawn, and one whose batch is already
   * running is abandoned (the batch completes without it). Thread-safe.
   *
   * @param inputs every input of the signature, by name, each with the same number of rows
   * @param outputNames the outputs wanted, in the order wanted; empty for all
   * @param options the call's deadline and priority
   * @return this request's rows of the outputs, ready before the deadline
   * @throws DeadlineExceededException if the deadline passed first, or the request was shed
   * @throws InvalidInputException if the request does not match the signature, or the options are null
   * @throws OverloadedException if the queue is full
   * @throws IllegalStateException if the batcher is closed, or if called on one of its own threads
   * @throws CancellationException if the calling thread is interrupted while waiting
   * @throws dev.jinfer.InferenceException for the delegate's own failures
   */
  @Override
  public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    if (options == null) {
      throw new InvalidInputException("options: expected CallOptions but got null");
    }
    Deadline deadline = options.deadlineOrNull();
    if (deadline == null) {
      return predict(inputs, outputNames, RequestOptions.ofPriority(options.priority()));
    }
    requireCallerThread();
    long remaining = deadline.remainingNanos();
    if (remaining <= 0) {
      throw DeadlineExceededException.beforeStart(id, deadline);
    }
    CompletableFuture<NamedTensors> f = predictAsync(inputs, outputNames,
        RequestOptions.of(Duration.ofNanos(remaining), options.priority()));
    try {
      NamedTensors out = f.get(remaining, TimeUnit.NANOSECONDS);
      if (deadline.isExpired()) {
        throw DeadlineExceededException.lateResult(id, deadline);
      }
      return out;
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new DeadlineExceededException("model " + id + ": the deadline (timeout " + deadline.describeTimeout()
          + ") passed before the batched request completed; it was withdrawn (a batch already running completes"
          + " without it)");
    } catch (ExecutionException e) {
      throw rethrowable(e.getCause());
    } catch (InterruptedException e) {
      throw interrupted(f);
    }
  }

  // the batcher's own request options for a call's options: the deadline's time left and the priority
  private RequestOptions requestOptions(CallOptions options) {
    if (options == null) {
      throw new InvalidInputException("options: expected CallOptions but got null");
    }
    Deadline deadline = options.deadlineOrNull();
    if (deadline == null) {
      return RequestOptions.ofPriority(options.priority());
    }
    long remaining = deadline.remainingNanos();
    if (remaining <= 0) {
      throw DeadlineExceededException.beforeStart(id, deadline);
    }
    return RequestOptions.of(Duration.ofNanos(remaining), options.priority());
  }

  // a sync predict on a batcher thread would wait for the thread it blocks
  private void requireCallerThread() {
    if (onBatcherThread()) {
      throw new IllegalStateException("BatchingPredictor for model " + id + ": predict() on a batcher thread (in a"
          + " dependent stage of one of its futures) would wait for itself; use predictAsync");
    }
  }

  private CancellationException interrupted(CompletableFuture<?> f) {
    f.cancel(false);
    Thread.currentThread().interrupt();
    return new CancellationException("model " + id + ": interrupted while waiting for a batched prediction");
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
    if (!manual) {
      throw new IllegalStateException("BatchingPredictor for model " + id
          + " runs its own threads; dispatchDue() needs Builder.manualDispatch()");
    }
    int batches = 0;
    List<PendingRequest> expiredNow = new ArrayList<>();
    for (;;) {
      Batch b = nextBatch(false, expiredNow);
      failExpired(expiredNow);
      if (b == null || b == NOTHING_DUE) {
        return batches;
      }
      runner.run(b.requests(), b.takenAt());
      batches++;
    }
  }

  /**
   * A snapshot of the queue, the counters and the limits in force. Thread-safe.
   *
   * @return the statistics
   */
  public BatchingStats stats() {
    int queuedRequests;
    long queuedRows;
    long cancelled;
    lock.lock();
    try {
      queuedRequests = queue.size();
      queuedRows = queue.rows();
      cancelled = queue.cancelled();
    } finally {
      lock.unlock();
    }
    BatchTuner.Tuning t = tuning.get();
    return new BatchingStats(queuedRequests, queuedRows, accepted.sum(), rejected.sum(), expired.sum(),
        shedOnAdmission.sum() + runner.shed.sum(), cancelled + cancelledOnClose.sum(), runner.calls.sum(),
        runner.splits.sum(), t.maxRows(), Duration.ofNanos(t.windowNanos()), t.cost().fixedNanos(),
        t.cost().perRowNanos());
  }

  /**
   * Stops accepting requests, runs what is queued (at once, without waiting for the window) for up to the
   * drain timeout, fails what is still queued then with {@link IllegalStateException}, waits for the
   * batches in flight and for the batcher threads to end. Idempotent; a concurrent second call waits too.
   * Called on a batcher thread (in a dependent stage of a future), it only stops accepting requests and
   * returns; the threads still drain the queue and end, without the drain timeout. Does not close the
   * delegate. Interrupts are remembered, not obeyed. Thread-safe.
   */
  @Override
  public void close() {
    boolean interrupted = false;
    lock.lock();
    try {
      if (lifecycle == Lifecycle.RUNNING) {
        lifecycle = Lifecycle.DRAINING;
        drainDeadline = PendingRequest.saturatedAdd(ticker.read(), drainTimeoutNanos);
        workAvailable.signalAll();
      }
    } finally {
      lock.unlock();
    }
    if (manual) {
      drainOnCaller();
    } else if (onBatcherThread()) {
      // called from a dependent stage on a batcher thread: waiting here would wait for this very thread
      LOG.debug("model {}: close() on a batcher thread; the other threads drain the queue", id);
      return;
    } else {
      interrupted = awaitWorkers();
      for (Thread t : threads) {
        interrupted |= joinUninterruptibly(t);
      }
    }
    lock.lock();
    try {
      if (lifecycle != Lifecycle.TERMINATED) {
        lifecycle = Lifecycle.TERMINATED;
        metrics.close();
        LOG.debug("model {}: batching closed", id);
      }
    } finally {
      lock.unlock();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** @return whether {@link #close()} has been called */
  public boolean isClosed() {
    lock.lock();
    try {
      return lifecycle != Lifecycle.RUNNING;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "BatchingPredictor[" + id + "]";
  }

  // ---------------------------------------------------------------- admission

  private PendingRequest newRequest(NamedTensors inputs, List<String> outputNames, RequestOptions options,
      CompletableFuture<NamedTensors> future) {
    long rows = -1;
    String first = null;
    long[] dims = new long[dynamicAxisCount];
    int d = 0;
    for (int i = 0; i < inputNames.size(); i++) {
      String name = inputNames.get(i);
      Tensor t = inputs.get(name);
      if (rows < 0) {
        rows = t.rows();
        first = name;
      } else if (t.rows() != rows) {
        throw new InvalidInputException("input '" + name + "': expected " + rows + " rows like input '" + first + "' but got "
            + t.dtype() + " " + t.shape());
      }
      for (int axis : dynamicAxes[i]) {
        dims[d++] = t.shape().dim(axis);
      }
    }
    if (rows > Integer.MAX_VALUE) {
      throw new InvalidInputException("inputs: expected at most " + Integer.MAX_VALUE + " rows but got " + rows);
    }
    List<String> outputs = outputNames.isEmpty() ? allOutputs : List.copyOf(outputNames);
    long timeout = options.timeout() != null ? nanos(options.timeout()) : defaultTimeoutNanos;
    return new PendingRequest(inputs, new BatchKey(outputs, dims), (int) rows, options.priority(), ticker.read(), timeout,
        future);
  }

  private void submit(PendingRequest r) {
    RuntimeException refusal = null;
    PendingRequest displaced = null;
    lock.lock();
    try {
      if (lifecycle != Lifecycle.RUNNING) {
        refusal = new IllegalStateException("BatchingPredictor for model " + id + " is closed");
      } else if ((refusal = predictedMiss(r)) != null) {
        shedOnAdmission.increment();
        metrics.shed();
      } else {
        PendingRequest out = queue.offer(r);
        if (out == r) {
          refusal = new OverloadedException("model " + id + ": the batching queue is full (maxQueueSize " + maxQueueSize
              + " requests)", null);
          rejected.increment();
          metrics.rejected();
        } else {
          displaced = out;
          accepted.increment();
          wakeWorkerIfDue();
        }
      }
    } finally {
      lock.unlock();
    }
    if (refusal != null) {
      r.future.completeExceptionally(refusal);
    }
    if (displaced != null) {
      rejected.increment();
      metrics.rejected();
      displaced.future.completeExceptionally(new OverloadedException("model " + id
          + ": displaced from the full batching queue (maxQueueSize " + maxQueueSize + ") by a HIGH-priority request", null));
    }
  }

  /** In adaptive mode: the failure of a request predicted to finish after its deadline. Holds the lock. */
  private @Nullable DeadlineExceededException predictedMiss(PendingRequest r) {
    BatchTuner.Tuning t = tuning.get();
    if (!tuner.adaptive() || !t.warm() || !r.hasDeadline()) {
      return null;
    }
    long ahead = queue.rowsAhead(r.priority) + r.rows;
    int limit = t.maxRows();
    long batches = (ahead + limit - 1) / limit;
    long rounds = (batches + workers - 1) / workers;
    long predicted = rounds * t.cost().predict(Math.min(ahead, limit));
    if (predicted <= r.timeoutNanos) {
      return null;
    }
    return new DeadlineExceededException(String.format(Locale.ROOT,
        "model %s: request shed on arrival: predicted to finish in %s (%d rows queued ahead) but its timeout is %s", id,
        millis(predicted), ahead - r.rows, millis(r.timeoutNanos)));
  }

  /** Holds the lock. Wakes one sleeping worker if the queue now has work before they would wake. */
  private void wakeWorkerIfDue() {
    if (idleWorkers == 0) {
      return;
    }
    BatchTuner.Tuning t = tuning.get();
    long due = queue.nextDueAt(t.maxRows(), t.windowNanos());
    if (due < idleUntil) {
      idleUntil = due;
      workAvailable.signal();
    }
  }

  // ---------------------------------------------------------------- dispatch

  /**
   * Takes the next due batch. Expired requests found on the way go to {@code expiredOut}, to be failed by
   * the caller outside the lock.
   *
   * @param block whether to sleep until a batch is due (workers) or to return at once (manual mode)
   * @return a batch; {@link #NOTHING_DUE} if there is none now (or expired requests to fail first); null
   *     when the batcher is closing and the queue is empty
   */
  private @Nullable Batch nextBatch(boolean block, List<PendingRequest> expiredOut) {
    lock.lock();
    try {
      for (;;) {
        long now = ticker.read();
        queue.expire(now, expiredOut);
        BatchTuner.Tuning t = tuning.get();
        boolean flush = lifecycle != Lifecycle.RUNNING;
        long window = t.windowNanos();
        List<PendingRequest> requests = queue.poll(now, t.maxRows(), window, flush);
        if (requests != null) {
          if (idleWorkers > 0 && queue.nextDueAt(t.maxRows(), window) <= now) {
            workAvailable.signal();
          }
          return new Batch(requests, now);
        }
        if (flush && queue.isEmpty()) {
          return null;
        }
        if (!block || !expiredOut.isEmpty()) {
          return NOTHING_DUE;
        }
        long due = queue.nextDueAt(t.maxRows(), window);
        idleWorkers++;
        idleUntil = Math.min(idleUntil, due);
        try {
          if (due == Long.MAX_VALUE) {
            workAvailable.await();
          } else {
            workAvailable.awaitNanos(Math.max(1, due - now));
          }
        } catch (InterruptedException e) {
          // batcher threads stop on close(), not on interrupts
        } finally {
          idleWorkers--;
          idleUntil = Long.MAX_VALUE;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private void workerLoop() {
    List<PendingRequest> expiredNow = new ArrayList<>();
    try {
      for (;;) {
        Batch b = nextBatch(true, expiredNow);
        failExpired(expiredNow);
        if (b == null) {
          return;
        }
        if (b != NOTHING_DUE) {
          runner.run(b.requests(), b.takenAt());
        }
      }
    } catch (Throwable e) {
      LOG.error("model {}: batcher thread {} failed", id, Thread.currentThread().getName(), e);
      throw e;
    } finally {
      lock.lock();
      try {
        if (--liveWorkers == 0) {
          if (lifecycle == Lifecycle.RUNNING) {
            // only after an unexpected error: nobody is left to serve the queue
            lifecycle = Lifecycle.CANCELLING;
            failAll(queue.removeAll(), "its batcher threads died");
          }
          workersExited.signalAll();
        }
      } finally {
        lock.unlock();
      }
    }
  }

  private void failExpired(List<PendingRequest> expiredNow) {
    if (expiredNow.isEmpty()) {
      return;
    }
    expired.add(expiredNow.size());
    metrics.expired(expiredNow.size());
    for (PendingRequest r : expiredNow) {
      r.future.completeExceptionally(new DeadlineExceededException("model " + id + ": deadline of "
          + millis(r.timeoutNanos) + " passed while the request was queued; it did not run"));
    }
    expiredNow.clear();
  }

  // ---------------------------------------------------------------- close

  /** Waits for the workers to drain the queue, cancelling what is left at the drain deadline. */
  private boolean awaitWorkers() {
    boolean interrupted = false;
    for (;;) {
      List<PendingRequest> cancelled = null;
      lock.lock();
      try {
        while (liveWorkers > 0 && cancelled == null) {
          long now = ticker.read();
          if (lifecycle == Lifecycle.DRAINING && now >= drainDeadline) {
            lifecycle = Lifecycle.CANCELLING;
            cancelled = queue.removeAll();
            workAvailable.signalAll();
            break;
          }
          try {
            if (lifecycle == Lifecycle.DRAINING) {
              workersExited.awaitNanos(drainDeadline == Long.MAX_VALUE ? CLOSE_POLL_NANOS
                  : Math.min(CLOSE_POLL_NANOS, drainDeadline - now));
            } else {
              workersExited.await();
            }
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      } finally {
        lock.unlock();
      }
      if (cancelled == null) {
        return interrupted;
      }
      failAll(cancelled, "the drain timeout of " + millis(drainTimeoutNanos) + " passed");
    }
  }

  private void drainOnCaller() {
    List<PendingRequest> expiredNow = new ArrayList<>();
    for (;;) {
      List<PendingRequest> cancelled = null;
      lock.lock();
      try {
        if (lifecycle == Lifecycle.DRAINING && ticker.read() >= drainDeadline) {
          lifecycle = Lifecycle.CANCELLING;
          cancelled = queue.removeAll();
        }
      } finally {
        lock.unlock();
      }
      if (cancelled != null) {
        failAll(cancelled, "the drain timeout of " + millis(drainTimeoutNanos) + " passed");
        return;
      }
      Batch b = nextBatch(false, expiredNow);
      failExpired(expiredNow);
      if (b == null) {
        return;
      }
      if (b != NOTHING_DUE) {
        runner.run(b.requests(), b.takenAt());
      }
    }
  }

  private void failAll(List<PendingRequest> requests, String why) {
    cancelledOnClose.add(requests.size());
    for (PendingRequest r : requests) {
      r.future.completeExceptionally(new IllegalStateException("BatchingPredictor for model " + id
          + " closed before the request ran: " + why));
    }
  }

  private static boolean joinUninterruptibly(Thread t) {
    boolean interrupted = false;
    for (;;) {
      try {
        t.join();
        return interrupted;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private boolean onBatcherThread() {
    return !threads.isEmpty() && threads.contains(Thread.currentThread());
  }

  private int queuedRequests() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  private RuntimeException rethrowable(Throwable cause) {
    Throwable e = unwrap(cause);
    if (e instanceof RuntimeException) {
      return (RuntimeException) e;
    }
    if (e instanceof Error) {
      throw (Error) e;
    }
    return new BackendException("model " + id + ": batched prediction failed: " + e, e);
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static ThreadFactory namedDaemonThreads(String prefix) {
    int[] next = {0};
    return r -> {
      Thread t = new Thread(r, prefix + next[0]++);
      t.setDaemon(true);
      return t;
    };
  }

  static long nanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
  }

  private static void checkBatchable(Predictor delegate) {
    ModelSignature sig = delegate.signature();
    if (sig.inputs().isEmpty()) {
      throw new IllegalArgumentException("delegate: model " + delegate.modelId()
          + " cannot be batched: it has no input to count rows on");
    }
    List<TensorSpec> specs = new ArrayList<>(sig.inputs());
    specs.addAll(sig.outputs());
    for (TensorSpec spec : specs) {
      if (spec.shape().rank() == 0 || spec.shape().dim(0) != Shape.DYNAMIC) {
        String kind = sig.inputs().contains(spec) ? "input" : "output";
        throw new IllegalArgumentException("delegate: model " + delegate.modelId() + " cannot be batched: " + kind + " '"
            + spec.name() + "' is " + spec.dtype() + " " + spec.shape()
            + ", expected a dynamic first (batch) dimension such as [-1, ...]");
      }
    }
  }

  /**
   * Builds a {@link BatchingPredictor}. Every option may be set once; a second call, or options that
   * conflict, throw {@link IllegalStateException}. Not thread-safe.
   */
  public static final class Builder {
    static final int UNSET = -1;
    static final int DEFAULT_MAX_BATCH_SIZE = 32;
    static final Duration DEFAULT_MAX_QUEUE_DELAY = Duration.ofMillis(2);
    static final int DEFAULT_MAX_QUEUE_SIZE = 10_000;
    static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    private final Predictor delegate;
    private int maxBatchSize = UNSET;
    private @Nullable Duration maxQueueDelay;
    private int maxQueueSize = UNSET;
    private int workers = UNSET;
    private @Nullable Duration defaultTimeout;
    private @Nullable Duration latencyTarget;
    private @Nullable Duration drainTimeout;
    private boolean isolateFailures = true;
    private boolean isolateFailuresSet;
    private @Nullable MeterRegistry meterRegistry;
    private @Nullable Ticker ticker;
    private @Nullable ThreadFactory threadFactory;
    private boolean manual;

    private Builder(Predictor delegate) {
      if (delegate == null) {
        throw new NullPointerException("delegate must not be null");
      }
      checkBatchable(delegate);
      this.delegate = delegate;
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
      requireUnset(maxBatchSize == UNSET, "maxBatchSize", maxBatchSize);
      if (rows < 1) {
        throw new IllegalArgumentException("maxBatchSize must be > 0 but was " + rows);
      }
      this.maxBatchSize = rows;
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
      requireUnset(maxQueueDelay == null, "maxQueueDelay", maxQueueDelay);
      if (latencyTarget != null) {
        throw new IllegalStateException("maxQueueDelay conflicts with latencyTarget: the adaptive mode never waits for company");
      }
      if (delay == null || delay.isNegative()) {
        throw new IllegalArgumentException("maxQueueDelay must be >= 0 but was " + delay);
      }
      this.maxQueueDelay = delay;
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
      requireUnset(maxQueueSize == UNSET, "maxQueueSize", maxQueueSize);
      if (requests < 1) {
        throw new IllegalArgumentException("maxQueueSize must be > 0 but was " + requests);
      }
      this.maxQueueSize = requests;
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
      requireUnset(workers == UNSET, "workers", workers);
      if (manual) {
        throw new IllegalStateException("workers conflicts with manualDispatch: a manual batcher has no threads");
      }
      if (threads < 1) {
        throw new IllegalArgumentException("workers must be > 0 but was " + threads);
      }
      this.workers = threads;
      return this;
    }

    /**
     * The timeout of requests that do not set their own ({@link RequestOptions#timeout()}); default none.
     * A request still queued when it passes fails with {@link DeadlineExceededException} and never runs.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set
     */
    public Builder defaultTimeout(Duration timeout) {
      requireUnset(defaultTimeout == null, "defaultTimeout", defaultTimeout);
      this.defaultTimeout = positive("defaultTimeout", timeout);
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
      requireUnset(latencyTarget == null, "latencyTarget", latencyTarget);
      if (maxQueueDelay != null) {
        throw new IllegalStateException("latencyTarget conflicts with maxQueueDelay: the adaptive mode never waits for company");
      }
      this.latencyTarget = positive("latencyTarget", target);
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
      requireUnset(drainTimeout == null, "drainTimeout", drainTimeout);
      if (timeout == null || timeout.isNegative()) {
        throw new IllegalArgumentException("drainTimeout must be >= 0 but was " + timeout);
      }
      this.drainTimeout = timeout;
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
      requireUnset(!isolateFailuresSet, "isolateFailures", isolateFailures);
      this.isolateFailures = isolate;
      this.isolateFailuresSet = true;
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
      requireUnset(meterRegistry == null, "meterRegistry", meterRegistry);
      if (registry == null) {
        throw new NullPointerException("meterRegistry must not be null");
      }
      this.meterRegistry = registry;
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
      requireUnset(this.ticker == null, "ticker", this.ticker);
      if (ticker == null) {
        throw new NullPointerException("ticker must not be null");
      }
      this.ticker = ticker;
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
      requireUnset(threadFactory == null, "threadFactory", threadFactory);
      if (manual) {
        throw new IllegalStateException("threadFactory conflicts with manualDispatch: a manual batcher has no threads");
      }
      if (factory == null) {
        throw new NullPointerException("threadFactory must not be null");
      }
      this.threadFactory = factory;
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
      requireUnset(!manual, "manualDispatch", true);
      if (workers != UNSET || threadFactory != null) {
        throw new IllegalStateException("manualDispatch conflicts with " + (workers != UNSET ? "workers" : "threadFactory")
            + ": a manual batcher has no threads");
      }
      this.manual = true;
      return this;
    }

    /**
     * Builds the batcher and starts its threads.
     *
     * @return the batcher, owned by the caller, who must close it
     */
    public BatchingPredictor build() {
      BatchingPredictor p = new BatchingPredictor(this);
      p.start();
      return p;
    }

    private static void requireUnset(boolean unset, String option, @Nullable Object current) {
      if (!unset) {
        throw new IllegalStateException(option + " was already set to " + current);
      }
    }

    private static Duration positive(String option, @Nullable Duration d) {
      if (d == null || d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(option + " must be > 0 but was " + d);
      }
      return d;
    }
  }
}
