package dev.jinfer.examples.rest;

import static dev.jinfer.examples.rest.OipGrpcTest.assertStatus;
import static dev.jinfer.examples.rest.OipGrpcTest.boxed;
import static dev.jinfer.examples.rest.OipGrpcTest.fraudRequest;
import static dev.jinfer.examples.rest.OipGrpcTest.input;
import static dev.jinfer.examples.rest.OipGrpcTest.observer;
import static dev.jinfer.examples.rest.RestTestSupport.featuresBody;
import static dev.jinfer.examples.rest.RestTestSupport.json;
import static dev.jinfer.examples.rest.RestTestSupport.namedBody;
import static dev.jinfer.examples.rest.RestTestSupport.outputData;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jinfer.Backends;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import dev.jinfer.Tensor;
import dev.jinfer.examples.rest.health.HealthCheckRequest;
import dev.jinfer.examples.rest.oip.InferTensorContents;
import dev.jinfer.examples.rest.oip.ModelInferRequest;
import dev.jinfer.examples.rest.oip.ModelInferResponse;
import dev.jinfer.io.Npy;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --execution event-loop}: inference on the I/O event loop that read the request, over HTTP ({@code /v1},
 * {@code /v2}) and gRPC {@code ModelInfer}, through real clients: the fraud model's answers against its reference
 * outputs and against the model called in-process (many clients at once, every answer checked), errors, deadlines,
 * a request in progress holding only its own event loop, and shutdown draining the calls in progress while refusing
 * new ones. Core's {@link ScaleBackend} ({@code y = 2 x}, steerable to block on a
 * latch) makes the timing deterministic and records the thread of every engine run.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EventLoopExecutionTest {
  @TempDir
  Path repository;

  private final ScaleBackend backend = new ScaleBackend();
  private RestTestSupport rest;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    CountDownLatch release = backend.release;
    if (release != null) {
      release.countDown();
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (rest != null) {
      rest.close();
    }
  }

  private OipStubs.Blocking startFraud() {
    RestTestSupport.addFraud(repository, "1");
    return start(RestConfig.newBuilder().models(repository).cacheSize(0));
  }

  private OipStubs.Blocking startScale(RestConfig.Builder config) throws IOException {
    ScaleBackend.writeModel(Files.createDirectories(repository.resolve("scale").resolve("1")), "model.scale", 2f);
    return start(config.models(repository).backends(Backends.of(backend)).cacheSize(0));
  }

  private OipStubs.Blocking start(RestConfig.Builder config) {
    rest = RestTestSupport.start(config.inferenceOnEventLoop(true).pollInterval(null).grpcPort(0));
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", rest.service.grpcPort(), InsecureChannelCredentials.create()).build();
    return OipStubs.blocking(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  private static String v2Body(String id, float[][] rows) {
    StringBuilder data = new StringBuilder();
    for (float[] row : rows) {
      for (float v : row) {
        data.append(data.length() == 0 ? "" : ",").append(v);
      }
    }
    return "{\"id\":\"" + id + "\",\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[" + rows.length + ","
        + rows[0].length + "],\"data\":[" + data + "]}]}";
  }

  private static float[] v2Data(JsonNode body) {
    JsonNode data = body.path("outputs").get(0).path("data");
    float[] out = new float[data.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = data.get(i).floatValue();
    }
    return out;
  }

  private static float[] grpcData(ModelInferResponse r) {
    List<Float> values = r.getOutputs(0).getContents().getFp32ContentsList();
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static void assertClose(float[] actual, float[] expected, String what) {
    assertThat(actual).as(what).hasSize(expected.length);
    for (int i = 0; i < expected.length; i++) {
      assertThat(actual[i]).as("%s [%d]", what, i).isCloseTo(expected[i], within(1e-5f));
    }
  }

  private static float[] flat(float[][] rows) {
    float[] out = new float[rows.length * rows[0].length];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, out, r * rows[r].length, rows[r].length);
    }
    return out;
  }

  private static List<String> threadNames() {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).toList();
  }

  @Test
  void fraud_overV1V2AndGrpc_reproducesTheReferenceOutputs_withoutRequestThreads() {
    OipStubs.Blocking stub = startFraud();
    float[][] in = Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_input.npy")).toFloatMatrix();
    float[] expected = flat(Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_output.npy")).toFloatMatrix());

    HttpResponse<String> v1 = rest.post("/v1/models/fraud/predict", namedBody("features", in));
    assertThat(v1.statusCode()).as(v1.body()).isEqualTo(200);
    assertClose(outputData(json(v1), "probabilities"), expected, "/v1");

    HttpResponse<String> v2 = rest.post("/v2/models/fraud/infer", v2Body("req-7", in));
    assertThat(v2.statusCode()).as(v2.body()).isEqualTo(200);
    assertThat(json(v2).path("id").asText()).isEqualTo("req-7");
    assertClose(v2Data(json(v2)), expected, "/v2");

    ModelInferResponse grpc = stub.modelInfer(fraudRequest(in).setId("call-9").build());
    assertThat(grpc.getId()).isEqualTo("call-9");
    assertThat(grpc.getModelVersion()).isEqualTo("1");
    assertClose(grpcData(grpc), expected, "gRPC");

    assertThat(threadNames()).as("no request threads and no gRPC call pool in this mode")
        .noneMatch(n -> n.startsWith(RestService.HTTP_THREAD_PREFIX) || n.startsWith(GrpcEndpoint.THREAD_PREFIX));
    assertThat(rest.service.config().toString()).contains("execution=event-loop");
  }

  @Test
  void badInputAndUnknownModels_getTheUsualErrors_andTheEventLoopKeepsServing() {
    OipStubs.Blocking stub = startFraud();
    HttpResponse<String> shortRow = rest.post("/v1/models/fraud/predict", featuresBody(1f, 2f, 3f));
    assertThat(shortRow.statusCode()).as(shortRow.body()).isEqualTo(400);
    assertThat(json(shortRow).path("error").path("message").asText()).contains("features");
    HttpResponse<String> malformed = rest.post("/v2/models/fraud/infer", "{\"inputs\": [");
    assertThat(malformed.statusCode()).as(malformed.body()).isEqualTo(400);
    HttpResponse<String> unknown = rest.post("/v2/models/nope/infer", v2Body("x", new float[1][32]));
    assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
    assertThat(json(unknown).path("error").asText()).contains("nope");

    assertStatus(() -> stub.modelInfer(ModelInferRequest.newBuilder().setModelName("fraud").addInputs(input("features", "FP32", 2, 32)
        .toBuilder().setContents(InferTensorContents.newBuilder().addAllFp32Contents(boxed(new float[63])))).build()),
        Status.Code.INVALID_ARGUMENT, "input 'features': shape [2, 32] holds 64 values but fp32_contents has 63");
    assertStatus(() -> stub.modelInfer(fraudRequest(new float[1][32]).setModelName("nope").build()), Status.Code.NOT_FOUND, "nope");

    assertThat(rest.post("/v1/models/fraud/predict", featuresBody(new float[32])).statusCode()).isEqualTo(200);
    assertThat(stub.modelInfer(fraudRequest(new float[1][32]).build()).getOutputsCount()).isEqualTo(1);
  }

  @Test
  void manyClientsAtOnce_overHttpAndGrpc_eachGetTheirOwnAnswer() throws Exception {
    startFraud();
    int clients = 8;
    int requests = 40;
    float[][][] rows = new float[clients * requests][][];
    float[][] expected = new float[rows.length][];
    try (Predictor inProcess = rest.service.registry().predictor("fraud", "1")) {
      for (int i = 0; i < rows.length; i++) {
        float[] row = new float[32];
        for (int c = 0; c < 32; c++) {
          row[c] = (float) Math.sin(i * 31 + c) * (1 + i % 5); // distinct rows, distinct answers
        }
        rows[i] = new float[][] {row};
        expected[i] = inProcess.predict(NamedTensors.of("features", Tensor.ofFloats(row, 1, 32)), List.of()).get("probabilities")
            .toFloatArray();
      }
    }
    OipStubs.Async async = OipStubs.async(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    ExecutorService pool = Executors.newFixedThreadPool(2 * clients);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int client = 0; client < clients; client++) {
        int first = client * requests;
        done.add(pool.submit(() -> { // an HTTP client: /v1 and /v2 in turn, one request after another
          for (int i = first; i < first + requests; i++) {
            if (i % 2 == 0) {
              HttpResponse<String> r = rest.post("/v1/models/fraud/predict", featuresBody(rows[i][0]));
              assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
              assertClose(outputData(json(r), "probabilities"), expected[i], "/v1 request " + i);
            } else {
              HttpResponse<String> r = rest.post("/v2/models/fraud/infer", v2Body("r" + i, rows[i]));
              assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
              assertThat(json(r).path("id").asText()).isEqualTo("r" + i);
              assertClose(v2Data(json(r)), expected[i], "/v2 request " + i);
            }
          }
          return requests;
        }));
        done.add(pool.submit(() -> { // a gRPC client: a window of calls in flight at once on the shared channel
          List<CompletableFuture<ModelInferResponse>> calls = new ArrayList<>();
          for (int i = first; i < first + requests; i++) {
            CompletableFuture<ModelInferResponse> f = new CompletableFuture<>();
            async.modelInfer(fraudRequest(rows[i]).setId("g" + i).build(), observer(f));
            calls.add(f);
          }
          for (int k = 0; k < calls.size(); k++) {
            ModelInferResponse r = calls.get(k).get(60, TimeUnit.SECONDS);
            assertThat(r.getId()).isEqualTo("g" + (first + k));
            assertClose(grpcData(r), expected[first + k], "gRPC call " + (first + k));
          }
          return requests;
        }));
      }
      int answered = 0;
      for (Future<Integer> f : done) {
        answered += f.get(120, TimeUnit.SECONDS);
      }
      assertThat(answered).isEqualTo(2 * clients * requests);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theEngineRuns_onTheEventLoopThatReadTheRequest() throws Exception {
    OipStubs.Blocking stub = startScale(RestConfig.newBuilder());
    HttpResponse<String> r = rest.post("/v1/models/scale/predict", namedBody("x", new float[][] {{1, 2}}));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(outputData(json(r), "y")).containsExactly(2f, 4f);
    ScaleBackend.Session session = backend.sessions.get(0);
    assertThat(session.threads.get(session.threads.size() - 1).getName()).startsWith("jinfer-http-io");
    // a call without a deadline, so that nothing (not even core's deadline thread for an engine that cannot cancel) hops
    OipStubs.Blocking noDeadline = OipStubs.blocking(channel);
    ModelInferResponse g = noDeadline.modelInfer(row("scale", 3, 4));
    assertThat(grpcData(g)).containsExactly(6f, 8f);
    String grpcThread = session.threads.get(session.threads.size() - 1).getName();
    assertThat(grpcThread).as("grpc-java's Netty event loop").startsWith("grpc-").doesNotStartWith(GrpcEndpoint.THREAD_PREFIX);
    assertThat(stub.check(HealthCheckRequest.getDefaultInstance()).getStatusValue()).isEqualTo(1); // SERVING
  }

  private static ModelInferRequest row(String model, float a, float b) {
    return ModelInferRequest.newBuilder().setModelName(model).addInputs(input("x", "FP32", 1, 2).toBuilder()
        .setContents(InferTensorContents.newBuilder().addAllFp32Contents(boxed(new float[] {a, b})))).build();
  }

  @Test
  void deadlines_reachTheEngine_andEndTheCallThere_overGrpcAndHttp() throws Exception {
    backend.cancellable = true; // the engine gets jinfer's Deadline and gives up at it
    OipStubs.Blocking stub = startScale(RestConfig.newBuilder());
    backend.entered = new CountDownLatch(2);
    backend.release = new CountDownLatch(1);
    assertStatus(() -> stub.withDeadlineAfter(300, TimeUnit.MILLISECONDS).modelInfer(row("scale", 1, 2)),
        Status.Code.DEADLINE_EXCEEDED, "");
    HttpResponse<String> late = rest.post("/v1/models/scale/predict", namedBody("x", new float[][] {{5, 6}}),
        RestHandler.DEADLINE_HEADER, "300");
    assertThat(late.statusCode()).as(late.body()).isEqualTo(504);
    assertThat(json(late).path("error").path("code").asText()).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(backend.release.getCount()).as("both ended at their deadline, the engine was never released").isEqualTo(1);
    ScaleBackend.Session session = backend.sessions.get(0);
    assertThat(session.deadlines).hasSizeGreaterThanOrEqualTo(2);
    backend.release = null;
    assertThat(grpcData(stub.withDeadlineAfter(5, TimeUnit.SECONDS).modelInfer(row("scale", 3, 4)))).containsExactly(6f, 8f);
    assertThat(session.deadlines.get(session.deadlines.size() - 1).timeout()).isLessThanOrEqualTo(java.time.Duration.ofSeconds(5))
        .isGreaterThan(java.time.Duration.ofSeconds(4));
  }

  @Test
  void close_finishesTheRequestsInProgress_refusesNewOnes_andThenStops() throws Exception {
    // two event loops: the raw connections A and B, accepted one after the other, land on different loops
    OipStubs.Blocking stub = startScale(RestConfig.newBuilder().ioThreads(2));
    backend.entered = new CountDownLatch(2);
    backend.release = new CountDownLatch(1);
    try (Socket a = connect(); Socket b = connect()) {
      assertThat(exchange(b, "GET", "/v1/models/scale", null).status).as("B's loop answers").isEqualTo(200);
      send(a, "POST", "/v1/models/scale/predict", namedBody("x", new float[][] {{3, 4}}));
      OipStubs.Async async = OipStubs.async(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
      CompletableFuture<ModelInferResponse> grpcInFlight = new CompletableFuture<>();
      async.modelInfer(row("scale", 5, 6), observer(grpcInFlight));
      assertThat(backend.entered.await(60, TimeUnit.SECONDS)).as("the HTTP request and the gRPC call are in the engine").isTrue();
      // the request in progress holds only its own event loop: B's is free
      assertThat(exchange(b, "GET", "/v1/models/scale", null).status).as("B's loop answers meanwhile").isEqualTo(200);

      CompletableFuture<Void> closing = CompletableFuture.runAsync(rest.service::close);
      // a new request on B (an open connection, its loop free) is refused 503 once the service drains
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      Answer refused = null;
      while (refused == null && System.nanoTime() < end) {
        Answer r = exchange(b, "GET", "/v1/models/scale", null);
        if (r.status == 503) {
          refused = r;
        } else {
          assertThat(r.status).as(r.body).isEqualTo(200);
        }
      }
      assertThat(refused).as("a request arriving while the service drains").isNotNull();
      assertThat(refused.body).contains("shutting down");
      assertThat(refused.headers).containsEntry("retry-after", "1");
      // (a new gRPC call on the in-flight call's connection would wait behind it: that connection's event loop is busy)
      assertThat(closing).as("the service waits for the calls in progress").isNotDone();

      backend.release.countDown();
      Answer answer = read(a);
      assertThat(answer.status).as(answer.body).isEqualTo(200);
      assertThat(outputData(RestTestSupport.JSON.readTree(answer.body), "y")).containsExactly(6f, 8f);
      assertThat(grpcData(grpcInFlight.get(60, TimeUnit.SECONDS))).containsExactly(10f, 12f);
      closing.get(60, TimeUnit.SECONDS);
    }
    assertThatThrownBy(() -> stub.modelInfer(row("scale", 1, 1))).as("the gRPC server is gone")
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    rest = null; // closed above
  }

  private Socket connect() throws IOException {
    Socket s = new Socket("127.0.0.1", rest.service.port());
    s.setSoTimeout(60_000); // every read is bounded
    return s;
  }

  private record Answer(int status, Map<String, String> headers, String body) {}

  private static Answer exchange(Socket s, String method, String path, String body) throws IOException {
    send(s, method, path, body);
    return read(s);
  }

  private static void send(Socket s, String method, String path, String body) throws IOException {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + (body == null ? "" : "Content-Type: application/json\r\n") + "Content-Length: " + content.length + "\r\n\r\n";
    OutputStream out = s.getOutputStream();
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(content);
    out.flush();
  }

  private static Answer read(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    String status = line(in);
    assertThat(status).startsWith("HTTP/1.1 ");
    Map<String, String> headers = new java.util.HashMap<>();
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    byte[] content = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
    return new Answer(Integer.parseInt(status.substring(9, 12)), headers, new String(content, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("the connection closed mid-answer: " + b);
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  @Test
  void theFlag_parses_andRefusesBatching() {
    assertThat(RestConfig.parse(List.of(), Map.of()).inferenceOnEventLoop()).isFalse();
    assertThat(RestConfig.parse(List.of("--execution", "event-loop"), Map.of()).inferenceOnEventLoop()).isTrue();
    assertThat(RestConfig.parse(List.of("--execution=pool"), Map.of("JINFER_EXECUTION", "event-loop")).inferenceOnEventLoop()).isFalse();
    assertThat(RestConfig.parse(List.of(), Map.of("JINFER_EXECUTION", "event-loop")).inferenceOnEventLoop()).isTrue();
    int cpus = dev.jinfer.LoadOptions.availableCpus();
    assertThat(RestConfig.parse(List.of(), Map.of()).ioThreads()).as("the loops only do I/O").isEqualTo(Math.max(1, cpus / 2));
    assertThat(RestConfig.parse(List.of("--execution", "event-loop"), Map.of()).ioThreads()).as("the loops run the models too")
        .isEqualTo(cpus);
    assertThat(RestConfig.parse(List.of("--execution", "event-loop", "--io-threads", "3"), Map.of()).ioThreads()).isEqualTo(3);
    assertThatThrownBy(() -> RestConfig.parse(List.of("--execution", "inline"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--execution").hasMessageContaining("'inline'");
    assertThatThrownBy(() -> RestConfig.parse(List.of("--execution", "event-loop", "--batch-max-size", "32"), Map.of()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("batching");
  }
}
