package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.jinfer.examples.rest.health.HealthCheckRequest;
import dev.jinfer.examples.rest.health.HealthCheckResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes manifests and the Dockerfile in {@code examples/deploy} agree with the service: the probe
 * paths are routes the running server answers 200 on, the ports are the port it listens on, the environment
 * parses into a valid configuration, and the thread settings fit the CPU limit.
 */
class DeploymentManifestTest {
  private static final YAMLMapper YAML = new YAMLMapper();

  static Path deploy;
  static JsonNode deployment;
  static JsonNode container;
  static Map<String, String> env;

  @BeforeAll
  static void read() throws IOException {
    deploy = RestTestSupport.fixtures().getParent().resolve("examples").resolve("deploy");
    deployment = YAML.readTree(deploy.resolve("k8s/deployment.yaml").toFile());
    JsonNode containers = deployment.path("spec").path("template").path("spec").path("containers");
    assertThat(containers.size()).as("containers").isEqualTo(1);
    container = containers.get(0);
    env = new HashMap<>();
    for (JsonNode e : container.path("env")) {
      env.put(e.get("name").asText(), e.get("value").asText());
    }
  }

  private static int containerPort(String name) {
    for (JsonNode p : container.path("ports")) {
      if (p.path("name").asText().equals(name)) {
        return p.path("containerPort").asInt();
      }
    }
    throw new AssertionError("no container port named " + name + " in " + container.path("ports"));
  }

  /** A probe's port: a number, or the name of a container port. */
  private static int probePort(JsonNode probe) {
    JsonNode port = probe.path("httpGet").path("port");
    return port.isInt() ? port.asInt() : containerPort(port.asText());
  }

  private static double cpus(String quantity) {
    return quantity.endsWith("m") ? Double.parseDouble(quantity.substring(0, quantity.length() - 1)) / 1000 : Double.parseDouble(quantity);
  }

  @Test
  void containerPort_andEnvironment_matchTheServiceDefaults() {
    assertThat(containerPort("http")).isEqualTo(RestConfig.DEFAULT_PORT);
    RestConfig config = RestConfig.parse(List.of(), env);
    assertThat(config.port()).isEqualTo(containerPort("http"));
    assertThat(config.models()).hasValue(Path.of("/models"));
  }

  @Test
  void probes_targetTheServersHealthRoutes_onItsPort() {
    assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo(RestHandler.LIVE_PATH);
    assertThat(container.path("startupProbe").path("httpGet").path("path").asText()).isEqualTo(RestHandler.LIVE_PATH);
    // readiness is gRPC's health check, on the gRPC port the service is configured with
    assertThat(container.path("readinessProbe").path("grpc").path("port").asInt()).isEqualTo(containerPort("grpc"));
    assertThat(RestConfig.parse(List.of(), env).grpcPort()).isEqualTo(containerPort("grpc"));
    for (String probe : new String[] {"livenessProbe", "startupProbe"}) {
      assertThat(probePort(container.path(probe))).as(probe).isEqualTo(RestConfig.DEFAULT_PORT);
    }
    JsonNode annotations = deployment.path("spec").path("template").path("metadata").path("annotations");
    assertThat(annotations.path("prometheus.io/path").asText()).isEqualTo(RestHandler.METRICS_PATH);
    assertThat(annotations.path("prometheus.io/port").asText()).isEqualTo(Integer.toString(RestConfig.DEFAULT_PORT));
  }

