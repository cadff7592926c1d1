package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The allocation probe measures real answers: every probed request must come back 200 (a refused one stops the probe
 * with the service's answer, never a figure), and each kind gets a count of bytes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AllocationProbeTest {
  @TempDir
  Path repository;

  @Test
  void probesEachKind_andRefusesToReportAFailingRequest() throws Exception {
    RestTestSupport.addFraud(repository, "1");
    try (RestTestSupport rest = RestTestSupport.start(RestConfig.newBuilder().models(repository).cacheSize(0))) {
      List<AllocationProbe.Result> results = AllocationProbe.run(rest.service.port(), AllocationProbe.probes(), 200);
      assertThat(results).extracting(AllocationProbe.Result::name).containsExactly("/v1 predict", "/v2 infer", "/v2/health/live");
      assertThat(results).allSatisfy(r -> {
        assertThat(r.requests()).isEqualTo(200);
        assertThat(r.bytesPerRequest()).as(r.name()).isPositive();
      });
      byte[] unknown = ("POST /v1/models/nope/predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
          .getBytes(StandardCharsets.US_ASCII);
      Throwable e = catchThrowable(() -> AllocationProbe.run(rest.service.port(), List.of(new AllocationProbe.Probe("unknown", unknown)), 10));
      assertThat(e).isInstanceOf(IOException.class).hasMessageContaining("unknown: expected 200 but got: HTTP/1.1 404").hasMessageContaining("MODEL_NOT_FOUND");
    }
  }
}
