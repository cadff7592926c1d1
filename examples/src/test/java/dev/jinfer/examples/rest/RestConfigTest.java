package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestConfigTest {
  @Test
  void defaults_serveTheBundledModel_onPort8080_withEveryStage() {
    RestConfig c = RestConfig.parse(List.of(), Map.of());
    assertThat(c.port()).isEqualTo(RestConfig.DEFAULT_PORT);
    assertThat(c.models()).isEmpty();
    assertThat(c.pollInterval()).hasValue(Duration.ofSeconds(5));
    assertThat(c.batchMaxSize()).isZero();
    assertThat(c.batchDelay()).isEmpty();
    assertThat(c.cacheSize()).isEqualTo(10_000);
    assertThat(c.bodyLimitBytes()).isEqualTo(4L << 20);
  }

  @Test
  void flags_winOverEnvironment_whichWinsOverDefaults() {
    RestConfig c = RestConfig.parse(List.of("--port", "9000", "--batch-delay-ms=3", "--models", "/srv/models"),
        Map.of("JINFER_PORT", "7000", "JINFER_CACHE_SIZE", "0", "JINFER_POLL_MS", "0", "PATH", "/bin"));
    assertThat(c.port()).isEqualTo(9000);
    assertThat(c.cacheSize()).isZero();
    assertThat(c.pollInterval()).isEmpty();
    assertThat(c.batchDelay()).hasValue(Duration.ofMillis(3));
    assertThat(c.models()).hasValue(Path.of("/srv/models"));
  }

  @Test
  void everyFlag_isDocumented_inTheExamplesReadme_inHelpOrder() throws Exception {
    assertThat(RestConfig.FLAGS.keySet()).startsWith("--host", "--port", "--models");
    String readme = java.nio.file.Files.readString(RestTestSupport.fixtures().getParent().resolve("examples/README.md"));
    for (String flag : RestConfig.FLAGS.keySet()) {
      assertThat(readme).as("examples/README.md documents " + flag).contains("`" + flag + "`");
    }
  }

  @Test
  void badFlags_areRejected_namingTheFlag() {
    assertThatThrownBy(() -> RestConfig.parse(List.of("--prot", "1"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--prot");
    assertThatThrownBy(() -> RestConfig.parse(List.of("--port"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--port needs a value");
    assertThatThrownBy(() -> RestConfig.parse(List.of("--port", "http"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--port must be a whole number but was 'http'");
    assertThatThrownBy(() -> RestConfig.parse(List.of(), Map.of("JINFER_PORT", "70000")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port must be between 0 and 65535 but was 70000");
    assertThatThrownBy(() -> RestConfig.parse(List.of("--breaker-window", "2", "--breaker-min-calls", "5"), Map.of()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("breakerMinCalls (5) must be <= breakerWindow (2)");
  }
}
