package dev.jinfer.spring.example;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.io.Npy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The example application on a real port: HTTP in, the ONNX fraud model through the starter's bean, JSON out. */
@SpringBootTest(classes = FraudApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "server.shutdown=graceful", "management.endpoints.web.exposure.include=health",
    "management.endpoint.health.show-details=always", "jinfer.models.fraud.batching.enabled=true",
    "jinfer.models.fraud.batching.max-batch-size=16", "jinfer.models.fraud.cache.enabled=true"})
class FraudApplicationTest {
  private static Path repo;

  @LocalServerPort
  int port;

  private final HttpClient http = HttpClient.newHttpClient();

  static Path fixtures() {
    return Path.of(System.getProperty("jinfer.fixtures"));
  }

  @DynamicPropertySource
  static void repository(DynamicPropertyRegistry properties) throws IOException {
    repo = Files.createTempDirectory("jinfer-spring-example");
    Path version = Files.createDirectories(repo.resolve("fraud").resolve("1"));
    Files.copy(fixtures().resolve("onnx/fraud.onnx"), version.resolve("model.onnx"));
    properties.add("jinfer.repository.root", repo::toString);
  }

  @AfterAll
  static void cleanUp() throws IOException {
    try (var files = Files.walk(repo)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).collect(Collectors.toList())) {
        Files.delete(p);
      }
    }
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void scoresATransaction_overHttp_asTheReferenceOutputSays() throws Exception {
    float[][] input = Npy.read(fixtures().resolve("onnx/fraud_input.npy")).toFloatMatrix();
    float[][] expected = Npy.read(fixtures().resolve("onnx/fraud_output.npy")).toFloatMatrix();
    for (int row : new int[] {0, 5}) {
      String features = Arrays.toString(input[row]);
      HttpResponse<String> r = post("/fraud/score", "{\"features\": " + features + "}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("\"model\":\"fraud\"").contains("\"version\":\"1\"");
      float p = Float.parseFloat(r.body().replaceAll(".*\"fraudProbability\":([-0-9.eE]+).*", "$1"));
      assertThat(p).isCloseTo(expected[row][1], org.assertj.core.data.Offset.offset(1e-5f));
    }
  }

  @Test
  void badInput_is400_namingTheInput() throws Exception {
    HttpResponse<String> r = post("/fraud/score", "{\"features\": [1, 2, 3]}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("features").contains("32");
  }

  @Test
  void actuatorHealth_showsTheModel() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("\"jinfer\"").contains("\"fraud\"").contains("\"servingVersion\":\"1\"");
  }
}
