package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jinfer.kit.BadInputCorpus;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTP side of the bad-input corpus ({@code fixtures/bad/http.tsv}, read by {@link BadInputCorpus#loadHttp}):
 * each request goes to a running service on the fraud model; the answer's status, error code and message words
 * are checked, and then that a good request still gets the right answer.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RestBadInputCorpusTest {
  @TempDir
  static Path repository;

  static RestTestSupport rest;
  static JsonNode reference;

  @BeforeAll
  static void start() throws Exception {
    RestTestSupport.addFraud(repository, "1");
    // the default body limit (4 MiB): the table's 413 cases say so; no cache, so every answer is computed
    rest = RestTestSupport.start(RestConfig.newBuilder().models(repository).cacheSize(0).httpThreads(4));
    reference = goodAnswer();
    float[] p = RestTestSupport.outputData(RestTestSupport.JSON.createObjectNode().set("outputs", reference), "probabilities");
    assertThat(p).hasSize(2);
    assertThat(p[0] + p[1]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
  }

  @AfterAll
  static void stop() {
    if (rest != null) {
      rest.close();
    }
  }

  static List<BadInputCorpus.HttpCase> cases() {
    return BadInputCorpus.loadHttp(RestTestSupport.fixtures());
  }

  private static JsonNode goodAnswer() {
    BadInputCorpus.HttpCase good = cases().stream().filter(c -> c.name().equals("v1_good")).findFirst().orElseThrow();
    HttpResponse<String> r = send(good);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return RestTestSupport.json(r).path("outputs");
  }

  private static HttpResponse<String> send(BadInputCorpus.HttpCase c) {
    return rest.send(HttpRequest.newBuilder(rest.uri(c.path())).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .method(c.method(), HttpRequest.BodyPublishers.ofByteArray(c.body())).build());
  }

  @Test
  void theTable_coversWhatTheIssueLists() {
    List<String> names = cases().stream().map(BadInputCorpus.HttpCase::name).toList();
    assertThat(names).contains("v1_truncated_json", "v1_oversized", "v1_deep_nesting", "v1_nan", "v1_infinity",
        "v1_wrong_width", "v1_shape_vs_data", "v2_truncated_json", "v2_oversized", "v2_deep_nesting", "v2_nan", "v2_shape_vs_data");
    assertThat(cases()).filteredOn(c -> c.code().equals("OK")).hasSizeGreaterThanOrEqualTo(2);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachCase_getsItsAnswer_andTheServiceKeepsServing(BadInputCorpus.HttpCase c) {
    HttpResponse<String> r = send(c);
    assertThat(r.statusCode()).as(c + ": " + r.body()).isEqualTo(c.status());
    JsonNode body = RestTestSupport.json(r);
    String message;
    if (c.code().equals("OK")) {
      message = r.body();
    } else if (c.code().equals("-")) { // the Open Inference Protocol's {"error": "message"}
      assertThat(body.path("error").isTextual()).as(c + ": " + r.body()).isTrue();
      message = body.path("error").asText();
    } else {
      assertThat(body.path("error").path("code").asText()).as(c + ": " + r.body()).isEqualTo(c.code());
      message = body.path("error").path("message").asText();
    }
    for (String word : c.words()) {
      assertThat(message).as(c + ": the message names '" + word + "'").contains(word);
    }
    assertThat(message.length()).as("no huge echo").isLessThan(2_000);
    assertThat(goodAnswer()).as("a good request after " + c + " gets the same answer").isEqualTo(reference);
  }
}
