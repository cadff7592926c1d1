package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoadOptionsTest {

  @Test
  void defaults_suitACpuService() {
    LoadOptions o = LoadOptions.defaults();

    assertThat(o.device()).isEqualTo(Device.cpu());
    assertThat(o.intraOpThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(o.interOpThreads()).isEqualTo(1);
    assertThat(o.optimizationLevel()).isEqualTo(OptimizationLevel.ALL);
    assertThat(o.warmupCalls()).isZero();
    assertThat(o.backend()).isEmpty();
    assertThat(o.modelName()).isEmpty();
    assertThat(o.modelVersion()).isEmpty();
    assertThat(o.properties()).isEmpty();
    assertThat(o.meterRegistry()).isEmpty();
    assertThat(o.latencySla()).isEmpty();
    assertThat(o.rejectNonFinite()).isFalse();
    assertThat(o.ticker()).isNotNull();
    assertThat(LoadOptions.newBuilder().build().intraOpThreads()).isEqualTo(o.intraOpThreads());
  }

  @Test
  void builder_setsEveryOption_andToBuilderCopiesThemAll() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    FakeTicker ticker = new FakeTicker();
    LoadOptions o = LoadOptions.newBuilder().device(Device.gpu(1)).intraOpThreads(3).interOpThreads(2)
        .optimizationLevel(OptimizationLevel.BASIC).warmupCalls(5).backend("onnx").modelName("fraud")
        .modelVersion("7").property("onnx.sessions", "2").meterRegistry(registry)
        .latencySla(Duration.ofMillis(5)).rejectNonFinite(true).ticker(ticker).build();

    LoadOptions copy = o.toBuilder().build();

    for (LoadOptions x : new LoadOptions[] {o, copy}) {
      assertThat(x.device()).isEqualTo(Device.gpu(1));
      assertThat(x.intraOpThreads()).isEqualTo(3);
      assertThat(x.interOpThreads()).isEqualTo(2);
      assertThat(x.optimizationLevel()).isEqualTo(OptimizationLevel.BASIC);
      assertThat(x.warmupCalls()).isEqualTo(5);
      assertThat(x.backend()).contains("onnx");
      assertThat(x.modelName()).contains("fraud");
      assertThat(x.modelVersion()).contains("7");
      assertThat(x.properties()).containsExactlyEntriesOf(java.util.Map.of("onnx.sessions", "2"));
      assertThat(x.property("onnx.sessions")).contains("2");
      assertThat(x.meterRegistry()).containsSame(registry);
      assertThat(x.latencySla()).contains(Duration.ofMillis(5));
      assertThat(x.rejectNonFinite()).isTrue();
      assertThat(x.ticker()).isSameAs(ticker);
    }
  }

  @Test
  void toBuilder_changesDoNotReachTheOriginal() {
    LoadOptions o = LoadOptions.newBuilder().warmupCalls(1).property("a", "1").build();

    LoadOptions changed = o.toBuilder().warmupCalls(9).property("a", "2").property("b", "3").build();

    assertThat(o.warmupCalls()).isEqualTo(1);
    assertThat(o.properties()).containsOnlyKeys("a").containsEntry("a", "1");
    assertThat(changed.warmupCalls()).isEqualTo(9);
    assertThat(changed.properties()).containsEntry("a", "2").containsEntry("b", "3");
  }

  @Test
  void properties_areImmutable_andDetachedFromTheBuilder() {
    LoadOptions.Builder builder = LoadOptions.newBuilder().property("k", "v");
    LoadOptions o = builder.build();
    builder.property("later", "x");

    assertThat(o.properties()).containsOnlyKeys("k");
    assertThatThrownBy(() -> o.properties().put("k", "w")).isInstanceOf(UnsupportedOperationException.class);
    assertThat(o.property("missing")).isEmpty();
  }

  @Test
  void numericSetters_rejectOutOfRangeValues_namingTheOption() {
    LoadOptions.Builder b = LoadOptions.newBuilder();

    assertThatThrownBy(() -> b.intraOpThreads(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("intraOpThreads must be > 0 but was 0");
    assertThatThrownBy(() -> b.interOpThreads(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("interOpThreads must be > 0 but was -1");
    assertThatThrownBy(() -> b.warmupCalls(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("warmupCalls must be >= 0 but was -1");
    assertThatThrownBy(() -> b.latencySla(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("latencySla must be > 0 but was PT0S");
    assertThatThrownBy(() -> b.latencySla(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("latencySla must be > 0");
    assertThatThrownBy(() -> b.latencySla(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("latencySla must be > 0 but was null");
  }

  @Test
  void nameSetters_rejectBlankValues_namingTheOption() {
    LoadOptions.Builder b = LoadOptions.newBuilder();

    assertThatThrownBy(() -> b.backend(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("backend must not be blank but was ' '");
    assertThatThrownBy(() -> b.backend(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("backend must not be blank but was 'null'");
    assertThatThrownBy(() -> b.modelName(""))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("modelName must not be blank");
    assertThatThrownBy(() -> b.modelVersion("\t"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("modelVersion must not be blank");
    assertThatThrownBy(() -> b.property("", "v"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("property key must not be blank");
  }

  @Test
  void objectSetters_rejectNull_namingTheOption() {
    LoadOptions.Builder b = LoadOptions.newBuilder();

    assertThatThrownBy(() -> b.device(null)).isInstanceOf(NullPointerException.class).hasMessage("device");
    assertThatThrownBy(() -> b.optimizationLevel(null))
        .isInstanceOf(NullPointerException.class).hasMessage("optimizationLevel");
    assertThatThrownBy(() -> b.meterRegistry(null)).isInstanceOf(NullPointerException.class).hasMessage("meterRegistry");
    assertThatThrownBy(() -> b.ticker(null)).isInstanceOf(NullPointerException.class).hasMessage("ticker");
    assertThatThrownBy(() -> b.property("k", null)).isInstanceOf(NullPointerException.class).hasMessage("property value");
  }

  @Test
  void intProperty_parsesTrimmedIntegers_andNamesThePropertyOnError() {
    LoadOptions o = LoadOptions.newBuilder().property("n", " 8 ").property("bad", "eight")
        .property("low", "0").build();

    assertThat(o.intProperty("n", 1, 1)).isEqualTo(8);
    assertThat(o.intProperty("absent", 4, 1)).isEqualTo(4);
    assertThatThrownBy(() -> o.intProperty("bad", 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("property bad must be an integer but was 'eight'")
        .hasCauseInstanceOf(NumberFormatException.class);
    assertThatThrownBy(() -> o.intProperty("low", 1, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("property low must be >= 1 but was 0");
  }

  @Test
  void booleanProperty_acceptsOnlyTrueOrFalse_inAnyCase() {
    LoadOptions o = LoadOptions.newBuilder().property("on", "TRUE").property("off", "false")
        .property("bad", "yes").build();

    assertThat(o.booleanProperty("on", false)).isTrue();
    assertThat(o.booleanProperty("off", true)).isFalse();
    assertThat(o.booleanProperty("absent", true)).isTrue();
    assertThatThrownBy(() -> o.booleanProperty("bad", false))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("property bad must be true or false but was 'yes'");
  }

  @Test
  void device_rejectsNegativeGpuIndexAndNonZeroCpuIndex() {
    assertThat(Device.gpu(0).toString()).isEqualTo("gpu:0");
    assertThat(Device.cpu().toString()).isEqualTo("cpu");
    assertThatThrownBy(() -> Device.gpu(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    assertThatThrownBy(() -> new Device(Device.Kind.CPU, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
