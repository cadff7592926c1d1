package dev.jinfer.flink;

import dev.jinfer.CallOptions;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.NamedTensors;
import dev.jinfer.TensorSpec;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.jspecify.annotations.Nullable;

/**
 * Scores the events of a Flink stream with a jinfer model through {@code AsyncDataStream}: each event's
 * inputs go to the serving chain's {@code predictAsync} (through the batcher when batching is on, so the events
 * in flight share engine calls) and the task thread never blocks on the engine.
 *
 * <pre>{@code
 * AsyncScoringFunction<Transaction, Alert> scoring = AsyncScoringFunction
 *     .newBuilder("/models/fraud.onnx",
 *         (Transaction t) -> NamedTensors.of("features", Tensor.ofFloats(t.features, 1, 32)),
 *         (t, out) -> new Alert(t.id, out.get("probabilities").getFloat(1)),
 *         TypeInformation.of(Alert.class))
 *     .batching(32, Duration.ofMillis(2))       // or adaptiveBatching(64, 5 ms), or none: a call per event
 *     .inputs(TensorSpec.of("features", DType.FLOAT32, -1, 32))   // checked against the model in open
 *     .timeout(Duration.ofMillis(500))          // Flink's async timeout and each call's deadline
 *     .maxInFlight(256)                         // AsyncDataStream capacity
 *     .build();
 * DataStream<Alert> alerts = scoring.unorderedWait(transactions);   // or orderedWait
 * }</pre>
 *
 * <p><b>Model per TaskManager.</b> In {@code open} a subtask takes a lease on its TaskManager's model
 * ({@link TaskManagerModels}: one model and one chain per location, version and settings, shared by the
 * job's subtasks in that JVM); {@code close} returns it and the last one closes the model.
 *
 * <p><b>Checks at start.</b> {@code open} checks the {@link Builder#outputNames outputs} and the
 * {@link Builder#inputs declared inputs} against the model's signature, so a model that does not fit the job
 * fails it before any event with {@code InvalidInputException} naming the input or output, what the job
 * expects and what the model has (the feature function itself can only be checked per event).
 *
 * <p><b>Timeouts and in-flight bound.</b> {@link #unorderedWait} and {@link #orderedWait} pass the timeout
 * and {@code maxInFlight} to {@code AsyncDataStream} (its capacity: beyond it the operator back-pressures),
 * and every call carries a deadline at the same timeout, so the batcher drops an event whose time is up
 * before it reaches the engine. A timed-out event fails with {@link DeadlineExceededException} (failing the
 * job, Flink's default), as does an event the model rejects ({@code InvalidInputException}) or an engine
 * failure; Flink's restart strategy then replays from the last checkpoint.
 *
 * <p><b>Checkpoints.</b> The function keeps no state: the only thing lost on failure is the events in
 * flight, which {@code AsyncWaitOperator} stores in its checkpoints and replays on restore.
 *
 * <p><b>Metrics</b> in the operator's metric group {@code jinfer}: counters {@code scored}, {@code failed},
 * {@code timeouts}, a meter {@code scoredPerSecond}, a gauge {@code inFlight}, and the histograms
 * {@code latencyMicros} (per scored event, from {@code asyncInvoke} to its result) and {@code failedLatencyMicros}
 * (per event that failed in jinfer: rejected, expired in the batcher's queue, engine or result function failure;
 * not Flink's own timeouts, which only {@code timeouts} counts). The histograms are HdrHistogram's, their
 * statistics over the last 30 to 60 s. With {@link Builder#micrometer()},
 * the model and chain also record into Micrometer's global registry (the predict timer, the batcher's meters).
 *
 * <p>Thread safety: Flink calls a function instance from one task thread; results complete on jinfer threads.
 *
 * @param <IN> the event type
 * @param <OUT> the scored event type
 */
public final class AsyncScoringFunction<IN, OUT> extends RichAsyncFunction<IN, OUT> implements ResultTypeQueryable<OUT> {
  private static final long serialVersionUID = 1L;

  private final ScoringSettings settings;
  private final FeatureFunction<IN> features;
  private final ResultFunction<IN, OUT> results;
  private final TypeInformation<OUT> outputType;
  private final List<String> outputNames;
  private final List<SignatureCheck.Declared> inputs;
  private final Duration timeout;
  private final int maxInFlight;

  private transient TaskManagerModels.@Nullable Lease lease;
  private transient @Nullable Counter scored;
  private transient @Nullable Counter failed;
  private transient @Nullable Counter timeouts;
  private transient @Nullable Histogram latency;
  private transient @Nullable Histogram failedLatency;
  private transient @Nullable AtomicInteger inFlight;

