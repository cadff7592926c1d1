package dev.jinfer.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.DeadlineExceededException;
import dev.jinfer.Model;
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
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
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
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs jobs on Flink's MiniCluster (one TaskManager, two slots) over a bounded generated source and checks
 * that every event is scored exactly once with the values of {@link Predictor#predict} on that event alone.
 */
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
    assertThatThrownBy(() -> scoring(FRAUD).threads(2).threads(3)).isInstanceOf(IllegalStateException.class)
        .hasMessage("threads was already set");
  }
}
