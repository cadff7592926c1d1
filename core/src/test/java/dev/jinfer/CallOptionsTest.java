package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.breaker.CircuitBreaker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CallOptionsTest {
  private static final CallOptions.Key<String> TRACE = CallOptions.Key.of("trace", String.class);
  private final FakeTicker ticker = new FakeTicker();

  @Test
  void defaults_haveNoDeadline_normalPriority_andNoAttachments() {
    CallOptions d = CallOptions.defaults();
    assertThat(d.deadline()).isEmpty();
    assertThat(d.deadlineOrNull()).isNull();
    assertThat(d.priority()).isEqualTo(Priority.NORMAL);
    assertThat(d.get(TRACE)).isEmpty();
  }

  @Test
  void withMethods_returnNewValues_andLeaveTheOriginalUnchanged() {
    Deadline deadline = Deadline.after(Duration.ofMillis(5), ticker);
    CallOptions base = CallOptions.of(deadline);
    CallOptions high = base.withPriority(Priority.HIGH).with(TRACE, "abc");

    assertThat(base.priority()).isEqualTo(Priority.NORMAL);
    assertThat(base.get(TRACE)).isEmpty();
    assertThat(high.deadlineOrNull()).isSameAs(deadline);
    assertThat(high.priority()).isEqualTo(Priority.HIGH);
    assertThat(high.get(TRACE)).contains("abc");
    assertThat(high.withoutDeadline().deadline()).isEmpty();
    assertThat(high.withoutDeadline().get(TRACE)).contains("abc");
    assertThat(high.with(TRACE, "def").get(TRACE)).contains("def");
  }

  @Test
  void keys_compareByIdentity_notByName() {
    CallOptions.Key<String> other = CallOptions.Key.of("trace", String.class);
    assertThat(CallOptions.defaults().with(TRACE, "abc").get(other)).isEmpty();
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void badValues_areInvalidInput_namingWhatCame() {
    assertThatThrownBy(() -> CallOptions.of((Deadline) null)).isInstanceOf(InvalidInputException.class)
        .hasMessage("deadline: expected a Deadline but got null");
    assertThatThrownBy(() -> CallOptions.of((Priority) null)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("priority");
    CallOptions.Key raw = TRACE;
    assertThatThrownBy(() -> CallOptions.defaults().with(raw, 42)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("trace").hasMessageContaining("java.lang.String").hasMessageContaining("java.lang.Integer");
    assertThatThrownBy(() -> CallOptions.defaults().with(TRACE, null)).isInstanceOf(InvalidInputException.class);
  }

  @Test
  void theConvenienceOverloads_allReachTheOneMethod_withTheirOptions() throws Exception {
    Recording r = new Recording();
    NamedTensors in = ScaleBackend.input(new float[] {1f});
    Deadline deadline = Deadline.after(Duration.ofSeconds(5), ticker);

    r.predict(in);
    assertThat(r.last.get()).isSameAs(CallOptions.defaults());
    r.predict(in, List.of("y"));
    assertThat(r.last.get()).isSameAs(CallOptions.defaults());
    r.predict(in, List.of(), deadline);
    assertThat(r.last.get().deadlineOrNull()).isSameAs(deadline);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      CompletableFuture<NamedTensors> f = r.predictAsync(in, List.of(), CallOptions.of(Priority.HIGH), pool);
      f.get(5, TimeUnit.SECONDS);
      assertThat(r.last.get().priority()).isEqualTo(Priority.HIGH);
      r.predictAsync(in, List.of(), deadline, pool).get(5, TimeUnit.SECONDS);
      assertThat(r.last.get().deadlineOrNull()).isSameAs(deadline);
    } finally {
      pool.shutdownNow();
    }
    assertThat(r.predictAsync(in, List.of(), (CallOptions) null, Runnable::run))
        .failsWithin(Duration.ofSeconds(1)).withThrowableOfType(Exception.class)
        .withCauseInstanceOf(InvalidInputException.class);
  }

  @Test
  void priorityDeadlineAndAttachments_surviveAChainOfDecorators() {
    Recording terminal = new Recording();
    Predictor breaker = CircuitBreaker.of(terminal.modelId()).decorate(terminal);
    Predictor outer = new ForwardingPredictor(breaker) {};
    Deadline deadline = Deadline.after(Duration.ofSeconds(5), ticker);
    CallOptions options = CallOptions.of(deadline).withPriority(Priority.HIGH).with(TRACE, "span-1");

    outer.predict(ScaleBackend.input(new float[] {2f}), List.of(), options);

    assertThat(terminal.last.get()).isSameAs(options);
  }

  @Test
  void aForwardingPredictor_forwardsIdentity_andDoesNotCloseWhatItWraps() {
    Recording terminal = new Recording();
    Predictor p = new ForwardingPredictor(terminal) {};
    assertThat(p.modelId()).isEqualTo(terminal.modelId());
    assertThat(p.signature()).isEqualTo(terminal.signature());
    p.close();
    assertThat(terminal.closed).isFalse();
    assertThatThrownBy(() -> new ForwardingPredictor(null) {}).isInstanceOf(NullPointerException.class);
  }

  @Test
  void aForwardingPredictorThatOverridesPredict_seesAsyncCallsToo() throws Exception {
    Recording terminal = new Recording();
    AtomicReference<CallOptions> seen = new AtomicReference<>();
    Predictor p = new ForwardingPredictor(terminal) {
      @Override
      public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
        seen.set(options);
        return super.predict(inputs, outputNames, options);
      }
    };
    p.predictAsync(ScaleBackend.input(new float[] {1f}), List.of(), CallOptions.of(Priority.HIGH), Runnable::run)
        .get(5, TimeUnit.SECONDS);
    assertThat(seen.get().priority()).isEqualTo(Priority.HIGH);
    assertThat(terminal.last.get().priority()).isEqualTo(Priority.HIGH);
  }

  /** Records the options of the last call and returns its inputs. */
  private static final class Recording implements Predictor {
    final AtomicReference<CallOptions> last = new AtomicReference<>();
    volatile boolean closed;

    @Override
    public ModelId modelId() {
      return new ModelId("recording", "1");
    }

    @Override
    public ModelSignature signature() {
      return ScaleBackend.SIGNATURE;
    }

    @Override
    public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
      last.set(options);
      return inputs;
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
