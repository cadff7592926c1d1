package dev.jinfer.examples.rest;

import static dev.jinfer.examples.rest.RestTestSupport.featuresBody;
import static dev.jinfer.examples.rest.RestTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jinfer.io.Npy;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service over a repository packaged as classpath resources ({@code --models classpath:models}): it serves,
 * its errors name that repository (not a root directory it does not have), and the status routes show where each
 * version was loaded from.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RestServiceSourcesTest {
  @TempDir
  Path dir;

  /** Starts the service with the thread's context class loader seeing {@code <dir>/classes/models/fraud/1/model.onnx}. */
  private RestTestSupport startOverClasspath(URLClassLoader loader) {
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    t.setContextClassLoader(loader);
    try {
      return RestTestSupport.start(RestConfig.newBuilder().classpathModels("models"));
    } finally {
      t.setContextClassLoader(before);
    }
  }

  @Test
  void classpathRepository_serves_errorsNameIt_andStatusShowsEachVersionsSource() throws IOException {
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes.resolve("models/fraud/1"));
    Files.copy(RestTestSupport.fraudModel(), classes.resolve("models/fraud/1/model.onnx"));
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader());
        RestTestSupport rest = startOverClasspath(loader)) {
      float[] row = Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_input.npy")).toFloatMatrix()[0];
      HttpResponse<String> r = rest.post("/v1/models/fraud/predict", featuresBody(row));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

      HttpResponse<String> missing = rest.get("/v1/models/ghost");
      assertThat(missing.statusCode()).as(missing.body()).isEqualTo(404);
      assertThat(missing.body()).contains("'ghost': not in the repository classpath:models/");
      HttpResponse<String> missingReady = rest.get("/v2/models/ghost/ready");
      assertThat(missingReady.statusCode()).as(missingReady.body()).isEqualTo(404);
      assertThat(missingReady.body()).contains("classpath:models/");

      JsonNode model = json(rest.get("/v1/models/fraud"));
      assertThat(model.path("versions").get(0).path("source").asText()).isEqualTo("classpath:models/fraud/1/");
      JsonNode ready = json(rest.get(RestHandler.READY_PATH));
      assertThat(ready.path("models").path("fraud").path("versions").get(0).path("source").asText()).isEqualTo("classpath:models/fraud/1/");
      JsonNode v2 = json(rest.get("/v2/models/fraud"));
      assertThat(v2.path("versions").toString()).isEqualTo("[\"1\"]");
      assertThat(v2.path("jinfer_sources").path("1").asText()).isEqualTo("classpath:models/fraud/1/");
    }
  }

  @Test
  void directoryRepository_statusShowsTheVersionDirectory() throws IOException {
    Path repository = Files.createDirectories(dir.resolve("repo"));
    RestTestSupport.addFraud(repository, "1");
    try (RestTestSupport rest = RestTestSupport.start(RestConfig.newBuilder().models(repository).pollInterval(null))) {
      String expected = repository.toRealPath().resolve("fraud").resolve("1").toString();
      assertThat(json(rest.get("/v1/models")).path("models").get(0).path("versions").get(0).path("source").asText()).isEqualTo(expected);
      assertThat(json(rest.get("/v2/models/fraud")).path("jinfer_sources").path("1").asText()).isEqualTo(expected);
      HttpResponse<String> missing = rest.get("/v1/models/ghost");
      assertThat(missing.body()).contains("not in the repository " + repository.toRealPath());
    }
  }

  @Test
  void modelsFlag_readsClasspathLocations() {
    RestConfig c = RestConfig.parse(List.of("--models", "classpath:models/"), java.util.Map.of());
    assertThat(c.classpathModels()).hasValue("models/");
    assertThat(c.models()).isEmpty();
    assertThat(c.toString()).contains("models=classpath:models/");
    RestConfig d = RestConfig.parse(List.of("--models", "/srv/models"), java.util.Map.of());
    assertThat(d.classpathModels()).isEmpty();
    assertThat(d.models()).hasValue(Path.of("/srv/models"));
  }
}
