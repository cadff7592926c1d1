package dev.jinfer.cli.bench;

import static dev.jinfer.cli.bench.BenchCommandTest.args;
import static dev.jinfer.cli.bench.BenchCommandTest.json;
import static dev.jinfer.cli.bench.BenchCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.cli.bench.BenchCommandTest.Run;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event-driven HTTP path of {@code jinfer bench --url} ({@link HttpTarget#prepareAsync}, {@link AsyncHttpConnection})
 * against a scripted server: keep-alive per client, one request in flight per client, and every outcome classified as
 * the blocking path classifies it (error statuses, a connection the server closes, an answer that never comes).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HttpTargetAsyncTest {
  private static final long WAIT_SECONDS = 20;
  private static final String V1_MODEL = "{\"name\":\"m\",\"version\":\"3\",\"inputs\":[{\"name\":\"x\",\"dtype\":\"FLOAT32\","
      + "\"shape\":[-1,2]}],\"outputs\":[{\"name\":\"y\",\"dtype\":\"FLOAT32\",\"shape\":[-1,1]}]}";
  private static final String V2_MODEL = "{\"name\":\"m\",\"versions\":[\"3\"],\"platform\":\"jinfer\",\"inputs\":[{\"name\":\"x\","
      + "\"datatype\":\"FP32\",\"shape\":[-1,2]}],\"outputs\":[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[-1,1]}]}";
  private static final String OK = answer(200, "OK", "{\"outputs\":{}}");
  private static final String HOLD = "<hold>"; // read the request, never answer
  private static final String CLOSE = "<close>"; // at the end of an answer: close the connection after writing the rest

  @TempDir
  Path tmp;

  private static String answer(int status, String reason, String body) {
    return "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: application/json\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
  }

  /** What a connection answers to its n-th request (from 1). */
  @FunctionalInterface
  interface Script {
    String answer(int connection, int request);
  }

  /**
   * Connection 1 answers the model's description (the target's connect); every later one answers by the script. Reads
   * whole requests (head and Content-Length body), counts connections and requests, the most requests in flight across
   * connections, and requests that came while the one before on their connection was unanswered (pipelining).
   */
  private static final class Scripted implements AutoCloseable {
    final ServerSocket server = new ServerSocket(0);
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger mostInFlight = new AtomicInteger();
    final AtomicInteger pipelined = new AtomicInteger();
    final List<String> requests = new CopyOnWriteArrayList<>();
    final List<Integer> requestsPerConnection = new CopyOnWriteArrayList<>();
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final long serviceMicros;

    Scripted(String description, long serviceMicros, Script script) throws IOException {
      this.serviceMicros = serviceMicros;
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            Socket s = server.accept();
            accepted.add(s);
            int n = connections.incrementAndGet();
            Thread t = new Thread(() -> serve(s, n, n == 1 ? (c, r) -> answer(200, "OK", description) : script));
            t.setDaemon(true);
            t.start();
          }
        } catch (IOException e) {
          // closed
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void serve(Socket s, int connection, Script script) {
      int served = 0;
      try (s) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        for (int r = 1; ; r++) {
          String request = readRequest(in);
          if (request == null) {
            return;
          }
          requests.add(request);
          mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
          try {
            String answer = script.answer(connection, r);
            if (answer.equals(HOLD)) {
              in.read(); // hold the connection open, unanswered, until the client gives up
              return;
            }
            if (serviceMicros > 0) {
              TimeUnit.MICROSECONDS.sleep(serviceMicros); // the service's work, during which a pipelining client shows
            }
            if (in.available() > 0) {
              pipelined.incrementAndGet();
            }
            boolean closeAfter = answer.endsWith(CLOSE);
            out.write(answer.substring(0, answer.length() - (closeAfter ? CLOSE.length() : 0)).getBytes(StandardCharsets.UTF_8));
            out.flush();
            if (closeAfter) {
              return;
            }
            served++;
          } finally {
            inFlight.decrementAndGet();
          }
        }
      } catch (IOException e) {
        // the client went away
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        if (connection > 1) {
          requestsPerConnection.add(served);
        }
      }
    }

    private static @Nullable String readRequest(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        head.write(b);
        String s = head.toString(StandardCharsets.ISO_8859_1);
        if (s.endsWith("\r\n\r\n")) {
          int length = 0;
          for (String line : s.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
              length = Integer.parseInt(line.substring("content-length:".length()).strip());
            }
          }
          byte[] body = in.readNBytes(length);
          if (body.length < length) {
            return null;
          }
          return s + new String(body, StandardCharsets.UTF_8);
        }
      }
      return null;
    }

    @Override
    public void close() throws IOException {
      stop();
    }

    /** Stops listening and closes every connection. */
    void stop() throws IOException {
      server.close();
      for (Socket s : accepted) {
        s.close();
      }
    }
  }

  /**
   * Waits until connecting to the port is refused. A closed listening socket refuses at once on a Linux kernel, but in
   * CI's sandbox the first request after the close failed as "IO IOException" (a reset, not a refused connect):
   * presumably the close took effect only after one more handshake.
   */
  private static void awaitRefused(int port) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (true) {
      try (Socket probe = new Socket()) {
        probe.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1_000);
      } catch (java.net.ConnectException refused) {
        return;
      }
      assertThat(System.nanoTime()).as("port %d still accepts connections after the server stopped", port).isLessThan(end);
      TimeUnit.MILLISECONDS.sleep(10); // poll interval
    }
  }

  private static HttpTarget target(Scripted server, HttpTarget.Protocol protocol, Duration timeout) {
    return HttpTarget.connect(server.url(), protocol, "m", null, timeout, null);
  }

  private static NamedTensors request() {
    return NamedTensors.of("x", Tensor.ofFloats(new float[] {1f, 2f}, 1, 2));
  }

  /** Sends and waits (bounded) for the outcome; "OK" for success. */
  private static String outcome(LoadTarget.AsyncCall call) throws Exception {
    CompletableFuture<String> done = new CompletableFuture<>();
    AtomicReference<String> thread = new AtomicReference<>();
    call.send(error -> {
      thread.set(Thread.currentThread().getName());
      done.complete(error == null ? "OK" : error);
    });
    String result = done.get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(thread.get()).as("outcomes arrive on the shared event loop").isEqualTo("jinfer-bench-http-io");
    return result;
  }

  @Test
  void keepAlive_aConnectionPerClient_andTheRequestIsWrittenAsPrepared() throws Exception {
    try (Scripted server = new Scripted(V1_MODEL, 0, (c, r) -> OK);
        HttpTarget target = target(server, HttpTarget.Protocol.V1, Duration.ofSeconds(10))) {
      LoadTarget.AsyncCall client0 = target.prepareAsync(request(), 0);
      LoadTarget.AsyncCall client1 = target.prepareAsync(request(), 1);
      assertThat(client0).isNotNull();
      assertThat(client1).isNotNull();
      for (int i = 0; i < 3; i++) {
        assertThat(outcome(client0)).isEqualTo("OK");
        assertThat(outcome(client1)).isEqualTo("OK");
      }
      assertThat(server.connections).as("the description's connection and one per client").hasValue(3);
      String sent = server.requests.get(1);
      assertThat(sent).startsWith("POST /v1/models/m/predict HTTP/1.1\r\nHost: 127.0.0.1:" + server.server.getLocalPort())
          .endsWith("\r\n\r\n" + new String(HttpTarget.body(request()), StandardCharsets.UTF_8));
      assertThat(server.requests.subList(1, server.requests.size())).as("each call writes the prepared bytes unchanged")
          .containsOnly(sent);
      assertThat(target.description()).contains("closed loops event-driven on one I/O thread");
    }
  }

  @Test
  void errorStatuses_areClassifiedAsTheBlockingPathDoes_v1WithItsCode_v2WithoutOne() throws Exception {
    String v1Error = answer(404, "Not Found", "{\"error\":{\"code\":\"MODEL_NOT_FOUND\",\"message\":\"no model\"}}");
    String v2Error = answer(400, "Bad Request", "{\"error\":\"input 'x': expected FP32\"}");
    try (Scripted v1 = new Scripted(V1_MODEL, 0, (c, r) -> v1Error);
        Scripted v2 = new Scripted(V2_MODEL, 0, (c, r) -> v2Error);
        HttpTarget t1 = target(v1, HttpTarget.Protocol.V1, Duration.ofSeconds(10));
        HttpTarget t2 = target(v2, HttpTarget.Protocol.V2, Duration.ofSeconds(10))) {
      assertThat(outcome(t1.prepareAsync(request(), 0))).isEqualTo("HTTP 404 MODEL_NOT_FOUND");
      assertThat(t1.prepare(request()).send()).as("the blocking path").isEqualTo("HTTP 404 MODEL_NOT_FOUND");
      assertThat(outcome(t2.prepareAsync(request(), 0))).isEqualTo("HTTP 400");
      assertThat(t2.prepare(request()).send()).as("the blocking path").isEqualTo("HTTP 400");
      assertThat(v2.requests.get(1)).startsWith("POST /v2/models/m/infer HTTP/1.1\r\n");
      assertThat(outcome(t1.prepareAsync(request(), 0))).as("an error answer keeps the connection")
          .isEqualTo("HTTP 404 MODEL_NOT_FOUND");
      assertThat(v1.connections).as("description, the async client, the blocking client").hasValue(3);
    }
  }

  @Test
  void serverClosingWithoutAnswering_isAnIoError_andTheNextRequestOpensANewConnection() throws Exception {
    try (Scripted server = new Scripted(V1_MODEL, 0, (c, r) -> c == 2 ? CLOSE : OK);
        HttpTarget target = target(server, HttpTarget.Protocol.V1, Duration.ofSeconds(10))) {
      LoadTarget.AsyncCall call = target.prepareAsync(request(), 0);
      assertThat(outcome(call)).isEqualTo("IO EOFException");
      assertThat(outcome(call)).isEqualTo("OK");
      assertThat(server.connections).hasValue(3);
    }
  }

  @Test
  void serverClosingInTheMiddleOfAnAnswer_isAnIoError() throws Exception {
    String half = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"outputs\"";
    try (Scripted server = new Scripted(V1_MODEL, 0, (c, r) -> c == 2 ? half + CLOSE : OK);
        HttpTarget target = target(server, HttpTarget.Protocol.V1, Duration.ofSeconds(10))) {
      LoadTarget.AsyncCall call = target.prepareAsync(request(), 0);
      assertThat(outcome(call)).isEqualTo("IO EOFException");
      assertThat(outcome(call)).as("a new connection after the failure").isEqualTo("OK");
    }
  }

  @Test
  void keptAliveConnectionClosedByTheServer_theRequestGoesOnceMoreOnANewOne() throws Exception {
    try (Scripted server = new Scripted(V1_MODEL, 0, (c, r) -> c == 2 && r == 2 ? CLOSE : OK);
        HttpTarget target = target(server, HttpTarget.Protocol.V1, Duration.ofSeconds(10))) {
      LoadTarget.AsyncCall call = target.prepareAsync(request(), 0);
      assertThat(outcome(call)).isEqualTo("OK");
      assertThat(outcome(call)).as("sent once more on a new connection").isEqualTo("OK");
      assertThat(server.connections).hasValue(3);
      assertThat(server.requests).hasSize(4);
    }
  }

  @Test
  void noAnswer_isATimeout_theChannelIsReplaced_andTheClientServesAgain() throws Exception {
    try (Scripted server = new Scripted(V1_MODEL, 0, (c, r) -> c == 2 ? HOLD : OK);
        HttpTarget target = target(server, HttpTarget.Protocol.V1, Duration.ofMillis(300))) {
      LoadTarget.AsyncCall call = target.prepareAsync(request(), 0);
      long start = System.nanoTime();
      assertThat(outcome(call)).isEqualTo("TIMEOUT");
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(290));
      assertThat(outcome(call)).isEqualTo("OK");
      assertThat(server.connections).as("a new connection after the timeout").hasValue(3);
    }
  }

  @Test
  void notHttp_isAnIoError_andNobodyListening_isTheConnectFailure() throws Exception {
    try (Scripted server = new Scripted(V1_MODEL, 0, (c, r) -> "SMTP ready\r\n\r\n");
        HttpTarget target = target(server, HttpTarget.Protocol.V1, Duration.ofSeconds(10))) {
      LoadTarget.AsyncCall call = target.prepareAsync(request(), 0);
      assertThat(outcome(call)).isEqualTo("IO IOException");
      server.stop();
      awaitRefused(server.server.getLocalPort());
      assertThat(outcome(call)).isEqualTo("IO ConnectException");
      assertThat(target.prepare(request()).send()).as("the blocking path").isEqualTo("IO ConnectException");
    }
  }

  @Test
  void close_failsTheRequestInFlight_andEndsTheEventLoop() throws Exception {
    try (Scripted server = new Scripted(V1_MODEL, 0, (c, r) -> HOLD)) {
      HttpTarget target = target(server, HttpTarget.Protocol.V1, Duration.ofSeconds(30));
      CompletableFuture<String> done = new CompletableFuture<>();
      target.prepareAsync(request(), 0).send(e -> done.complete(String.valueOf(e)));
      awaitRequests(server, 2);
      target.close();
      assertThat(done.get(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo("IO ClosedChannelException");
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("jinfer-bench-http-io"))) {
        assertThat(System.nanoTime()).as("the event loop's thread ends").isLessThan(end);
        TimeUnit.MILLISECONDS.sleep(5); // poll interval
      }
    }
  }

  private static void awaitRequests(Scripted server, int n) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (server.requests.size() < n) {
      assertThat(System.nanoTime()).as("waiting for %s requests", n).isLessThan(end);
      TimeUnit.MILLISECONDS.sleep(5); // poll interval
    }
  }

  @Test
  void benchClosedLoop_keepsOneRequestInFlightPerClient_onAKeptAliveConnectionEach() throws Exception {
    Path file = tmp.resolve("b.json");
    try (Scripted server = new Scripted(V2_MODEL, 200, (c, r) -> OK)) {
      Run r = run(args("--url", server.url(), "--protocol", "v2", "--model-name", "m", "--concurrency", "4",
          "--json", file.toString()));

      assertThat(r.exitCode()).as(r.err()).isZero();
      assertThat(r.out()).contains("closed loops event-driven on one I/O thread");
      JsonNode level = json(file).path("levels").get(0);
      assertThat(level.path("errors").asLong()).isZero();
      assertThat(level.path("requests").asLong()).isPositive();
      assertThat(server.mostInFlight.get()).as("requests in flight at once").isLessThanOrEqualTo(4);
      assertThat(server.pipelined).as("requests sent before the one before on their connection was answered").hasValue(0);
      assertThat(server.connections).as("the description's connection and one per client").hasValue(5);
    }
  }
}
