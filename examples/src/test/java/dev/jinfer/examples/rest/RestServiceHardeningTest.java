package dev.jinfer.examples.rest;

import static dev.jinfer.examples.rest.RestTestSupport.json;
import static dev.jinfer.examples.rest.RestTestSupport.namedBody;
import static dev.jinfer.examples.rest.RestTestSupport.outputData;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jinfer.Backends;
import dev.jinfer.ModelClosedException;
import dev.jinfer.ScaleBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST service's defects found by the issue-14 probe, each against the running service over real sockets:
 * stalled partial bodies, deep nesting and huge numbers, out-of-range floats, client disconnects, huge values
 * echoed in errors, a malformed Content-Length, a closed model. Each failed on the JDK-server version.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RestServiceHardeningTest {
  private static final String PREDICT = "/v1/models/scale/predict";
  private static final String INFER = "/v2/models/scale/infer";

  @TempDir
  Path repository;

  private final ScaleBackend backend = new ScaleBackend();

  private RestTestSupport start(RestConfig.Builder config) throws IOException {
    Path dir = Files.createDirectories(repository.resolve("scale").resolve("1"));
    ScaleBackend.writeModel(dir, "model.scale", 2f);
    RestTestSupport rest = RestTestSupport.start(config.models(repository).backends(Backends.of(backend)).pollInterval(null)
        .cacheSize(0));
    assertThat(rest.get(RestHandler.READY_PATH).statusCode()).isEqualTo(200);
    return rest;
  }

  private static String row(float a, float b) {
    return namedBody("x", new float[][] {{a, b}});
  }

  private static String v2Body(String data) {
    return "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": " + data + "}]}";
  }

  private static void assertServes(RestTestSupport rest) {
    HttpResponse<String> ok = rest.post(PREDICT, row(3, 4));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(outputData(json(ok), "y")).containsExactly(6f, 8f);
  }

  @Test
  void stalledPartialBodies_pinNoRequestThread_probesAndPredictAnswer_andTheStallersGet408() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder().httpThreads(4).httpQueue(0).readTimeout(Duration.ofSeconds(2)))) {
      List<Socket> stalled = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) { // as many stalled clients as request threads: on the JDK server this pinned them all
          Socket s = RawHttp.open(rest);
          RawHttp.write(s, "POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"x\": [[1,");
          stalled.add(s);
        }
        long t0 = System.nanoTime();
        assertThat(rest.get(RestHandler.LIVE_PATH).statusCode()).isEqualTo(200);
        assertThat(rest.get(RestHandler.READY_PATH).statusCode()).isEqualTo(200);
        assertThat(rest.get(RestHandler.V2_LIVE_PATH).statusCode()).isEqualTo(200);
        assertServes(rest);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("answered while the stalled clients wait, not after the read timeout")
            .isLessThan(Duration.ofSeconds(2));
        for (Socket s : stalled) {
          RawHttp.Response r = RawHttp.read(s);
          assertThat(r.status).as(r.body).isEqualTo(408);
          assertThat(r.body).contains("REQUEST_TIMEOUT").contains("read timeout of 2000 ms").contains("of the 1000 bytes");
          assertThat(s.getInputStream().read()).as("the connection is closed after the 408").isEqualTo(-1);
        }
      } finally {
        for (Socket s : stalled) {
          s.close();
        }
      }
      assertServes(rest);
    }
  }

  @Test
  void stalledPartialHeads_endWithin408AtTheReadTimeout_whileProbesAndPredictAnswer() throws Exception {
    // the idle timeout stays at its 60 s default: before the head timeout, these clients held their connections that long
    try (RestTestSupport rest = start(RestConfig.newBuilder().httpThreads(2).httpQueue(0).readTimeout(Duration.ofSeconds(1)))) {
      String[] heads = {
          "POST /v1/models/sca", // a partial request line
          "GET " + RestHandler.LIVE_PATH + " HTTP/1.1\r\nHost: x\r\nX-Slow: a", // a partial header
          "POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n", // headers without their blank line
          "\r\nG", // a blank line, then a head's first byte
      };
      List<Socket> stalled = new ArrayList<>();
      List<Long> sent = new ArrayList<>();
      try {
        for (int i = 0; i < 2 * heads.length; i++) {
          Socket s = RawHttp.open(rest);
          s.setSoTimeout(15_000); // well under the 60 s idle timeout
          RawHttp.write(s, heads[i % heads.length]);
          stalled.add(s);
          sent.add(System.nanoTime());
        }
        assertThat(rest.get(RestHandler.LIVE_PATH).statusCode()).isEqualTo(200);
        assertServes(rest);
        for (int i = 0; i < stalled.size(); i++) {
          Socket s = stalled.get(i);
          RawHttp.Response r = RawHttp.read(s);
          Duration waited = Duration.ofNanos(System.nanoTime() - sent.get(i));
          assertThat(r.status).as(heads[i % heads.length] + ": " + r.body).isEqualTo(408);
          assertThat(r.body).contains("REQUEST_TIMEOUT").contains("request head").contains("read timeout of 1000 ms");
          assertThat(s.getInputStream().read()).as("the connection is closed after the 408").isEqualTo(-1);
          assertThat(waited).as("ended at the read timeout, not the idle timeout").isGreaterThanOrEqualTo(Duration.ofMillis(900))
              .isLessThan(Duration.ofSeconds(15));
        }
      } finally {
        for (Socket s : stalled) {
          s.close();
        }
      }
      assertServes(rest);
      assertThat(rest.get("/metrics").body()).contains("status=\"408\"").contains("uri=\"UNKNOWN\"");
    }
  }

  @Test
  void anIdleKeepAliveConnection_keepsTheIdleTimeout_notTheReadTimeout() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder().readTimeout(Duration.ofMillis(500)))) {
      try (Socket s = RawHttp.open(rest)) {
        RawHttp.write(s, "GET " + RestHandler.LIVE_PATH + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(RawHttp.read(s).status).isEqualTo(200);
        RawHttp.write(s, "\r\n"); // a stray blank line after a request (old clients sent one after a POST body) is no head
        s.setSoTimeout(2_000); // four read timeouts: nothing may come, the connection stays open
        assertThat(catchThrowable(() -> s.getInputStream().read()))
            .isInstanceOf(SocketTimeoutException.class);
        s.setSoTimeout(30_000);
        RawHttp.write(s, "GET " + RestHandler.LIVE_PATH + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(RawHttp.read(s).status).as("the same connection still serves").isEqualTo(200);
      }
    }
  }

  @Test
  void deepNesting_andHugeNumbers_are400NamingTheLimit_withoutAStackTrace() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder())) {
      String deep = "{\"features\": " + "[".repeat(3000) + "1" + "]".repeat(3000) + "}";
      String digits = "1".repeat(2000);
      String stderr = captureStderr(() -> {
        HttpResponse<String> nested = rest.post(PREDICT, deep);
        assertThat(nested.statusCode()).as(nested.body()).isEqualTo(400);
        assertThat(json(nested).path("error").path("code").asText()).isEqualTo("INVALID_INPUT");
        assertThat(json(nested).path("error").path("message").asText()).contains("nested deeper than the limit of 32 levels");
        HttpResponse<String> huge = rest.post(PREDICT, "{\"features\": [[" + digits + ", 1]]}");
        assertThat(huge.statusCode()).as(huge.body()).isEqualTo(400);
        assertThat(json(huge).path("error").path("message").asText()).contains("longer than the limit of 64 characters");
        HttpResponse<String> v2 = rest.post(INFER, v2Body("[" + digits + ".5, 1]"));
        assertThat(v2.statusCode()).as(v2.body()).isEqualTo(400);
        assertThat(json(v2).path("error").asText()).contains("longer than the limit of 64 characters");
        HttpResponse<String> v2deep = rest.post(INFER, v2Body("[".repeat(3000) + "]".repeat(3000)));
        assertThat(v2deep.statusCode()).as(v2deep.body()).isEqualTo(400);
        assertThat(json(v2deep).path("error").asText()).contains("nested deeper than the limit of 32 levels");
      });
      assertThat(stderr).doesNotContain("Exception").doesNotContain("\tat ");
      assertThat(rest.get("/metrics").body()).doesNotContain("status=\"500\"");
      assertServes(rest);
    }
  }

  @Test
  void floatsBeyondFloat32sRange_areRefusedLikeNanAndInfinity() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder())) {
      for (String v : List.of("1e39", "-1e39", "1e400", "-1e400")) {
        HttpResponse<String> r = rest.post(PREDICT, "{\"features\": [[1, " + v + "]]}");
        assertThat(r.statusCode()).as(v + ": " + r.body()).isEqualTo(400);
        assertThat(json(r).path("error").path("message").asText()).contains("input 'x'").contains("data[1]")
            .contains("FLOAT32's range");
        HttpResponse<String> v2 = rest.post(INFER, v2Body("[1, " + v + "]"));
        assertThat(v2.statusCode()).as(v + ": " + v2.body()).isEqualTo(400);
        assertThat(json(v2).path("error").asText()).contains("FLOAT32's range");
      }
      HttpResponse<String> nan = rest.post(PREDICT, "{\"features\": [[1, NaN]]}");
      assertThat(nan.statusCode()).as(nan.body()).isEqualTo(400);
      HttpResponse<String> edge = rest.post(PREDICT, "{\"features\": [[3.4028235e38, -1e-50]]}"); // rounds to FLOAT32's largest; to -0
      assertThat(edge.statusCode()).as(edge.body()).isEqualTo(200);
      assertServes(rest);
    }
  }

  @Test
  void aClientThatGoesAway_isNotCountedAs500_andLogsNoStackTrace() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder())) {
      backend.entered = new CountDownLatch(1);
      backend.release = new CountDownLatch(1);
      String stderr;
      try {
        stderr = captureStderr(() -> {
          int whileOpen;
          try (Socket s = RawHttp.open(rest)) {
            String body = row(5, 6);
            RawHttp.write(s, "POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            assertThat(backend.entered.await(60, TimeUnit.SECONDS)).as("the request reached the engine").isTrue();
            whileOpen = rest.service.openHttpConnections();
          } // the client hangs up while its request runs
          // the answer must come after the server has read the hang-up (otherwise it is a 200 into a closed socket)
          long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          while (rest.service.openHttpConnections() >= whileOpen && System.nanoTime() < until) {
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
          }
          assertThat(rest.service.openHttpConnections()).as("the server saw the hang-up").isLessThan(whileOpen);
          backend.release.countDown();
          rest.awaitGet("/metrics", r -> r.body().contains("status=\"499\""));
        });
      } finally {
        backend.release.countDown();
      }
      String metrics = rest.get("/metrics").body();
      assertThat(metrics).contains("uri=\"/v1/models/{name}/predict\"").doesNotContain("status=\"500\"");
      assertThat(stderr).doesNotContain("\tat ");
      backend.entered = null;
      backend.release = null;
      assertServes(rest);
    }
  }

  @Test
  void hugeValues_areCutInErrorMessages() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder())) {
      String huge = "a".repeat(3_000_000);
      HttpResponse<String> r = rest.post(PREDICT, "{\"features\": [[\"" + huge + "\", 1]]}");
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.body().length()).as("a 3 MB value is not echoed whole").isLessThan(2_000);
      assertThat(json(r).path("error").path("message").asText()).contains("data[0]").contains("more characters");
      HttpResponse<String> v2 = rest.post(INFER, "{\"id\": 5, \"inputs\": [{\"name\": \"" + huge + "\", \"shape\": [1, 2], "
          + "\"datatype\": \"FP32\", \"data\": [1, 2]}]}");
      assertThat(v2.statusCode()).isEqualTo(400);
      assertThat(v2.body().length()).isLessThan(2_000);
      assertServes(rest);
    }
  }

  @Test
  void malformedContentLength_getsTheServicesJsonError() throws Exception {
    try (RestTestSupport rest = start(RestConfig.newBuilder())) {
      for (String cl : List.of("abc", "-5", "1, 2", "99999999999999999999999")) {
        try (Socket s = RawHttp.open(rest)) {
          RawHttp.write(s, "POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + cl + "\r\n\r\n{}");
          RawHttp.Response r = RawHttp.read(s);
          assertThat(r.status).as(cl + ": " + r.body).isEqualTo(400);
          assertThat(r.contentType).isEqualTo("application/json");
          JsonNode body = RestTestSupport.JSON.readTree(r.body);
          assertThat(body.path("error").path("code").asText()).isEqualTo("INVALID_INPUT");
          assertThat(body.path("error").path("message").asText().toLowerCase(Locale.ROOT)).contains("content-length");
        }
      }
      try (Socket s = RawHttp.open(rest)) { // the same on /v2, in the protocol's error form
        RawHttp.write(s, "POST " + INFER + " HTTP/1.1\r\nHost: x\r\nContent-Length: x1\r\n\r\n{}");
        RawHttp.Response r = RawHttp.read(s);
        assertThat(r.status).isEqualTo(400);
        assertThat(RestTestSupport.JSON.readTree(r.body).path("error").asText().toLowerCase(Locale.ROOT)).contains("content-length");
      }
      assertServes(rest);
    }
  }

  @Test
  void aClosedModel_is503ModelClosed_withRetryAfter() {
    ApiException e = ApiException.of(new ModelClosedException("model 'scale:1' is closed"), Duration.ofSeconds(10));
    assertThat(e.status()).isEqualTo(503);
    assertThat(e.code()).isEqualTo("MODEL_CLOSED");
    assertThat(e.retryAfterSeconds()).isEqualTo(1);
  }

  @Test
  void backlog_isConfigurable_withASaneDefault() {
    assertThat(RestConfig.newBuilder().build().backlog()).isEqualTo(RestConfig.DEFAULT_BACKLOG).isGreaterThanOrEqualTo(1024);
    assertThat(RestConfig.parse(List.of("--backlog", "4096"), java.util.Map.of()).backlog()).isEqualTo(4096);
    assertThat(RestConfig.parse(List.of(), java.util.Map.of("JINFER_BACKLOG", "512")).backlog()).isEqualTo(512);
  }

  interface Body {
    void run() throws Exception;
  }

  /** Runs {@code body} with System.err captured (slf4j-simple writes there) and returns what was written. */
  private static synchronized String captureStderr(Body body) throws Exception {
    PrintStream old = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      body.run();
    } finally {
      System.setErr(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  /** HTTP/1.1 by hand, for what a well-behaved client cannot send: stalls, bad headers, hang-ups. */
  static final class RawHttp {
    record Response(int status, String contentType, String body) {}

    static Socket open(RestTestSupport rest) throws IOException {
      Socket s = new Socket("127.0.0.1", rest.service.port());
      s.setSoTimeout(30_000); // every read is bounded
      return s;
    }

    static void write(Socket s, String text) throws IOException {
      OutputStream out = s.getOutputStream();
      out.write(text.getBytes(StandardCharsets.UTF_8));
      out.flush();
    }

    /** Reads one response: status line, headers, then Content-Length bytes. */
    static Response read(Socket s) throws IOException {
      InputStream in = s.getInputStream();
      String statusLine = line(in);
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      int length = 0;
      String type = "";
      for (String h; !(h = line(in)).isEmpty();) {
        String lower = h.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Integer.parseInt(h.substring(15).trim());
        } else if (lower.startsWith("content-type:")) {
          type = h.substring(13).trim();
        }
      }
      byte[] body = in.readNBytes(length);
      return new Response(status, type, new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
      StringBuilder b = new StringBuilder();
      for (int c; (c = in.read()) != '\n';) {
        if (c < 0) {
          throw new IOException("the connection closed in the middle of a response line: '" + b + "'");
        }
        if (c != '\r') {
          b.append((char) c);
        }
      }
      return b.toString();
    }
  }
}
