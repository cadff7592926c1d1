package dev.jinfer.examples.rest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.jinfer.CallOptions;
import dev.jinfer.Deadline;
import dev.jinfer.DeadlineExceededException;
import dev.jinfer.InferenceException;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelNotFoundException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.OverloadedException;
import dev.jinfer.Predictor;
import dev.jinfer.TensorSpec;
import dev.jinfer.breaker.CircuitOpenException;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.RegistryStatus;
import dev.jinfer.registry.VersionStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.http.Outcome;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every request of the REST contract (documented in {@code examples/README.md}) and turns every failure into {@code {"error": {"code", "message"}}} with the contract's status.
 * Thread-safe: it holds no per-request state.
 */
final class RestHandler implements HttpHandler {
  private static final Logger LOG = LoggerFactory.getLogger(RestHandler.class);

  /** The request header carrying the server-side time budget in milliseconds. */
  static final String DEADLINE_HEADER = "X-Jinfer-Deadline-Ms";
  static final String LIVE_PATH = "/health/live";
  static final String READY_PATH = "/health/ready";
  static final String METRICS_PATH = "/metrics";
  static final String MODELS_PATH = "/v1/models";
  /** The root of the Open Inference Protocol (KServe v2) routes. */
  static final String V2_PATH = "/v2";
  static final String V2_LIVE_PATH = "/v2/health/live";
  static final String V2_READY_PATH = "/v2/health/ready";

  private final ModelRegistry registry;
  private final Inference inference;
  private final RestConfig config;
  private final PrometheusMeterRegistry prometheus;
  private final MeterRegistry meters;
  private final String poolThreadPrefix;
  private final ObjectMapper json = new ObjectMapper();
  /** HTTP's standard methods: any other counts as {@code OTHER} in the request timer's tags. */
  private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE");
  /** Request timers by route, then status and method: a handful of each, so the maps stay small. */
  private final Map<String, Map<Integer, Timer>> timers = new ConcurrentHashMap<>();