  @Test
  void theRunningServer_answers200_onTheManifestsProbePaths(@TempDir Path repository) {
    RestTestSupport.addFraud(repository, "1");
    Map<String, String> local = new HashMap<>(env);
    local.put("JINFER_MODELS", repository.toString());
    local.put("JINFER_PORT", "0");
    local.put("JINFER_HOST", "127.0.0.1");
    local.put("JINFER_GRPC_PORT", "0");
    RestService service = RestService.start(RestConfig.parse(List.of(), local));
    try (RestTestSupport rest = new RestTestSupport(service)) {
      for (String probe : new String[] {"livenessProbe", "startupProbe"}) {
        String path = container.path(probe).path("httpGet").path("path").asText();
        HttpResponse<String> r = rest.get(path);
        assertThat(r.statusCode()).as(probe + " GET " + path + ": " + r.body()).isEqualTo(200);
      }
      ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", service.grpcPort(), InsecureChannelCredentials.create()).build();
      try {
        // what the kubelet's gRPC probe sends: Check with an empty service name
        assertThat(OipStubs.blocking(channel).withDeadlineAfter(60, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance())
            .getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      } finally {
        channel.shutdownNow();
      }
      String metrics = deployment.path("spec").path("template").path("metadata").path("annotations").path("prometheus.io/path").asText();
      assertThat(rest.get(metrics).body()).contains("jinfer_registry_ready");
    }
  }

  @Test
  void resources_andThreadSettings_fitTheCpuLimit() {
    JsonNode resources = container.path("resources");
    for (String kind : new String[] {"requests", "limits"}) {
      assertThat(resources.path(kind).path("cpu").asText()).as(kind + ".cpu").isNotEmpty();
      assertThat(resources.path(kind).path("memory").asText()).as(kind + ".memory").isNotEmpty();
    }
    double cpuLimit = cpus(resources.path("limits").path("cpu").asText());
    RestConfig config = RestConfig.parse(List.of(), env);
    // a fractional limit is rounded down (deploy README): the busy threads must not exceed the CFS quota
    int cpus = Math.max(1, (int) Math.floor(cpuLimit));
    assertThat(config.intraOpThreads()).as("engine threads (split across sessions) <= CPU limit").isLessThanOrEqualTo(cpus);
    assertThat(config.sessions()).as("sessions <= engine threads, so each session gets one").isBetween(1, config.intraOpThreads());
    assertThat(config.batchWorkers()).as("a batch in flight per session").isEqualTo(config.sessions());
    Matcher active = Pattern.compile("-XX:ActiveProcessorCount=(\\d+)").matcher(env.getOrDefault("JAVA_TOOL_OPTIONS", ""));
    assertThat(active.find()).as("JAVA_TOOL_OPTIONS sets -XX:ActiveProcessorCount").isTrue();
    assertThat(Integer.parseInt(active.group(1))).as("ActiveProcessorCount = the CPU limit rounded down").isEqualTo(cpus);
  }

  @Test
  void preStopSleep_keepsThePodServingWhileItIsDropped_withinTheGracePeriod() {
    JsonNode command = container.path("lifecycle").path("preStop").path("exec").path("command");
    assertThat(command.isArray()).as("lifecycle.preStop.exec.command").isTrue();
    assertThat(command.size()).isEqualTo(2);
    assertThat(command.get(0).asText()).isEqualTo("sleep");
    int sleep = Integer.parseInt(command.get(1).asText());
    assertThat(sleep).isPositive();
    int grace = deployment.path("spec").path("template").path("spec").path("terminationGracePeriodSeconds").asInt();
    // the sleep, then the service's own shutdown (1 s for exchanges, 5 s for the HTTP threads) fit in the grace period
    assertThat(sleep + 1 + 5).as("preStop sleep + shutdown <= terminationGracePeriodSeconds").isLessThan(grace);
  }

  @Test
  void service_andAutoscaler_pointAtTheDeployment() throws IOException {
    JsonNode service = YAML.readTree(deploy.resolve("k8s/service.yaml").toFile());
    JsonNode labels = deployment.path("spec").path("template").path("metadata").path("labels");
    service.path("spec").path("selector").properties()
        .forEach(e -> assertThat(labels.path(e.getKey()).asText()).as("pod label " + e.getKey()).isEqualTo(e.getValue().asText()));
    JsonNode port = service.path("spec").path("ports").get(0);
    JsonNode target = port.path("targetPort");
    assertThat(target.isInt() ? target.asInt() : containerPort(target.asText())).isEqualTo(RestConfig.DEFAULT_PORT);

    JsonNode hpa = YAML.readTree(deploy.resolve("k8s/hpa.yaml").toFile());
    assertThat(hpa.path("spec").path("scaleTargetRef").path("kind").asText()).isEqualTo("Deployment");
    assertThat(hpa.path("spec").path("scaleTargetRef").path("name").asText()).isEqualTo(deployment.path("metadata").path("name").asText());
    assertThat(hpa.path("spec").path("metrics").get(0).path("resource").path("name").asText()).isEqualTo("cpu");
    assertThat(hpa.path("spec").path("minReplicas").asInt()).isPositive().isLessThanOrEqualTo(hpa.path("spec").path("maxReplicas").asInt());
  }

  @Test
  void dockerfile_exposesTheServicePort_installsTheDistribution_andChecksLiveness() throws IOException {
    String docker = Files.readString(deploy.resolve("Dockerfile"));
    assertThat(docker).contains("EXPOSE " + RestConfig.DEFAULT_PORT)
        .contains("JINFER_PORT=" + RestConfig.DEFAULT_PORT)
        .contains("FROM eclipse-temurin:17-jdk AS jre")
        .containsPattern("RUN jlink --add-modules java\\.base,")
        .contains("ADD examples/target/rest-service-${VERSION}-linux-x86_64.tar.gz")
        .contains("ENTRYPOINT [\"/opt/rest-service/bin/rest-service\"]")
        .contains(RestHandler.LIVE_PATH)
        .containsPattern("(?m)^USER \\d+");
    Path root = RestTestSupport.fixtures().getParent();
    Matcher copied = Pattern.compile("(?m)^COPY ((?:fixtures|examples)/\\S+) ").matcher(docker);
    int files = 0;
    while (copied.find()) {
      assertThat(root.resolve(copied.group(1))).as("COPY source").isRegularFile();
      files++;
    }
    assertThat(files).as("the model and the CDS training script").isGreaterThanOrEqualTo(2);
    // the distribution's name is the module's: examples/pom.xml's dist.name and the project version
    String pom = Files.readString(root.resolve("examples/pom.xml"));
    assertThat(pom).contains("<dist.name>rest-service</dist.name>");
    Matcher version = Pattern.compile("(?m)^ARG VERSION=(\\S+)$").matcher(docker);
    assertThat(version.find()).isTrue();
    assertThat(pom).contains("<version>" + version.group(1) + "</version>");
  }
}
