package dev.jinfer.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.DeadlineExceededException;
import dev.jinfer.Model;
import dev.jinfer.ModelClosedException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.flink.Transactions.Scored;
import dev.jinfer.flink.Transactions.Txn;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs jobs on Flink's MiniCluster (one TaskManager, two slots) over a bounded generated source and checks
 * that every event is scored exactly once with the values of {@link Predictor#predict} on that event alone.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AsyncScoringFunctionTest {
  private static final int EVENTS = 2_000;
  private static final String FRAUD = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"), "onnx", "fraud.onnx")
      .toString();

  @RegisterExtension
  static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static Model reference;
  private static Map<Long, Float> expected;

  @BeforeAll
  static void computeExpected() {
    reference = Model.load(Path.of(FRAUD));
    Predictor predictor = reference.predictor();
    expected = new HashMap<>();
    for (long id = 0; id < EVENTS; id++) {
      expected.put(id, predictor.predict(NamedTensors.of("features", Tensor.ofFloats(Transactions.features(id), 1, 32)))
          .get("probabilities").getFloat(1));
    }
  }

  @AfterAll
  static void close() {
    reference.close();
  }

  static AsyncScoringFunction.Builder<Txn, Scored> scoring(String location) {
    return AsyncScoringFunction.newBuilder(location,
        (Txn t) -> NamedTensors.of("features", Tensor.ofFloats(t.features, 1, Transactions.WIDTH)),
        (t, out) -> new Scored(t.id, out.get("probabilities").getFloat(1)),
        TypeInformation.of(Scored.class));
  }

  static DataStream<Txn> transactions(StreamExecutionEnvironment env, int count) {
    DataGeneratorSource<Txn> source = new DataGeneratorSource<>(Txn::new, count, RateLimiterStrategy.noOp(),
        TypeInformation.of(Txn.class));
    return env.fromSource(source, WatermarkStrategy.noWatermarks(), "transactions");
  }

  static List<Scored> collect(DataStream<Scored> scored) throws Exception {
    List<Scored> out = new ArrayList<>();
    CloseableIterator<Scored> it = scored.executeAndCollect();
    try {
      it.forEachRemaining(out::add);
    } finally {
      it.close();
    }
    return out;
  }

  /** Runs a job to its end with a discarding sink: a failure surfaces as the job's own exception. */
  static void run(StreamExecutionEnvironment env, DataStream<Scored> scored) throws Exception {
    scored.sinkTo(new DiscardingSink<>());
    env.execute();
  }

  @ParameterizedTest(name = "ordered={0}, batching={1}")
  @CsvSource({"false, false", "false, true", "true, false", "true, true"})
  void everyEvent_isScoredOnce_likePredict_withOneModelLoadPerTaskManager(boolean ordered, boolean batching) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(ordered ? 1 : 2);
    AsyncScoringFunction.Builder<Txn, Scored> builder = scoring(FRAUD).maxInFlight(64).timeout(Duration.ofSeconds(30));
    List<DistributionSummary> batchSizes = new java.util.concurrent.CopyOnWriteArrayList<>();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    meters.config().onMeterAdded(m -> {
      if (m instanceof DistributionSummary d && m.getId().getName().equals("jinfer.batch.size")) {
        batchSizes.add(d);
      }
    });
    if (batching) {
      builder.batching(16, Duration.ofMillis(1)).micrometer();
      Metrics.addRegistry(meters);
    }
    AsyncScoringFunction<Txn, Scored> function = builder.build();
    DataStream<Txn> events = transactions(env, EVENTS);
    long loads = TaskManagerModels.loads();

    List<Scored> scored;
    try {
      scored = collect(ordered ? function.orderedWait(events) : function.unorderedWait(events));
    } finally {
      Metrics.removeRegistry(meters);
    }

    assertThat(scored).hasSize(EVENTS);
    Map<Long, Integer> seen = new HashMap<>();
    for (Scored s : scored) {
      seen.merge(s.id, 1, Integer::sum);
      assertThat(s.fraudProbability).as("event %d", s.id).isCloseTo(expected.get(s.id), org.assertj.core.data.Offset.offset(1e-6f));
    }
    assertThat(seen).hasSize(EVENTS);
    assertThat(seen.values()).as("times each event was scored").allMatch(n -> n == 1);
    if (ordered) {
      assertThat(scored).extracting(s -> s.id).isSorted();
    }
    assertThat(TaskManagerModels.loads() - loads).as("model loads in the one TaskManager JVM").isEqualTo(1);
    assertThat(TaskManagerModels.size()).as("models left open after the job").isZero();
    if (batching) {
      assertThat(batchSizes).as("the batcher's Micrometer summary").hasSize(1);
      assertThat(batchSizes.get(0).count()).as("engine calls for %d events", EVENTS).isLessThan(EVENTS);
      assertThat(batchSizes.get(0).max()).as("largest batch").isGreaterThan(1);
    }
  }

  /** Results scored in this JVM (the MiniCluster's TaskManager), replays included. */
  static final java.util.concurrent.atomic.AtomicLong SCORED = new java.util.concurrent.atomic.AtomicLong();
  static final java.util.concurrent.atomic.AtomicBoolean FAILED = new java.util.concurrent.atomic.AtomicBoolean();

  /** Fails its first attempt once, after a checkpoint has completed and some events have passed. */
  static final class FailOnceAfterACheckpoint extends RichMapFunction<Scored, Scored> implements CheckpointListener {
    private static final long serialVersionUID = 1L;
    private transient boolean checkpointed;
    private transient int seen;

    @Override
    public Scored map(Scored value) {
      if (++seen >= 300 && checkpointed && getRuntimeContext().getTaskInfo().getAttemptNumber() == 0
          && FAILED.compareAndSet(false, true)) {
        throw new IllegalStateException("injected failure after a completed checkpoint");
      }
      return value;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      checkpointed = true;
    }
  }

  @ParameterizedTest(name = "batching={0}")
  @CsvSource({"false", "true"})
  void aFailoverRestoresFromTheCheckpoint_andEveryEventComesOutOnce_likePredict(boolean batching) throws Exception {
    Configuration conf = new Configuration();
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(100));
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(50));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(2);
    int events = 3_000;
    DataStream<Txn> source = env.fromSource(new DataGeneratorSource<>(Txn::new, events, RateLimiterStrategy.perSecond(3_000),
        TypeInformation.of(Txn.class)), WatermarkStrategy.noWatermarks(), "transactions");
    AsyncScoringFunction.Builder<Txn, Scored> builder = AsyncScoringFunction.newBuilder(FRAUD,
            (Txn t) -> NamedTensors.of("features", Tensor.ofFloats(t.features, 1, Transactions.WIDTH)),
            (t, out) -> {
              SCORED.incrementAndGet();
              return new Scored(t.id, out.get("probabilities").getFloat(1));
            }, TypeInformation.of(Scored.class))
        .maxInFlight(64).timeout(Duration.ofSeconds(30));
    if (batching) {
      builder.adaptiveBatching(16, Duration.ofMillis(50));
    }
    FAILED.set(false);
    SCORED.set(0);

    List<Scored> scored = collect(builder.build().unorderedWait(source).map(new FailOnceAfterACheckpoint())
        .returns(TypeInformation.of(Scored.class)));

    assertThat(FAILED).as("the job failed once and was restored").isTrue();
    Map<Long, Integer> seen = new HashMap<>();
    for (Scored s : scored) {
      seen.merge(s.id, 1, Integer::sum);
      assertThat(s.fraudProbability).as("event %d", s.id).isCloseTo(expected(s.id), org.assertj.core.data.Offset.offset(1e-6f));
    }
    assertThat(seen).as("events out of %d", events).hasSize(events);
    // the collect sink is exactly-once under checkpointing: the events replayed after the failover (from the
    // restored source position and the AsyncWaitOperator's stored in-flight events) are scored again, not emitted twice
    assertThat(seen.values()).as("times each event came out").allMatch(n -> n == 1);
    assertThat(SCORED.get()).as("events scored, replays included").isGreaterThanOrEqualTo(events);
    assertThat(TaskManagerModels.size()).as("models left open after the job").isZero();
  }

  private static float expected(long id) {
    Float known = expected.get(id);
    if (known != null) {
      return known;
    }
    return reference.predictor().predict(NamedTensors.of("features", Tensor.ofFloats(Transactions.features(id), 1, 32)))
        .get("probabilities").getFloat(1);
  }

  @Test
  void aNewModelVersion_retiresTheOld_whichClosesWithItsLastLease() throws Exception {
    ScoringSettings v1 = new ScoringSettings(FRAUD, "1", false, 32, Duration.ofMillis(2), Duration.ZERO, 1, false);
    ScoringSettings v2 = new ScoringSettings(FRAUD, "2", false, 32, Duration.ofMillis(2), Duration.ZERO, 1, false);
    NamedTensors one = NamedTensors.of("features", Tensor.ofFloats(Transactions.features(1), 1, Transactions.WIDTH));
    long closes = TaskManagerModels.closes();
    long loads = TaskManagerModels.loads();

    TaskManagerModels.Lease a = TaskManagerModels.acquire(v1);
    TaskManagerModels.Lease a2 = TaskManagerModels.acquire(v1);
    TaskManagerModels.Lease b = TaskManagerModels.acquire(v2);

    assertThat(TaskManagerModels.loads() - loads).isEqualTo(2);
    assertThat(TaskManagerModels.size()).as("versions given to new subtasks").isEqualTo(1);
    a.close();
    assertThat(a2.chain().predict(one).get("probabilities").getFloat(1)).isEqualTo(expected.get(1L));
    assertThat(TaskManagerModels.closes() - closes).as("v1 still leased").isZero();
    a2.close();
    assertThat(TaskManagerModels.closes() - closes).as("v1 closed by its last lease").isEqualTo(1);
    assertThatThrownBy(() -> a2.chain().predict(one)).isInstanceOf(ModelClosedException.class);
    TaskManagerModels.Lease b2 = TaskManagerModels.acquire(v2);
    assertThat(TaskManagerModels.loads() - loads).as("v2 shared, not loaded again").isEqualTo(2);
    b.close();
    b2.close();
    assertThat(TaskManagerModels.closes() - closes).isEqualTo(2);
    assertThat(TaskManagerModels.size()).isZero();
  }

  @Test
  void anUnreadableModel_failsTheJob_namingTheLocation() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    DataStream<Scored> scored = scoring("/no/such/fraud.onnx").build().unorderedWait(transactions(env, 10));

    assertThatThrownBy(() -> run(env, scored)).hasStackTraceContaining(
        "model location '/no/such/fraud.onnx': expected a model file or directory this TaskManager can read");
  }

  @Test
  void anEventTheModelRejects_failsTheJob_withTheSignatureError() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    AsyncScoringFunction<Txn, Scored> wrongWidth = AsyncScoringFunction.newBuilder(FRAUD,
        (Txn t) -> NamedTensors.of("features", Tensor.ofFloats(new float[31], 1, 31)),
        (t, out) -> new Scored(t.id, 0f), TypeInformation.of(Scored.class)).build();

    // many events: the task fails on the first one while its reader is still in its split, so the job's
    // failure is that event's, not a split event lost on the way to a failed task
    assertThatThrownBy(() -> run(env, wrongWidth.unorderedWait(transactions(env, 1_000_000)))).hasStackTraceContaining(
        "input 'features': expected FLOAT32 [-1, 32] but got FLOAT32 [1, 31]");
    assertThat(TaskManagerModels.size()).as("models left open after the failed job").isZero();
  }

  static final java.util.concurrent.atomic.AtomicInteger FEATURES_CALLED = new java.util.concurrent.atomic.AtomicInteger();

  @Test
  void aModelThatDoesNotFitTheDeclaredInputs_failsTheJobAtOpen_beforeAnyEvent() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    FEATURES_CALLED.set(0);
    // the feature function makes what the model takes: without the check at open every event would score
    AsyncScoringFunction<Txn, Scored> declared31 = AsyncScoringFunction.newBuilder(FRAUD,
            (Txn t) -> {
              FEATURES_CALLED.incrementAndGet();
              return NamedTensors.of("features", Tensor.ofFloats(t.features, 1, Transactions.WIDTH));
            },
            (t, out) -> new Scored(t.id, out.get("probabilities").getFloat(1)), TypeInformation.of(Scored.class))
        .inputs(dev.jinfer.TensorSpec.of("features", dev.jinfer.DType.FLOAT32, -1, 31)).build();

    assertThatThrownBy(() -> run(env, declared31.unorderedWait(transactions(env, 100)))).hasStackTraceContaining(
        "dev.jinfer.InvalidInputException: input 'features': model " + FRAUD
            + " expects FLOAT32 [-1, 32] but the job declares FLOAT32 [-1, 31]");
    assertThat(FEATURES_CALLED.get()).as("events that reached the function").isZero();
    assertThat(TaskManagerModels.size()).as("models left open after the failed job").isZero();
  }

  @Test
  void flinksTimeout_failsTheEvent_withDeadlineExceeded() throws Exception {
    AsyncScoringFunction<Txn, Scored> function = scoring(FRAUD).timeout(Duration.ofMillis(250)).build();
    AtomicReference<Throwable> failure = new AtomicReference<>();

    function.timeout(new Txn(1), new ResultFuture<>() {
      @Override
      public void complete(Collection<Scored> result) {
        throw new AssertionError("a timed-out event must not complete normally");
      }

      @Override
      public void completeExceptionally(Throwable error) {
        failure.set(error);
      }

      @Override
      public void complete(CollectionSupplier<Scored> supplier) {
        throw new AssertionError("a timed-out event must not complete normally");
      }
    });

    assertThat(failure.get()).isInstanceOf(DeadlineExceededException.class)
        .hasMessage("model " + FRAUD + ": event not scored within the AsyncDataStream timeout of 250 ms");
  }

  @Test
  void builder_rejectsBadOptions_namingThem() {
    assertThatThrownBy(() -> scoring(FRAUD).maxInFlight(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInFlight must be > 0 but was 0");
    assertThatThrownBy(() -> scoring(FRAUD).timeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must be > 0 but was PT0S");
    assertThatThrownBy(() -> scoring(FRAUD).batching(0, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBatchSize must be > 0 but was 0");
    assertThatThrownBy(() -> scoring(FRAUD).adaptiveBatching(8, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("latencyTarget must be > 0 but was PT0S");
    assertThatThrownBy(() -> scoring(FRAUD).batching(8, Duration.ZERO).adaptiveBatching(8, Duration.ofMillis(5)))
        .isInstanceOf(IllegalStateException.class).hasMessage("batching was already set");
    assertThatThrownBy(() -> scoring(FRAUD).threads(2).threads(3)).isInstanceOf(IllegalStateException.class)
        .hasMessage("threads was already set");
  }
}