  RestHandler(ModelRegistry registry, Pipelines pipelines, RestConfig config, PrometheusMeterRegistry prometheus,
      String poolThreadPrefix) {
    this.registry = registry;
    this.inference = new Inference(registry, pipelines);
    this.config = config;
    this.prometheus = prometheus;
    this.meters = prometheus;
    this.poolThreadPrefix = poolThreadPrefix;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    long start = System.nanoTime();
    String route = "UNKNOWN";
    int status = 500;
    String path = exchange.getRequestURI().getRawPath();
    boolean v2 = path.equals(V2_PATH) || path.startsWith(V2_PATH + "/");
    try {
      String method = exchange.getRequestMethod();
      if (!Thread.currentThread().getName().startsWith(poolThreadPrefix) && !isProbe(path)) {
        // the HTTP executor's queue is full and the dispatcher thread runs this: answer at once, no work.
        // Probes (live, ready, metrics) are cheap and still answered, so overload never fails a liveness probe.
        throw new ApiException(503, "OVERLOADED", "the server is busy: all " + config.httpThreads()
            + " HTTP threads are working and " + config.httpQueue() + " requests are waiting; retry later", 1, null);
      }
      List<String> parts = segments(path);
      if (path.equals(LIVE_PATH)) {
        route = LIVE_PATH;
        allow(method, "GET");
        status = send(exchange, 200, g -> g.writeStringField("status", "UP"));
      } else if (path.equals(READY_PATH)) {
        route = READY_PATH;
        allow(method, "GET");
        status = ready(exchange);
      } else if (path.equals(METRICS_PATH)) {
        route = METRICS_PATH;
        allow(method, "GET");
        status = metrics(exchange);
      } else if (path.equals(MODELS_PATH) || path.equals(MODELS_PATH + "/")) {
        route = MODELS_PATH;
        allow(method, "GET");
        status = models(exchange);
      } else if (parts.size() >= 3 && parts.get(0).equals("v1") && parts.get(1).equals("models")) {
        String name = parts.get(2);
        if (parts.size() == 3) {
          route = "/v1/models/{name}";
          allow(method, "GET");
          status = model(exchange, name, null);
        } else if (parts.size() == 4 && parts.get(3).equals("predict")) {
          route = "/v1/models/{name}/predict";
          allow(method, "POST");
          status = predict(exchange, name, null, start);
        } else if (parts.size() == 5 && parts.get(3).equals("versions")) {
          route = "/v1/models/{name}/versions/{version}";
          allow(method, "GET");
          status = model(exchange, name, parts.get(4));
        } else if (parts.size() == 6 && parts.get(3).equals("versions") && parts.get(5).equals("predict")) {
          route = "/v1/models/{name}/versions/{version}/predict";
          allow(method, "POST");
          status = predict(exchange, name, parts.get(4), start);
        } else {
          throw new ApiException(404, "NOT_FOUND", "no route for " + path);
        }
      } else if (v2) {
        route = v2Route(parts);
        status = v2(exchange, method, path, parts);
      } else {
        throw new ApiException(404, "NOT_FOUND", "no route for " + path + "; routes: " + MODELS_PATH + ", " + LIVE_PATH + ", "
            + READY_PATH + ", " + METRICS_PATH);
      }
    } catch (Throwable t) {
      ApiException e = ApiException.of(t, config.breakerWait());
      status = e.status();
      if (status == 500 && !(t instanceof InferenceException)) {
        LOG.warn("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), t);
      } else if (status == 500) {
        LOG.warn("{} {} failed: {}", exchange.getRequestMethod(), exchange.getRequestURI(), t.getMessage());
      }
      try {
        if (v2) {
          route = v2Route(segments(path));
        }
        sendError(exchange, e, v2);
      } catch (IOException io) {
        LOG.debug("could not send the error response", io);
      }
      if (t instanceof Error && !(t instanceof OutOfMemoryError)) {
        throw (Error) t;
      }
    } finally {
      exchange.close();
      timer(route, exchange.getRequestMethod(), status).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * The request timer of a route, method and status, registered once and then looked up without allocating a
   * builder. Named and tagged as Micrometer's HTTP server instrumentation does ({@code http.server.requests}:
   * {@code method}, {@code uri} as a template, {@code status}, {@code outcome}), so dashboards built for
   * Spring or Micrometer's binders read it unchanged. Methods outside HTTP's standard set count as
   * {@code OTHER}, so a client cannot grow the series.
   */
  private Timer timer(String route, String method, int status) {
    int m = METHODS.indexOf(method);
    String methodTag = m < 0 ? "OTHER" : method;
    int key = status * 16 + (m + 1);
    Map<Integer, Timer> byStatus = timers.computeIfAbsent(route, r -> new ConcurrentHashMap<>());
    Timer t = byStatus.get(key);
    if (t == null) {
      t = byStatus.computeIfAbsent(key, s -> Timer.builder("http.server.requests")
          .description("HTTP requests of the REST service, from the handler's start to the response sent")
          .tag("method", methodTag)
          .tag("uri", route)
          .tag("status", Integer.toString(status))
          .tag("outcome", Outcome.forStatus(status).name())
          .register(meters));
    }
    return t;
  }

  /** The cheap routes served even when every HTTP thread is busy (on the dispatcher thread). */
  private static boolean isProbe(String path) {
    return path.equals(LIVE_PATH) || path.equals(READY_PATH) || path.equals(METRICS_PATH) || path.equals(V2_LIVE_PATH)
        || path.equals(V2_READY_PATH);
  }

  private static List<String> segments(String path) {
    List<String> out = new java.util.ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        out.add(java.net.URLDecoder.decode(s, StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static void allow(String method, String allowed) {
    if (!method.equals(allowed)) {
      throw new ApiException(405, "METHOD_NOT_ALLOWED", method + " is not allowed here; use " + allowed);
    }
  }

  private int ready(HttpExchange exchange) throws IOException {
    RegistryStatus s = registry.status();
    boolean ready = s.isReady() && !s.models().isEmpty();
    String reason = !s.isLive() ? "the model registry is not running"
        : s.models().isEmpty() ? "the repository " + registry.root() + " holds no model"
        : ready ? "every model is ready" : "some models have no ready version";
    return send(exchange, ready ? 200 : 503, g -> {
      g.writeStringField("status", ready ? "UP" : "DOWN");
      g.writeStringField("reason", reason);
      g.writeObjectFieldStart("models");
      for (ModelStatus m : s.models()) {
        g.writeObjectFieldStart(m.name());
        g.writeBooleanField("ready", m.isReady());
        g.writeStringField("version", m.servingVersion().orElse(null));
        if (m.error().isPresent()) {
          g.writeStringField("error", m.error().get());
        }
        writeVersions(g, m);
        g.writeEndObject();
      }
      g.writeEndObject();
    });
  }

  private int metrics(HttpExchange exchange) throws IOException {
    byte[] body = prometheus.scrape().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
    return 200;
  }

  private int models(HttpExchange exchange) throws IOException {
    RegistryStatus s = registry.status();
    return send(exchange, 200, g -> {
      g.writeArrayFieldStart("models");
      for (ModelStatus m : s.models()) {
        g.writeStartObject();
        g.writeStringField("name", m.name());
        g.writeBooleanField("ready", m.isReady());
        g.writeStringField("version", m.servingVersion().orElse(null));
        writeVersions(g, m);
        g.writeEndObject();
      }
      g.writeEndArray();
    });
  }

  private int model(HttpExchange exchange, String name, @Nullable String version) throws IOException {
    ModelStatus m = registry.status().model(name).orElseThrow(() -> new ModelNotFoundException("model '" + name
        + "': not in the repository " + registry.root()));
    ModelSignature signature = null;
    String serving = m.servingVersion().orElse(null);
    if (version != null || m.isReady()) {
      Pipelines.Pipeline p = inference.resolve(name, version);
      signature = p.predictor().signature();
      serving = p.id().version();
    }
    ModelSignature sig = signature;
    String v = serving;
    return send(exchange, 200, g -> {
      g.writeStringField("name", name);
      g.writeStringField("version", v);
      g.writeBooleanField("ready", m.isReady());
      writeVersions(g, m);
      g.writeObjectFieldStart("aliases");
      for (Map.Entry<String, String> a : m.aliases().entrySet()) {
        g.writeStringField(a.getKey(), a.getValue());
      }
      g.writeEndObject();
      writeSpecs(g, "inputs", sig == null ? List.of() : sig.inputs());
      writeSpecs(g, "outputs", sig == null ? List.of() : sig.outputs());
    });
  }

  /** The {@code uri} tag of a v2 path: its template, never the model name or version, so the series stay few. */
  private static String v2Route(List<String> parts) {
    if (parts.size() <= 1) {
      return V2_PATH;
    }
    if (parts.get(1).equals("health") && parts.size() == 3 && (parts.get(2).equals("live") || parts.get(2).equals("ready"))) {
      return V2_PATH + "/health/" + parts.get(2);
    }
    if (!parts.get(1).equals("models") || parts.size() < 3) {
      return "UNKNOWN";
    }
    boolean versioned = parts.size() >= 5 && parts.get(3).equals("versions");
    String base = versioned ? "/v2/models/{name}/versions/{version}" : "/v2/models/{name}";
    int rest = versioned ? 5 : 3;
    if (parts.size() == rest) {
      return base;
    }
    if (parts.size() == rest + 1 && (parts.get(rest).equals("infer") || parts.get(rest).equals("ready"))) {
      return base + "/" + parts.get(rest);
    }
    return "UNKNOWN";
  }

  /** The Open Inference Protocol's HTTP routes (see examples/README.md). */
  private int v2(HttpExchange exchange, String method, String path, List<String> parts) throws IOException {
    if (path.equals(V2_LIVE_PATH)) {
      allow(method, "GET");
      return sendEmpty(exchange, 200);
    }
    if (path.equals(V2_READY_PATH)) {
      allow(method, "GET");
      return sendEmpty(exchange, inference.isServerReady() ? 200 : 400);
    }
    if (parts.size() == 1) {
      allow(method, "GET");
      return send(exchange, 200, g -> {
        g.writeStringField("name", OipServerInfo.NAME);
        g.writeStringField("version", OipServerInfo.version());
        g.writeArrayFieldStart("extensions");
        g.writeEndArray();
      });
    }
    if (parts.size() >= 3 && parts.get(1).equals("models")) {
      String name = parts.get(2);
      String version = null;
      int rest = 3;
      if (parts.size() >= 5 && parts.get(3).equals("versions")) {
        version = parts.get(4);
        rest = 5;
      }
      if (parts.size() == rest) {
        allow(method, "GET");
        return v2Metadata(exchange, name, version);
      }
      if (parts.size() == rest + 1 && parts.get(rest).equals("ready")) {
        allow(method, "GET");
        return sendEmpty(exchange, inference.isReady(name, version) ? 200 : 400);
      }
      if (parts.size() == rest + 1 && parts.get(rest).equals("infer")) {
        allow(method, "POST");
        return v2Infer(exchange, name, version);
      }
    }
    throw new ApiException(404, "NOT_FOUND", "no route for " + path + "; v2 routes: /v2, " + V2_LIVE_PATH + ", " + V2_READY_PATH
        + ", /v2/models/{name}[/versions/{v}][/ready|/infer]");
  }

  private int v2Metadata(HttpExchange exchange, String name, @Nullable String version) throws IOException {
    Pipelines.Pipeline p = inference.resolve(name, version);
    ModelSignature sig = p.predictor().signature();
    List<String> versions = inference.readyVersions(name);
    return send(exchange, 200, g -> {
      g.writeStringField("name", name);
      g.writeArrayFieldStart("versions");
      for (String v : versions) {
        g.writeString(v);
      }
      g.writeEndArray();
      g.writeStringField("platform", OipServerInfo.PLATFORM);
      OipJson.writeMetadata(g, "inputs", sig.inputs());
      OipJson.writeMetadata(g, "outputs", sig.outputs());
    });
  }

  private int v2Infer(HttpExchange exchange, String name, @Nullable String version) throws IOException {
    Deadline deadline = deadline(exchange);
    JsonNode body = readJson(exchange);
    Inference.Result<OipJson.Request> r = inference.run(name, version, sig -> OipJson.parse(body, sig),
        (predictor, request) -> run(predictor, request.inputs(), request.outputs(), CallOptions.of(request.priority()), deadline));
    return send(exchange, 200, g -> OipJson.writeResponse(g, r.served().id().name(), r.served().id().version(), r.request().id(),
        r.outputs()));
  }

  private static int sendEmpty(HttpExchange exchange, int status) throws IOException {
    exchange.sendResponseHeaders(status, -1);
    return status;
  }

  private static void writeVersions(JsonGenerator g, ModelStatus m) throws IOException {
    g.writeArrayFieldStart("versions");
    for (VersionStatus v : m.versions()) {
      g.writeStartObject();
      g.writeStringField("version", v.version());
      g.writeStringField("state", v.state().name());
      if (v.error().isPresent()) {
        g.writeStringField("error", v.error().get());
      }
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void writeSpecs(JsonGenerator g, String field, List<TensorSpec> specs) throws IOException {
    g.writeArrayFieldStart(field);
    for (TensorSpec s : specs) {
      g.writeStartObject();
      g.writeStringField("name", s.name());
      g.writeStringField("dtype", s.dtype().name());
      g.writeArrayFieldStart("shape");
      for (long d : s.shape().toArray()) {
        g.writeNumber(d);
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private int predict(HttpExchange exchange, String name, @Nullable String version, long start) throws IOException {
    Deadline deadline = deadline(exchange);
    JsonNode body = readJson(exchange);
    Inference.Result<TensorJson.Request> r = inference.run(name, version, sig -> TensorJson.parse(body, sig),
        (predictor, request) -> run(predictor, request.inputs(), request.outputs(), CallOptions.defaults(), deadline));
    double latencyUs = (System.nanoTime() - start) / 1_000.0;
    return send(exchange, 200, g -> {
      g.writeStringField("model", r.served().id().name());
      g.writeStringField("version", r.served().id().version());
      g.writeNumberField("latency_us", Math.round(latencyUs * 10) / 10.0);
      g.writeObjectFieldStart("outputs");
      TensorJson.writeTensors(g, r.outputs());
      g.writeEndObject();
    });
  }

  /**
   * Runs the request, by its deadline if it has one: the deadline goes down the whole chain (the cache passes
   * it to the batcher, which withdraws a request still queued at the deadline and releases its caller then;
   * a batch already running completes without it), so this thread never waits past it.
   */
  private static NamedTensors run(Predictor predictor, NamedTensors inputs, List<String> outputs, CallOptions options,
      @Nullable Deadline deadline) {
    return predictor.predict(inputs, outputs, deadline == null ? options : options.withDeadline(deadline));
  }

  private static @Nullable Deadline deadline(HttpExchange exchange) {
    String h = exchange.getRequestHeaders().getFirst(DEADLINE_HEADER);
    if (h == null) {
      return null;
    }
    long ms;
    try {
      ms = Long.parseLong(h.trim());
    } catch (NumberFormatException e) {
      ms = -1;
    }
    if (ms <= 0) {
      throw ApiException.badRequest(DEADLINE_HEADER + ": expected a positive whole number of milliseconds but got '" + h + "'");
    }
    return Deadline.after(Duration.ofMillis(ms));
  }

  private JsonNode readJson(HttpExchange exchange) throws IOException {
    byte[] bytes = readBody(exchange);
    try {
      JsonNode node = json.readTree(bytes);
      if (node == null || node.isMissingNode()) {
        throw ApiException.badRequest("request body: expected a JSON object but the body is empty");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("malformed JSON: " + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr()
          + ", column " + e.getLocation().getColumnNr());
    }
  }

  /**
   * Reads the body, refusing (413) as soon as it is known to exceed the limit: from its Content-Length, or
   * while reading. Nothing past the limit is kept: the rest of an oversized body is read and dropped (up to
   * {@link #DISCARD_CAP} bytes) so that the client, still sending, gets the 413 instead of a reset connection.
   */
  private byte[] readBody(HttpExchange exchange) throws IOException {
    long limit = config.bodyLimitBytes();
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    InputStream in = exchange.getRequestBody();
    if (declared != null) {
      long length;
      try {
        length = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("Content-Length: expected a number but got '" + declared + "'");
      }
      if (length > limit) {
        discard(in);
        throw tooLarge("its Content-Length is " + length);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    long total = 0;
    for (int n; (n = in.read(buf)) > 0;) {
      total += n;
      if (total > limit) {
        discard(in);
        throw tooLarge("more than that was sent");
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /**
   * Most bytes of an oversized body read and dropped before the 413 (which carries {@code Connection: close});
   * past it the connection is closed instead. Small, so that slow oversized uploads cannot hold HTTP threads.
   */
  static final long DISCARD_CAP = 1L << 20;

  private static void discard(InputStream in) throws IOException {
    byte[] buf = new byte[16384];
    long dropped = 0;
    for (int n; dropped < DISCARD_CAP && (n = in.read(buf)) > 0;) {
      dropped += n;
    }
  }

  private ApiException tooLarge(String why) {
    return new ApiException(413, "PAYLOAD_TOO_LARGE", "request body: the limit is " + config.bodyLimitBytes() + " bytes but " + why);
  }

  private void sendError(HttpExchange exchange, ApiException e, boolean v2) throws IOException {
    if (e.retryAfterSeconds() >= 0) {
      exchange.getResponseHeaders().set("Retry-After", Long.toString(e.retryAfterSeconds()));
    }
    if (e.status() == 413) {
      exchange.getResponseHeaders().set("Connection", "close");
    }
    if (e.status() == 405) {
      exchange.getResponseHeaders().set("Allow", e.getMessage().substring(e.getMessage().lastIndexOf(' ') + 1));
    }
    if (v2) { // the protocol's error body: {"error": "message"}
      send(exchange, e.status(), g -> g.writeStringField("error", e.getMessage()));
      return;
    }
    send(exchange, e.status(), g -> {
      g.writeObjectFieldStart("error");
      g.writeStringField("code", e.code());
      g.writeStringField("message", e.getMessage());
      g.writeEndObject();
    });
  }

  /** Writes the fields of one JSON object. */
  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private int send(HttpExchange exchange, int status, Body body) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
    try (JsonGenerator g = json.getFactory().createGenerator(buf)) {
      g.writeStartObject();
      body.write(g);
      g.writeEndObject();
    }
    byte[] bytes = buf.toByteArray();
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
    return status;
  }
}