  private AsyncScoringFunction(Builder<IN, OUT> b) {
    this.settings = new ScoringSettings(b.location, b.version, b.batching, b.maxBatchSize, b.maxQueueDelay, b.latencyTarget, b.threads,
        b.micrometer);
    this.features = b.features;
    this.results = b.results;
    this.outputType = b.outputType;
    this.outputNames = b.outputNames;
    this.inputs = b.inputs;
    this.timeout = b.timeout;
    this.maxInFlight = b.maxInFlight;
  }

  /**
   * A builder for a function scoring with the model at a location every TaskManager can read.
   *
   * @param <IN> the event type
   * @param <OUT> the scored event type
   * @param modelLocation a model file or directory readable on every TaskManager
   * @param features turns an event into the model's inputs
   * @param results makes the output event from the event and its outputs
   * @param outputType Flink's type of the output events
   * @return a builder (no batching, 1 s timeout, 100 in flight)
   * @throws NullPointerException if an argument is null
   */
  public static <IN, OUT> Builder<IN, OUT> newBuilder(String modelLocation, FeatureFunction<IN> features,
      ResultFunction<IN, OUT> results, TypeInformation<OUT> outputType) {
    return new Builder<>(Objects.requireNonNull(modelLocation, "modelLocation"), Objects.requireNonNull(features, "features"),
        Objects.requireNonNull(results, "results"), Objects.requireNonNull(outputType, "outputType"));
  }

  /**
   * Scores a stream, emitting each result as soon as it is ready ({@code AsyncDataStream.unorderedWait} with
   * this function's timeout and {@code maxInFlight} as its capacity).
   *
   * @param events the events
   * @return the scored events
   */
  public SingleOutputStreamOperator<OUT> unorderedWait(DataStream<IN> events) {
    return AsyncDataStream.unorderedWait(events, this, timeout.toMillis(), TimeUnit.MILLISECONDS, maxInFlight);
  }

  /**
   * Scores a stream, emitting results in the order of the events ({@code AsyncDataStream.orderedWait}).
   *
   * @param events the events
   * @return the scored events, in input order
   */
  public SingleOutputStreamOperator<OUT> orderedWait(DataStream<IN> events) {
    return AsyncDataStream.orderedWait(events, this, timeout.toMillis(), TimeUnit.MILLISECONDS, maxInFlight);
  }

  /**
   * Takes a lease on the TaskManager's model, checks the model's signature against the job and registers the
   * metrics.
   *
   * @throws dev.jinfer.ModelLoadException if this TaskManager cannot read or load the model
   * @throws dev.jinfer.InvalidInputException if an output name or a declared input does not fit the model
   */
  @Override
  public void open(OpenContext context) {
    open(getRuntimeContext().getMetricGroup());
  }

  /** {@link #open(OpenContext)} with the operator's metric group (tests pass their own). */
  void open(MetricGroup operatorMetrics) {
    TaskManagerModels.Lease l = TaskManagerModels.acquire(settings);
    try {
      SignatureCheck.check(settings.location(), l.signature(), inputs, outputNames);
    } catch (RuntimeException e) {
      l.close();
      throw e;
    }
    lease = l;
    MetricGroup group = operatorMetrics.addGroup("jinfer");
    scored = group.counter("scored");
    failed = group.counter("failed");
    timeouts = group.counter("timeouts");
    group.meter("scoredPerSecond", new MeterView(scored));
    latency = group.histogram("latencyMicros", HdrLatencyHistogram.lastMinute());
    failedLatency = group.histogram("failedLatencyMicros", HdrLatencyHistogram.lastMinute());
    AtomicInteger counter = new AtomicInteger();
    inFlight = counter;
    group.gauge("inFlight", counter::get);
  }

  /** Returns the lease; the last subtask of the TaskManager closes the model. */
  @Override
  public void close() {
    if (lease != null) {
      lease.close();
      lease = null;
    }
  }

