package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/** A started {@link RestService} and a real HTTP client against it, plus repository helpers for the tests. */
final class RestTestSupport implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  final RestService service;
  final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  RestTestSupport(RestService service) {
    this.service = service;
  }

  /** Starts a service on a free loopback port. */
  static RestTestSupport start(RestConfig.Builder config) {
    return new RestTestSupport(RestService.start(config.host("127.0.0.1").port(0).build()));
  }

  /** @return the committed fixtures directory, from the {@code jinfer.fixtures} system property */
  static Path fixtures() {
    String dir = System.getProperty("jinfer.fixtures");
    assertThat(dir).as("system property jinfer.fixtures (set by surefire)").isNotNull();
    return Path.of(dir);
  }

  /** @return fixtures/onnx/fraud.onnx */
  static Path fraudModel() {
    return fixtures().resolve("onnx").resolve("fraud.onnx");
  }

  /**
   * Puts a version of a model into a repository the way a deployment should: copied beside it, then
   * renamed into place in one step, so that a poll never sees half a version.
   */
  static Path addVersion(Path root, String model, String version, Path artifact, String fileName) {
    try {
      Path modelDir = Files.createDirectories(root.resolve(model));
      Path staging = Files.createTempDirectory(root, ".staging");
      Files.copy(artifact, staging.resolve(fileName));
      Path target = modelDir.resolve(version);
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path addFraud(Path root, String version) {
    return addVersion(root, "fraud", version, fraudModel(), "model.onnx");
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + service.port() + path);
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET().timeout(WAIT).build());
  }

  HttpResponse<String> post(String path, String body, String... headers) {
    return send(postRequest(path, body, headers));
  }

  CompletableFuture<HttpResponse<String>> postAsync(String path, String body, String... headers) {
    return client.sendAsync(postRequest(path, body, headers), HttpResponse.BodyHandlers.ofString());
  }

  HttpRequest postRequest(String path, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(WAIT)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return b.build();
  }

  HttpResponse<String> send(HttpRequest request) {
    try {
      return client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON (status " + response.statusCode() + "): " + response.body(), e);
    }
  }

  /** Polls a GET until its response satisfies the condition (observable state, no fixed sleep), for up to a minute. */
  HttpResponse<String> awaitGet(String path, Predicate<HttpResponse<String>> condition) {
    long end = System.nanoTime() + WAIT.toNanos();
    HttpResponse<String> last;
    do {
      last = get(path);
      if (condition.test(last)) {
        return last;
      }
      try {
        Thread.sleep(20); // poll interval of the wait loop, not a wait for an effect
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    } while (System.nanoTime() < end);
    throw new AssertionError("GET " + path + " never satisfied the condition; last: " + last.statusCode() + " " + last.body());
  }

  /** A JSON body of the named-tensor form for a FLOAT32 input. */
  static String namedBody(String input, float[][] rows) {
    StringBuilder sb = new StringBuilder("{\"inputs\": {\"").append(input).append("\": {\"dtype\": \"FLOAT32\", \"shape\": [")
        .append(rows.length).append(", ").append(rows[0].length).append("], \"data\": [");
    for (int r = 0; r < rows.length; r++) {
      for (int c = 0; c < rows[r].length; c++) {
        if (r + c > 0) {
          sb.append(", ");
        }
        sb.append(rows[r][c]);
      }
    }
    return sb.append("]}}}").toString();
  }

  /** A JSON body of the {@code features} shortcut with one row. */
  static String featuresBody(float... row) {
    StringBuilder sb = new StringBuilder("{\"features\": [");
    for (int c = 0; c < row.length; c++) {
      if (c > 0) {
        sb.append(", ");
      }
      sb.append(row[c]);
    }
    return sb.append("]}").toString();
  }

  /** The {@code data} of one output of a 200 response, as floats. */
  static float[] outputData(JsonNode response, String output) {
    JsonNode data = response.path("outputs").path(output).path("data");
    assertThat(data.isArray()).as("outputs.%s.data in %s", output, response).isTrue();
    float[] out = new float[data.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) data.get(i).asDouble();
    }
    return out;
  }

  @Override
  public void close() {
    service.close();
  }
}
