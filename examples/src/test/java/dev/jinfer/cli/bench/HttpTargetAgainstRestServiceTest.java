package dev.jinfer.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.examples.rest.RestConfig;
import dev.jinfer.examples.rest.RestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load tool's event-driven HTTP path ({@link HttpTarget#prepareAsync}) against the real REST service, over
 * {@code /v1} and the Open Inference Protocol's {@code /v2}: a valid request succeeds, a bad one is counted under
 * the service's 4xx as the blocking path counts it. (In this package for the package-private target; the service
 * is used through its public API only.)
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class HttpTargetAgainstRestServiceTest {
  @TempDir
  Path repository;

  private RestService start() throws Exception {
    String fixtures = System.getProperty("jinfer.fixtures");
    assertThat(fixtures).as("system property jinfer.fixtures (set by surefire)").isNotNull();
    Path model = Files.createDirectories(repository.resolve("fraud"));
    Path staging = Files.createTempDirectory(repository, ".staging");
    Files.copy(Path.of(fixtures, "onnx", "fraud.onnx"), staging.resolve("model.onnx"));
    Files.move(staging, model.resolve("1"), StandardCopyOption.ATOMIC_MOVE);
    return RestService.start(RestConfig.newBuilder().models(repository).host("127.0.0.1").port(0).build());
  }

  private static String outcome(LoadTarget.AsyncCall call) throws Exception {
    CompletableFuture<String> done = new CompletableFuture<>();
    call.send(error -> done.complete(error == null ? "OK" : error));
    return done.get(30, TimeUnit.SECONDS);
  }

  private static NamedTensors valid(HttpTarget target) {
    var spec = target.signature().inputs().get(0);
    int features = (int) spec.shape().dim(spec.shape().rank() - 1);
    return NamedTensors.of(spec.name(), Tensor.ofFloats(new float[features], 1, features));
  }

  @Test
  void v1AndV2_eventDriven_aValidRequestSucceeds_andABadInputIsTheServices4xx_asTheBlockingPathCountsIt()
      throws Exception {
    try (RestService service = start()) {
      String url = "http://127.0.0.1:" + service.port();
      for (HttpTarget.Protocol protocol : HttpTarget.Protocol.values()) {
        try (HttpTarget target = HttpTarget.connect(url, protocol, "fraud", null, Duration.ofSeconds(10), null)) {
          NamedTensors good = valid(target);
          NamedTensors bad = NamedTensors.of(good.iterator().next().getKey(), Tensor.ofFloats(new float[3], 1, 3));
          LoadTarget.AsyncCall ok = target.prepareAsync(good, 0);
          LoadTarget.AsyncCall wrongShape = target.prepareAsync(bad, 0);
          assertThat(ok).as("%s: event-driven", protocol).isNotNull();
          assertThat(wrongShape).isNotNull();

          assertThat(outcome(ok)).as("%s", protocol).isEqualTo("OK");
          String blocking = target.prepare(bad).send();
          assertThat(blocking).as("%s, blocking", protocol).startsWith("HTTP 4");
          if (protocol == HttpTarget.Protocol.V1) {
            assertThat(blocking).as("/v1 names the error's code").matches("HTTP 4\\d\\d [A-Z_]+");
          } else {
            assertThat(blocking).as("/v2's error body has no code").matches("HTTP 4\\d\\d");
          }
          assertThat(outcome(wrongShape)).as("%s, event-driven", protocol).isEqualTo(blocking);
          assertThat(outcome(ok)).as("%s: the connection serves on after an error", protocol).isEqualTo("OK");
        }
      }
    }
  }
}
