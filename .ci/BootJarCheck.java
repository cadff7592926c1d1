import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a Spring Boot executable jar built on jinfer (examples/outside-boot-app) the way it is deployed,
 * {@code java -jar app.jar}, and checks it from outside: the health shows the fraud model served from
 * {@code classpath:models} (a resource inside Boot's nested {@code BOOT-INF/classes}), two transactions score as
 * the fixture's reference outputs say (ONNX Runtime's natives loaded from a jar nested in the fat jar), bad
 * input is a 400 naming the input, and SIGTERM ends it within 30 s. Used by .ci/check-adopter.
 * Usage: java .ci/BootJarCheck.java APP_JAR FIXTURES_DIR LOG_FILE
 */
public class BootJarCheck {
  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    Path fixtures = Path.of(args[1]);
    Path log = Path.of(args[2]);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-jar", jar.toString(), "--server.port=" + port)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      check(port, fixtures, app);
    } catch (Exception | AssertionError e) {
      System.err.println("BootJarCheck: FAILED: " + e.getMessage() + "\n--- application log (" + log + "):");
      System.err.println(Files.readString(log));
      throw e;
    } finally {
      if (app.isAlive()) {
        app.destroyForcibly();
      }
    }
  }

  private static void check(int port, Path fixtures, Process app) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String base = "http://127.0.0.1:" + port;
    long started = System.nanoTime();
    String health = null;
    while (System.nanoTime() - started < TimeUnit.SECONDS.toNanos(120)) {
      if (!app.isAlive()) {
        throw new AssertionError("the application exited with code " + app.exitValue() + " before it served");
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/actuator/health"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          health = r.body();
          break;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    if (health == null) {
      throw new AssertionError("no 200 from /actuator/health within 120 s");
    }
    long startMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    for (String expected : List.of("\"jinfer\"", "\"servingVersion\":\"1\"", "classpath:models")) {
      if (!health.contains(expected)) {
        throw new AssertionError("/actuator/health lacks " + expected + ": " + health);
      }
    }

    float[][] input = npy(fixtures.resolve("onnx/fraud_input.npy"));
    float[][] output = npy(fixtures.resolve("onnx/fraud_output.npy"));
    Pattern probability = Pattern.compile("\"fraudProbability\":([-0-9.eE]+)");
    for (int row : new int[] {0, 5}) {
      HttpResponse<String> r = post(http, base + "/score", "{\"features\":" + Arrays.toString(input[row]) + "}");
      Matcher m = probability.matcher(r.body());
      if (r.statusCode() != 200 || !m.find()) {
        throw new AssertionError("row " + row + ": expected 200 with fraudProbability but got " + r.statusCode()
            + " " + r.body());
      }
      float p = Float.parseFloat(m.group(1));
      if (Math.abs(p - output[row][1]) > 1e-5f) {
        throw new AssertionError("row " + row + ": expected fraudProbability " + output[row][1] + " but got " + p);
      }
    }
    HttpResponse<String> bad = post(http, base + "/score", "{\"features\":[1,2,3]}");
    if (bad.statusCode() != 400 || !bad.body().contains("features") || !bad.body().contains("32")) {
      throw new AssertionError("3 features: expected 400 naming 'features' and 32 but got " + bad.statusCode() + " "
          + bad.body());
    }

    app.toHandle().destroy(); // SIGTERM, as a container stop sends
    if (!app.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("the application did not stop within 30 s of SIGTERM");
    }
    System.out.println("BootJarCheck: java -jar served in " + startMillis + " ms; health shows fraud v1 from "
        + "classpath:models; 2 rows score as the reference; bad input 400; stopped on SIGTERM (exit "
        + app.exitValue() + ")");
  }

  private static HttpResponse<String> post(HttpClient http, String url, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A 2-D little-endian float32 C-order .npy file (format 1.0), as the fixtures are. */
  private static float[][] npy(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int headerLength = b.getShort(8) & 0xffff;
    String header = new String(b.array(), 10, headerLength, StandardCharsets.US_ASCII);
    Matcher shape = Pattern.compile("'shape': \\((\\d+), (\\d+)\\)").matcher(header);
    if (!header.contains("'<f4'") || !header.contains("False") || !shape.find()) {
      throw new IOException(file + ": expected a 2-D '<f4' C-order array but the header is " + header);
    }
    int rows = Integer.parseInt(shape.group(1));
    int cols = Integer.parseInt(shape.group(2));
    b.position(10 + headerLength);
    float[][] out = new float[rows][cols];
    for (float[] row : out) {
      b.asFloatBuffer().get(row);
      b.position(b.position() + 4 * cols);
    }
    return out;
  }
}
