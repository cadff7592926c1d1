package dev.jinfer;

import dev.jinfer.internal.LeaseCounter;
import dev.jinfer.internal.WarmupInputs;
import dev.jinfer.spi.BackendSession;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Model} every backend gets: validation before any native call, an in-flight gate so that
 * close never frees a session under a running call, metrics, error mapping, and deadlines.
 *
 * <p>A call with a deadline on a session that cannot cancel runs on one of this model's deadline threads
 * ({@code jinfer-deadline-<model>-<n>}, daemon, started on first use, at most
 * {@link #MAX_DEADLINE_THREADS}, each ending after {@link #DEADLINE_THREAD_KEEP_ALIVE_SECONDS} idle
 * seconds and all of them at close) while the caller waits until the deadline at most.
 */
final class DefaultModel implements Model {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultModel.class);
  /**
   * Deadline threads per model: calls with a deadline running at once on an engine that cannot cancel,
   * abandoned ones included; one more fails with {@link OverloadedException}.
   */
  public static final int MAX_DEADLINE_THREADS = 64;
  /** How long an idle deadline thread lives. */
  public static final long DEADLINE_THREAD_KEEP_ALIVE_SECONDS = 30;

  private final ModelId id;
  private final String backend;
  private final BackendSession session;
  private final LoadOptions options;
  private final ModelSignature signature;
  private final List<String> allOutputs;
  private final Map<String, String> metadata;
  private final LeaseCounter gate = new LeaseCounter();
  private final PredictorMetrics metrics;
  private final Ticker ticker;
  private final boolean rejectNonFinite;
  private final Object deadlineLock = new Object();
  private volatile @Nullable ThreadPoolExecutor deadlineThreads; // made under deadlineLock, read without it
  /** Set when a bounded close gave up waiting: the last call out then releases the session. */
  private volatile boolean lastCallReleases;
  private final AtomicBoolean released = new AtomicBoolean();
  /** Longer waits are as good as forever (and would overflow nanoseconds). */
  private static final Duration MAX_WAIT = Duration.ofDays(365);
  /**
   * How long a caller waiting for its deadline thread yields before it parks: a wake-up from park costs about
   * 20 us on a 2-vCPU VM (PytorchOverheadBenchmark.jinferWithDeadline: 65 us a call parked at once, 44-47 us with this).
   */
  private static final long YIELD_WAIT_NANOS = 50_000L;

  private DefaultModel(ModelId id, String backend, BackendSession session, LoadOptions options) {
    this.id = id;
    this.backend = backend;
    this.session = session;
    this.options = options;
    this.signature = session.signature();
    this.allOutputs = signature.outputNames();
    this.metadata = Map.copyOf(session.metadata());
    this.metrics = PredictorMetrics.create(id, options);
    this.ticker = options.ticker();
    this.rejectNonFinite = options.rejectNonFinite();
  }

  /**
   * Wraps a freshly loaded session and runs the warmup calls; closes the session if warmup fails.
   *
   * @param id the model id
   * @param backend the backend's name
   * @param session the loaded session, now owned by the model
   * @param options the load options
   * @return the ready model
   * @throws ModelLoadException if a warmup call fails
   */
  public static DefaultModel open(ModelId id, String backend, BackendSession session, LoadOptions options) {
    DefaultModel model = null;
    try {
      model = new DefaultModel(id, backend, session, options);
      if (options.warmupCalls() > 0) {
        NamedTensors inputs = WarmupInputs.of(model.signature);
        for (int i = 0; i < options.warmupCalls(); i++) {
          model.session.run(inputs, model.allOutputs);
        }
      }
      return model;
    } catch (Throwable e) {
      try {
        if (model != null) {
          model.metrics.close(); // the meters were registered in the user's registry
        }
        session.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof Error) {
        throw (Error) e;
      }
      throw new ModelLoadException("model " + id + ": warmup failed: " + e.getMessage(), e);
    }
  }

  /**
   * The predict path shared by every handle.
   *
   * @param inputs the request
   * @param outputNames outputs wanted, empty for all
   * @return the outputs
   */
  NamedTensors run(NamedTensors inputs, List<String> outputNames) {
    if (!gate.tryAcquire()) {
      throw new ModelClosedException("model " + id + " is closed");
    }
    long start = ticker.read();
    try {
      signature.validate(inputs, outputNames, rejectNonFinite);
      NamedTensors out = session.run(inputs, outputNames.isEmpty() ? allOutputs : outputNames);
      metrics.success(ticker.read() - start);
      return out;
    } catch (Throwable e) {
      RuntimeException mapped = mapFailure(e, false);
      if (mapped instanceof InferenceException) {
        metrics.failure(((InferenceException) mapped).code(), ticker.read() - start);
      }
      throw mapped;
    } finally {
      leave();
    }
  }

  /**
   * The predict path with a deadline: see {@link Predictor#predict(NamedTensors, List, CallOptions)}.
   *
   * @param inputs the request
   * @param outputNames outputs wanted, empty for all
   * @param deadline when the call must be done
   * @return the outputs, ready before the deadline
   */
  NamedTensors run(NamedTensors inputs, List<String> outputNames, Deadline deadline) {
    if (!gate.tryAcquire()) {
      throw new ModelClosedException("model " + id + " is closed");
    }
    boolean handedOff = false;
    long start = ticker.read();
    try {
      signature.validate(inputs, outputNames, rejectNonFinite);
      if (deadline.isExpired()) {
        throw DeadlineExceededException.beforeStart(id, deadline);
      }
      List<String> names = outputNames.isEmpty() ? allOutputs : outputNames;
      NamedTensors out;
      if (session.supportsCancellation()) {
        try {
          out = session.run(inputs, names, deadline);
        } catch (DeadlineExceededException e) {
          throw new DeadlineExceededException("model " + id + ": the deadline (timeout " + deadline.describeTimeout()
              + ") passed while the " + backend + " engine ran; the engine stopped the call", e);
        }
      } else {
        CompletableFuture<NamedTensors> result = new CompletableFuture<>();
        Runnable call = () -> {
          try {
            result.complete(session.run(inputs, names));
          } catch (Throwable t) {
            result.completeExceptionally(t);
          } finally {
            leave(); // the call leaves the gate when the engine is done, not when its caller gave up
          }
        };
        Executor own = options.deadlineExecutor().orElse(null);
        try {
          (own != null ? own : deadlineThreads()).execute(call);
        } catch (RejectedExecutionException e) {
          throw new OverloadedException("model " + id + ": " + (own != null ? "the deadline executor of its LoadOptions"
              + " refused the call" : MAX_DEADLINE_THREADS + " calls with a deadline are already running") + " on the "
              + backend + " engine, which cannot cancel them (abandoned calls included)", e);
        }
        handedOff = true;
        out = await(result, deadline);
      }
      if (deadline.isExpired()) {
        throw DeadlineExceededException.lateResult(id, deadline);
      }
      metrics.success(ticker.read() - start);
      return out;
    } catch (Throwable e) {
      RuntimeException mapped = mapFailure(e, handedOff);
      if (mapped instanceof InferenceException) {
        metrics.failure(((InferenceException) mapped).code(), ticker.read() - start);
      }
      throw mapped;
    } finally {
      if (!handedOff) {
        leave();
      }
    }
  }

  private NamedTensors await(CompletableFuture<NamedTensors> result, Deadline deadline) throws Throwable {
    // A short call is often done before a parked caller would even be woken: look again for a few tens of
    // microseconds first, yielding the CPU to any runnable thread (the deadline thread among them) each time.
    long spinUntil = System.nanoTime() + Math.min(YIELD_WAIT_NANOS, Math.max(0, deadline.remainingNanos()));
    while (!result.isDone() && System.nanoTime() - spinUntil < 0) {
      Thread.yield();
    }
    try {
      return result.get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new DeadlineExceededException("model " + id + ": the deadline (timeout " + deadline.describeTimeout()
          + ") passed while the " + backend + " engine ran; it cannot cancel the call, which was abandoned (it runs"
          + " out on a deadline thread, its result discarded)");
    } catch (ExecutionException e) {
      throw e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancelledException("model " + id + ": cancelled (the calling thread was interrupted) while waiting for the "
          + backend + " engine; the call was abandoned (it runs out on a deadline thread, its result discarded)", e);
    }
  }

  /** Whether an InterruptedException (or an interrupted channel) is the failure or one of its causes. */
  private static boolean byInterrupt(Throwable e) {
    Throwable t = e;
    for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
      if (t instanceof InterruptedException || t instanceof ClosedByInterruptException) {
        return true;
      }
    }
    return false;
  }

  /**
   * The exception a failed call throws: jinfer's own as they are; a failure of an engine that ran on the caller's
   * thread while that thread was interrupted, or because of it, is a {@link CancelledException}; anything else the
   * engine threw is a {@link BackendException}. A failure from a deadline thread ({@code handedOff}) is never
   * taken for the caller's cancellation.
   */
  private RuntimeException mapFailure(Throwable e, boolean handedOff) {
    if (!handedOff && e instanceof Exception && (!(e instanceof InferenceException) || e instanceof BackendException)
        && (Thread.currentThread().isInterrupted() || byInterrupt(e))) {
      // the engine ran on the caller's thread, which was interrupted (a cancellation), and stopped because of it
      Thread.currentThread().interrupt(); // an InterruptedException cleared the flag: the caller's code above must see it
      return new CancelledException("model " + id + ": cancelled (the calling thread was interrupted) while the " + backend
          + " engine ran; it stopped with: " + e, e);
    }
    if (e instanceof InferenceException) {
      return (InferenceException) e;
    }
    if (e instanceof Exception || e instanceof LinkageError) {
      return new BackendException("model " + id + ": the " + backend + " engine failed: " + e.getMessage(), e);
    }
    throw (Error) e;
  }

  private ThreadPoolExecutor deadlineThreads() {
    ThreadPoolExecutor made = deadlineThreads;
    if (made != null) {
      return made; // every call after the first: no lock
    }
    synchronized (deadlineLock) {
      ThreadPoolExecutor threads = deadlineThreads;
      if (threads == null) {
        AtomicInteger n = new AtomicInteger();
        threads = new ThreadPoolExecutor(0, MAX_DEADLINE_THREADS, DEADLINE_THREAD_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
              Thread t = new Thread(r, "jinfer-deadline-" + id + "-" + n.getAndIncrement());
              t.setDaemon(true);
              return t;
            });
        deadlineThreads = threads;
      }
      return threads;
    }
  }

  @Override
  public ModelId id() {
    return id;
  }

  @Override
  public ModelSignature signature() {
    return signature;
  }

  @Override
  public String backend() {
    return backend;
  }

  @Override
  public Device device() {
    return session.device();
  }

  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public LoadOptions options() {
    return options;
  }

  @Override
  public Predictor predictor() {
    if (gate.isClosed()) {
      throw new ModelClosedException("model " + id + " is closed");
    }
    return new Handle();
  }

  @Override
  public boolean isClosed() {
    return gate.isClosed();
  }

  @Override
  public void close() {
    gate.closeAndAwait();
    release();
  }

  @Override
  public boolean close(Duration timeout) {
    if (timeout == null || timeout.isNegative()) {
      throw new IllegalArgumentException("model " + id + ": close timeout: expected a duration >= 0 but got " + timeout);
    }
    gate.close();
    long nanos = timeout.compareTo(MAX_WAIT) > 0 ? Long.MAX_VALUE : timeout.toNanos();
    if (gate.awaitDrained(nanos)) {
      release();
      return true;
    }
    lastCallReleases = true;
    long running = gate.held();
    if (running == 0) {
      release(); // the last call left between the wait and the flag, and may not have seen it
      return true;
    }
    LOG.warn("model {}: closing: {} call(s) still running on the {} engine after {}; its session is released when"
        + " the last of them ends", id, running, backend, timeout);
    return false;
  }

  /** Leaves the gate; the last call out of a model whose bounded close gave up waiting releases it. */
  private void leave() {
    if (gate.release() && lastCallReleases) {
      release();
    }
  }

  /** Frees the deadline threads, meters and engine session, once, after the last call. */
  private void release() {
    if (!released.compareAndSet(false, true)) {
      return;
    }
    synchronized (deadlineLock) {
      if (deadlineThreads != null) {
        deadlineThreads.shutdown(); // idle by now: the gate counted every call they ran
      }
    }
    metrics.close();
    try {
      session.close();
    } catch (Exception e) {
      LOG.warn("model {}: the {} engine failed to release its session", id, backend, e);
    }
  }

  @Override
  public String toString() {
    return "Model[" + id + ", backend=" + backend + ", device=" + session.device() + ", " + signature + "]";
  }

  /** A predictor handle; owns nothing, so closing it only stops this handle. */
  private final class Handle implements Predictor {
    private final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public ModelId modelId() {
      return id;
    }

    @Override
    public ModelSignature signature() {
      return signature;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
      if (closed.get()) {
        throw new ModelClosedException("predictor for model " + id + " is closed");
      }
      if (options == null) {
        throw new InvalidInputException("options: expected CallOptions but got null");
      }
      Deadline deadline = options.deadlineOrNull();
      return deadline == null ? run(inputs, outputNames) : run(inputs, outputNames, deadline);
    }

    @Override
    public void close() {
      closed.set(true);
    }

    @Override
    public String toString() {
      return "Predictor[" + id + "]";
    }
  }
}
