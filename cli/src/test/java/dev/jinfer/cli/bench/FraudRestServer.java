package dev.jinfer.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jinfer.DType;
import dev.jinfer.InferenceException;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small server for the REST wire contract's model endpoints, running the real fraud model through jinfer:
 * {@code GET /v1/models/fraud} and {@code POST /v1/models/fraud[/versions/1]/predict} with FLOAT32 named
 * tensors. With {@code failEvery = n}, every n-th predict answers 429 OVERLOADED instead, so tests can see
 * error statuses counted. Closing stops the server and closes the model.
 */
final class FraudRestServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Model model;
  private final Predictor predictor;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(4);
  private final int failEvery;
  private final AtomicLong predictCalls = new AtomicLong();
  private final AtomicLong predictions = new AtomicLong();

  FraudRestServer(Path fraudOnnx, int failEvery) throws IOException {
    this.model = Model.load(fraudOnnx);
    this.predictor = model.predictor();
    this.failEvery = failEvery;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/models/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Requests the model really ran. */
  long predictions() {
    return predictions.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getPath();
      if (ex.getRequestMethod().equals("GET") && path.equals("/v1/models/fraud")) {
        send(ex, 200, describe());
      } else if (ex.getRequestMethod().equals("POST")
          && (path.equals("/v1/models/fraud/predict") || path.equals("/v1/models/fraud/versions/1/predict"))) {
        predict(ex);
      } else if (path.startsWith("/v1/models/fraud/versions/")) {
        send(ex, 404, error("MODEL_NOT_FOUND", "model 'fraud' has no version in " + path));
      } else {
        send(ex, 404, error("MODEL_NOT_FOUND", "no model at " + path));
      }
    } finally {
      ex.close();
    }
  }

  private ObjectNode describe() {
    ObjectNode root = JSON.createObjectNode();
    root.put("name", "fraud");
    root.put("version", "1");
    root.putArray("versions").add("1");
    root.putObject("aliases");
    specs(root.putArray("inputs"), model.signature().inputs());
    specs(root.putArray("outputs"), model.signature().outputs());
    return root;
  }

  private static void specs(ArrayNode into, java.util.List<TensorSpec> specs) {
    for (TensorSpec s : specs) {
      ObjectNode n = into.addObject();
      n.put("name", s.name());
      n.put("dtype", s.dtype().name());
      ArrayNode shape = n.putArray("shape");
      for (long d : s.shape().toArray()) {
        shape.add(d);
      }
    }
  }

  private void predict(HttpExchange ex) throws IOException {
    if (failEvery > 0 && predictCalls.incrementAndGet() % failEvery == 0) {
      ex.getResponseHeaders().add("Retry-After", "1");
      send(ex, 429, error("OVERLOADED", "the test server sheds every " + failEvery + "th request"));
      return;
    }
    NamedTensors in;
    try (InputStream body = ex.getRequestBody()) {
      JsonNode root = JSON.readTree(body);
      NamedTensors.Builder b = NamedTensors.newBuilder();
      for (Map.Entry<String, JsonNode> e : root.path("inputs").properties()) {
        JsonNode t = e.getValue();
        JsonNode shapeNode = t.path("shape");
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = shapeNode.get(i).asLong();
        }
        if (!t.path("dtype").asText("FLOAT32").equals(DType.FLOAT32.name())) {
          send(ex, 400, error("INVALID_INPUT", "this test server takes FLOAT32 only"));
          return;
        }
        JsonNode data = t.path("data");
        float[] v = new float[data.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) data.get(i).asDouble();
        }
        b.put(e.getKey(), Tensor.ofFloats(v, shape));
      }
      in = b.build();
    } catch (IOException | InferenceException e) {
      send(ex, 400, error("INVALID_INPUT", String.valueOf(e.getMessage())));
      return;
    }
    NamedTensors out;
    long start = System.nanoTime();
    try {
      out = predictor.predict(in);
    } catch (InferenceException e) {
      send(ex, e.code() == dev.jinfer.ErrorCode.INVALID_INPUT ? 400 : 500, error(e.code().name(), e.getMessage()));
      return;
    }
    predictions.incrementAndGet();
    ObjectNode root = JSON.createObjectNode();
    root.put("model", "fraud");
    root.put("version", "1");
    root.put("latency_us", (System.nanoTime() - start) / 1e3);
    ObjectNode outputs = root.putObject("outputs");
    for (Map.Entry<String, Tensor> e : out) {
      ObjectNode n = outputs.putObject(e.getKey());
      n.put("dtype", e.getValue().dtype().name());
      ArrayNode shape = n.putArray("shape");
      for (long d : e.getValue().shape().toArray()) {
        shape.add(d);
      }
      ArrayNode data = n.putArray("data");
      for (float f : e.getValue().toFloatArray()) {
        data.add(f);
      }
    }
    send(ex, 200, root);
  }

  private static ObjectNode error(String code, String message) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode e = root.putObject("error");
    e.put("code", code);
    e.put("message", message);
    return root;
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    model.close();
  }
}