  /**
   * Starts scoring one event; completes the result future on a jinfer thread with one output event, or
   * exceptionally with what the model, the batcher or the feature function threw.
   *
   * @param event the event
   * @param resultFuture Flink's future for it
   * @throws IllegalStateException if called before {@code open} or after {@code close}
   */
  @Override
  public void asyncInvoke(IN event, ResultFuture<OUT> resultFuture) {
    TaskManagerModels.Lease l = lease;
    if (l == null) {
      throw new IllegalStateException("AsyncScoringFunction for " + settings.location() + " is not open");
    }
    long start = System.nanoTime();
    inFlight.incrementAndGet();
    CompletableFuture<NamedTensors> call;
    try {
      NamedTensors inputs = features.features(event);
      call = l.chain().predictAsync(inputs, outputNames, CallOptions.of(Deadline.after(timeout)), l.executor());
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    call.whenComplete((out, error) -> {
      inFlight.decrementAndGet();
      if (error == null) {
        OUT result;
        try {
          result = results.result(event, out);
        } catch (RuntimeException e) {
          failedLatency.update((System.nanoTime() - start) / 1_000);
          failed.inc();
          resultFuture.completeExceptionally(e);
          return;
        }
        latency.update((System.nanoTime() - start) / 1_000);
        scored.inc();
        resultFuture.complete(Collections.singleton(result));
      } else {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        failedLatency.update((System.nanoTime() - start) / 1_000);
        (cause instanceof DeadlineExceededException ? timeouts : failed).inc();
        resultFuture.completeExceptionally(cause);
      }
    });
  }

  /**
   * Flink's timeout for an event: fails it with {@link DeadlineExceededException} naming the model and the
   * timeout (the call's own deadline, at the same instant, withdraws it from the batcher's queue).
   *
   * @param event the event
   * @param resultFuture Flink's future for it
   */
  @Override
  public void timeout(IN event, ResultFuture<OUT> resultFuture) {
    if (timeouts != null) {
      timeouts.inc();
    }
    resultFuture.completeExceptionally(new DeadlineExceededException("model " + settings.location()
        + ": event not scored within the AsyncDataStream timeout of " + timeout.toMillis() + " ms"));
  }

  /** @return Flink's type of the output events */
  @Override
  public TypeInformation<OUT> getProducedType() {
    return outputType;
  }

  /**
   * Builds an {@link AsyncScoringFunction}; each option may be set once. Not thread-safe.
   *
   * @param <IN> the event type
   * @param <OUT> the scored event type
   */
  public static final class Builder<IN, OUT> {
    private final String location;
    private final FeatureFunction<IN> features;
    private final ResultFunction<IN, OUT> results;
    private final TypeInformation<OUT> outputType;
    private String version = "";
    private List<String> outputNames = List.of();
    private List<SignatureCheck.Declared> inputs = List.of();
    private boolean batching;
    private int maxBatchSize = 32;
    private Duration maxQueueDelay = Duration.ofMillis(2);
    private Duration latencyTarget = Duration.ZERO;
    private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private boolean micrometer;
    private Duration timeout = Duration.ofSeconds(1);
    private int maxInFlight = 100;
    private final java.util.Set<String> set = new java.util.HashSet<>();

    private Builder(String location, FeatureFunction<IN> features, ResultFunction<IN, OUT> results,
        TypeInformation<OUT> outputType) {
      this.location = location;
      this.features = features;
      this.results = results;
      this.outputType = outputType;
    }

    private void once(String option) {
      if (!set.add(option)) {
        throw new IllegalStateException(option + " was already set");
      }
    }

    /**
     * The model version, part of the TaskManager's model key; default: the file's size and modification time.
     *
     * @param version any stable string
     * @return this builder
     * @throws IllegalStateException if set twice
     */
    public Builder<IN, OUT> modelVersion(String version) {
      once("modelVersion");
      this.version = Objects.requireNonNull(version, "modelVersion");
      return this;
    }

    /**
     * The outputs the result function gets; default all. Checked against the model's signature in {@code open}.
     *
     * @param names outputs of the model's signature
     * @return this builder
     * @throws IllegalStateException if set twice
     */
    public Builder<IN, OUT> outputNames(String... names) {
      once("outputNames");
      this.outputNames = List.of(names);
      return this;
    }

    /**
     * The inputs the feature function makes: name, dtype and shape, {@code -1} for a dimension that varies (the
     * batch dimension). {@code open} checks them against the model's signature, so a model that does not fit
     * fails the job at start (an {@code InvalidInputException} naming the input, what the job declares and what
     * the model has) rather than at its first event; the model's inputs must all be declared, each of the
     * model's dtype and rank, with equal fixed dimensions. Default: nothing declared, nothing checked at start
     * (every event is still checked against the signature).
     *
     * @param specs one per model input
     * @return this builder
     * @throws IllegalArgumentException if none is given or a name repeats
     * @throws IllegalStateException if set twice
     */
    public Builder<IN, OUT> inputs(TensorSpec... specs) {
      once("inputs");
      if (specs.length == 0) {
        throw new IllegalArgumentException("inputs must declare at least one input but was empty");
      }
      java.util.Set<String> names = new java.util.HashSet<>();
      List<SignatureCheck.Declared> declared = new java.util.ArrayList<>();
      for (TensorSpec spec : specs) {
        if (!names.add(Objects.requireNonNull(spec, "inputs").name())) {
          throw new IllegalArgumentException("inputs must name each input once but '" + spec.name() + "' repeats");
        }
        declared.add(SignatureCheck.Declared.of(spec));
      }
      this.inputs = List.copyOf(declared);
      return this;
    }

    /**
     * Micro-batching of the events in flight (the serving chain's batcher): at most {@code maxBatchSize} rows
     * per engine call, the oldest waiting at most {@code maxQueueDelay} for company.
     *
     * @param maxBatchSize rows per engine call, at least 1
     * @param maxQueueDelay how long an event may wait for a batch, not negative
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     * @throws IllegalStateException if set twice
     */
    public Builder<IN, OUT> batching(int maxBatchSize, Duration maxQueueDelay) {
      once("batching");
      if (maxBatchSize < 1) {
        throw new IllegalArgumentException("maxBatchSize must be > 0 but was " + maxBatchSize);
      }
      if (maxQueueDelay == null || maxQueueDelay.isNegative()) {
        throw new IllegalArgumentException("maxQueueDelay must be >= 0 but was " + maxQueueDelay);
      }
      this.batching = true;
      this.maxBatchSize = maxBatchSize;
      this.maxQueueDelay = maxQueueDelay;
      return this;
    }

    /**
     * Adaptive micro-batching (the batcher's {@code latencyTarget} mode): no batching window at all. A free
     * engine worker takes whatever events are queued, so at a low rate each event runs alone at once (no added
     * latency) and under load batches grow by themselves, up to {@code maxBatchSize} and to the size whose
     * measured engine cost lets two batches fit in {@code latencyTarget}. An event predicted to miss its
     * deadline (the {@link #timeout}) fails at once with {@link DeadlineExceededException}, as a timeout would.
     * The choice for a stream whose rate varies; {@link #batching(int, Duration)} is the fixed-window mode.
     *
     * @param maxBatchSize rows per engine call at most, at least 1
     * @param latencyTarget the latency to stay under (e.g. the p99 objective), more than zero
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     * @throws IllegalStateException if this or {@link #batching(int, Duration)} was set before
     */
    public Builder<IN, OUT> adaptiveBatching(int maxBatchSize, Duration latencyTarget) {
      once("batching");
      if (maxBatchSize < 1) {
        throw new IllegalArgumentException("maxBatchSize must be > 0 but was " + maxBatchSize);
      }
      if (latencyTarget == null || latencyTarget.isNegative() || latencyTarget.isZero()) {
        throw new IllegalArgumentException("latencyTarget must be > 0 but was " + latencyTarget);
      }
      this.batching = true;
      this.maxBatchSize = maxBatchSize;
      this.latencyTarget = latencyTarget;
      return this;
    }

    /**
     * Engine calls in flight per TaskManager model: the batcher's workers with batching, else the threads that
     * run one call each (default: the JVM's processors).
     *
     * @param threads at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     * @throws IllegalStateException if set twice
     */
    public Builder<IN, OUT> threads(int threads) {
      once("threads");
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be > 0 but was " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * Flink's async timeout per event, and the deadline of its call (default 1 s).
     *
     * @param timeout more than zero
     * @return this builder
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if set twice
     */
    public Builder<IN, OUT> timeout(Duration timeout) {
      once("timeout");
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be > 0 but was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Events in flight per subtask: the {@code AsyncDataStream} capacity (default 100).
     *
     * @param events at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     * @throws IllegalStateException if set twice
     */
    public Builder<IN, OUT> maxInFlight(int events) {
      once("maxInFlight");
      if (events < 1) {
        throw new IllegalArgumentException("maxInFlight must be > 0 but was " + events);
      }
      this.maxInFlight = events;
      return this;
    }

    /**
     * Records the model's and the chain's meters in Micrometer's global registry on each TaskManager.
     *
     * @return this builder
     * @throws IllegalStateException if set twice
     */
    public Builder<IN, OUT> micrometer() {
      once("micrometer");
      this.micrometer = true;
      return this;
    }

    /** @return the function */
    public AsyncScoringFunction<IN, OUT> build() {
      return new AsyncScoringFunction<>(this);
    }
  }
}
