package dev.jinfer.serving;

import static dev.jinfer.serving.ServingChainTest.in;
import static dev.jinfer.serving.ServingChainTest.y;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.BackendException;
import dev.jinfer.serving.ServingChainTest.Recording;
import io.micrometer.observation.Observation;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ServingChainObservationTest {
  private final TestObservationRegistry observations = TestObservationRegistry.create();
  private final ExecutorService pool = Executors.newFixedThreadPool(4);

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
  }

  @Test
  void everyCall_isOneObservation_withModelVersionAndOutcome() {
    Recording model = new Recording("7");
    try (ServingChain chain = ServingChain.newBuilder(model).observationRegistry(observations).build()) {
      assertThat(y(chain.predict(in(2)))).isEqualTo(4f);
    }
    TestObservationRegistryAssert.assertThat(observations).hasNumberOfObservationsWithNameEqualTo("jinfer.serving.predict", 1)
        .hasObservationWithNameEqualTo("jinfer.serving.predict").that()
        .hasContextualNameEqualTo("jinfer predict m")
        .hasLowCardinalityKeyValue("jinfer.model", "m").hasLowCardinalityKeyValue("jinfer.version", "7")
        .hasLowCardinalityKeyValue("outcome", "success").doesNotHaveError().hasBeenStarted().hasBeenStopped();
  }

  @Test
  void aFailedCall_recordsTheErrorAndItsCode() {
    Recording model = new Recording("1");
    model.fail = true;
    try (ServingChain chain = ServingChain.newBuilder(model).observationRegistry(observations).build()) {
      assertThatThrownBy(() -> chain.predict(in(2))).isInstanceOf(BackendException.class);
    }
    TestObservationRegistryAssert.assertThat(observations).hasObservationWithNameEqualTo("jinfer.serving.predict").that()
        .hasLowCardinalityKeyValue("outcome", "BACKEND_FAILURE").hasError().hasBeenStopped();
  }

  @Test
  void aCacheHit_isObservedToo_andAsyncCallsAreObserved() throws Exception {
    Recording model = new Recording("1");
    try (ServingChain chain = ServingChain.newBuilder(model).cache().observationRegistry(observations).build()) {
      chain.predict(in(2));
      chain.predict(in(2));
      assertThat(y(chain.predictAsync(in(5), List.of(), dev.jinfer.CallOptions.defaults(), pool).get())).isEqualTo(10f);
    }
    TestObservationRegistryAssert.assertThat(observations).hasNumberOfObservationsWithNameEqualTo("jinfer.serving.predict", 3)
        .forAllObservationsWithNameEqualTo("jinfer.serving.predict", o -> o.hasLowCardinalityKeyValue("outcome", "success"));
    assertThat(model.seen).containsExactly(2f, 5f);
  }

  @Test
  void withBatching_eachCallHasQueueAndEngineChildren() throws Exception {
    Recording model = new Recording("3");
    int calls = 8;
    try (ServingChain chain = ServingChain.newBuilder(model).observationRegistry(observations)
        .batching(b -> b.maxBatchSize(4).maxQueueDelay(java.time.Duration.ofMillis(5)).workers(1)).build()) {
      List<CompletableFuture<Float>> futures = new java.util.ArrayList<>();
      for (int i = 0; i < calls; i++) {
        float v = i;
        futures.add(CompletableFuture.supplyAsync(() -> y(chain.predict(in(v))), pool));
      }
      for (int i = 0; i < calls; i++) {
        assertThat(futures.get(i).get()).isEqualTo(2f * i);
      }
    }
    TestObservationRegistryAssert.assertThat(observations)
        .hasNumberOfObservationsWithNameEqualTo("jinfer.serving.predict", calls)
        .hasNumberOfObservationsWithNameEqualTo("jinfer.batch.queue", calls)
        .hasNumberOfObservationsWithNameEqualTo("jinfer.batch.engine", calls)
        .forAllObservationsWithNameEqualTo("jinfer.batch.engine", o -> o.doesNotHaveError()
            .hasLowCardinalityKeyValue("jinfer.model", "m").hasLowCardinalityKeyValue("jinfer.version", "3"))
        .forAllObservationsWithNameEqualTo("jinfer.batch.queue", o -> o.doesNotHaveError())
        .hasHandledContextsThatSatisfy(contexts -> {
          List<Observation.Context> children = contexts.stream().filter(c -> c.getName().startsWith("jinfer.batch."))
              .collect(Collectors.toList());
          assertThat(children).hasSize(2 * calls).allSatisfy(c -> {
            assertThat(c.getParentObservation()).isNotNull();
            assertThat(c.getParentObservation().getContextView().getName()).isEqualTo("jinfer.serving.predict");
          });
          // each call's two children share its parent: 8 distinct parents, two children each
          assertThat(children.stream().collect(Collectors.groupingBy(c -> c.getParentObservation(), Collectors.counting())))
              .hasSize(calls).allSatisfy((parent, n) -> assertThat(n).isEqualTo(2L));
        });
  }

  @Test
  void aFailingBatch_endsEveryEngineChildWithTheError() {
    Recording model = new Recording("1");
    model.fail = true;
    try (ServingChain chain = ServingChain.newBuilder(model).observationRegistry(observations)
        .batching(b -> b.isolateFailures(false)).build()) {
      assertThatThrownBy(() -> chain.predict(in(1))).isInstanceOf(BackendException.class);
    }
    TestObservationRegistryAssert.assertThat(observations)
        .hasObservationWithNameEqualTo("jinfer.batch.engine").that().hasError().hasBeenStopped();
    TestObservationRegistryAssert.assertThat(observations)
        .hasObservationWithNameEqualTo("jinfer.batch.queue").that().doesNotHaveError().hasBeenStopped();
  }

  @Test
  void withoutARegistry_nothingIsObserved_andOutsideAnObservation_theBatcherCreatesNoChildren() {
    Recording model = new Recording("1");
    try (dev.jinfer.batching.BatchingPredictor batcher = dev.jinfer.batching.BatchingPredictor.newBuilder(model)
        .observationRegistry(observations).build()) {
      batcher.predict(in(1));
    }
    TestObservationRegistryAssert.assertThat(observations).doesNotHaveAnyObservation();
  }
}
