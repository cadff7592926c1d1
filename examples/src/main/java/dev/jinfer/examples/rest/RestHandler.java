package dev.jinfer.examples.rest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every request of the REST contract (documented in {@code examples/README.md}) and turns every failure into {@code {"error": {"code", "message"}}} with the contract's status.
 * Thread-safe: it holds no per-request state.
 */
final class RestHandler {
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
  private static final AsciiString PROMETHEUS = AsciiString.cached("text/plain; version=0.0.4; charset=utf-8");

  private final ModelRegistry registry;
  private final Inference inference;
  private final RestConfig config;
  private final PrometheusMeterRegistry prometheus;
  private final MeterRegistry meters;
  private final ObjectMapper json = mapper();
  /** HTTP's standard methods: any other counts as {@code OTHER} in the request timer's tags. */
  private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE");
  /**
   * Request timers by route, then by status (100-599) and method (an index into {@link #METHODS}, or
   * {@code OTHER}), in an array so that a lookup boxes nothing.
   */
  private final Map<String, AtomicReferenceArray<Timer>> timers = new ConcurrentHashMap<>();

  RestHandler(ModelRegistry registry, Pipelines pipelines, RestConfig config, PrometheusMeterRegistry prometheus) {
    this.registry = registry;
    this.inference = new Inference(registry, pipelines);
    this.config = config;
    this.prometheus = prometheus;
    this.meters = prometheus;
  }

  /**
   * Answers one complete request; never throws (every failure becomes the contract's error answer).
   *
   * @param call the request
   */
  void handle(HttpCall call) {
    long start = call.startNanos();
    String route = "UNKNOWN";
    int status = 500;
    String path = call.rawPath();
    boolean v2 = path.equals(V2_PATH) || path.startsWith(V2_PATH + "/");
    try {
      String method = call.method();
      // the two inference routes, recognised without splitting the path (the name is the one string they need)
      String hot = hotName(path, "/v1/models/", "/predict");
      boolean hotV1 = hot != null;
      if (!hotV1) {
        hot = hotName(path, "/v2/models/", "/infer");
      }
      List<String> parts = hot != null ? List.of() : segments(path);
      if (hot != null && hotV1) {
        route = "/v1/models/{name}/predict";
        allow(method, "POST");
        status = predict(call, hot, null, start);
      } else if (hot != null) {
        route = "/v2/models/{name}/infer";
        allow(method, "POST");
        status = v2Infer(call, hot, null);
      } else if (path.equals(LIVE_PATH)) {
        route = LIVE_PATH;
        allow(method, "GET");
        status = send(call, 200, g -> g.writeStringField("status", "UP"));
      } else if (path.equals(READY_PATH)) {
        route = READY_PATH;
        allow(method, "GET");
        status = ready(call);
      } else if (path.equals(METRICS_PATH)) {
        route = METRICS_PATH;
        allow(method, "GET");
        status = metrics(call);
      } else if (path.equals(MODELS_PATH) || path.equals(MODELS_PATH + "/")) {
        route = MODELS_PATH;
        allow(method, "GET");
        status = models(call);
      } else if (parts.size() >= 3 && parts.get(0).equals("v1") && parts.get(1).equals("models")) {
        String name = parts.get(2);
        if (parts.size() == 3) {
          route = "/v1/models/{name}";
          allow(method, "GET");
          status = model(call, name, null);
        } else if (parts.size() == 4 && parts.get(3).equals("predict")) {
          route = "/v1/models/{name}/predict";
          allow(method, "POST");
          status = predict(call, name, null, start);
        } else if (parts.size() == 5 && parts.get(3).equals("versions")) {
          route = "/v1/models/{name}/versions/{version}";
          allow(method, "GET");
          status = model(call, name, parts.get(4));
        } else if (parts.size() == 6 && parts.get(3).equals("versions") && parts.get(5).equals("predict")) {
          route = "/v1/models/{name}/versions/{version}/predict";
          allow(method, "POST");
          status = predict(call, name, parts.get(4), start);
        } else {
          throw new ApiException(404, "NOT_FOUND", "no route for " + path);
        }
      } else if (v2) {
        route = v2Route(parts);
        status = v2(call, method, path, parts);
      } else {
        throw new ApiException(404, "NOT_FOUND", "no route for " + path + "; routes: " + MODELS_PATH + ", " + LIVE_PATH + ", "
            + READY_PATH + ", " + METRICS_PATH);
      }
    } catch (Throwable t) {
      ApiException e = ApiException.of(t, config.breakerWait());
      if (call.isClientGone()) {
        status = CLIENT_GONE; // the client closed its connection while its request ran: not a server error, no trace
        LOG.debug("{} {}: the client went away before the answer ({})", call.method(), call.uri(), t.toString());
      } else {
        status = e.status();
        if (status == 500 && !(t instanceof InferenceException)) {
          LOG.warn("{} {} failed", call.method(), ApiException.brief(call.uri(), 200), t);
        } else if (status == 500) {
          LOG.warn("{} {} failed: {}", call.method(), ApiException.brief(call.uri(), 200), ApiException.brief(t.getMessage(), 500));
        }
        if (v2) {
          route = v2Route(segments(path));
        }
        if (!sendError(call, e, v2, false)) {
          status = CLIENT_GONE;
        }
      }
      if (t instanceof Error && !(t instanceof OutOfMemoryError)) {
        throw (Error) t;
      }
    } finally {
      timer(route, call.method(), status).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * The {@code status} tag of a request whose client closed the connection before its answer (nginx's 499):
   * counted apart from the server's errors.
   */
  static final int CLIENT_GONE = 499;

  /**
   * Answers a request refused before it ran (413, 408, a malformed request, 503 when every request thread
   * is busy), with the contract's error body, and records it.
   *
   * @param call the request
   * @param e the refusal
   * @param close whether to close the connection after the answer
   */
  void reject(HttpCall call, ApiException e, boolean close) {
    String path = call.rawPath();
    boolean v2 = path.equals(V2_PATH) || path.startsWith(V2_PATH + "/");
    int status = e.status();
    try {
      if (!sendError(call, e, v2, close)) {
        status = CLIENT_GONE;
      }
    } catch (RuntimeException x) {
      LOG.debug("could not refuse {} {}: {}", call.method(), call.uri(), x.toString());
    }
    String route = v2 ? v2Route(segments(path)) : v1Route(segments(path));
    timer(route, call.method(), status).record(System.nanoTime() - call.startNanos(), TimeUnit.NANOSECONDS);
  }

  /** The {@code uri} tag of a {@code /v1} or probe path, for requests refused before routing. */
  private static String v1Route(List<String> parts) {
    String path = "/" + String.join("/", parts);
    if (isProbe(path) || path.equals(MODELS_PATH)) {
      return path;
    }
    if (parts.size() >= 3 && parts.get(0).equals("v1") && parts.get(1).equals("models")) {
      boolean predict = parts.get(parts.size() - 1).equals("predict");
      if (parts.size() == 3 || parts.size() == 4 && predict) {
        return "/v1/models/{name}" + (predict ? "/predict" : "");
      }
      if ((parts.size() == 5 || parts.size() == 6 && predict) && parts.get(3).equals("versions")) {
        return "/v1/models/{name}/versions/{version}" + (predict ? "/predict" : "");
      }
    }
    return "UNKNOWN";
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
    int slot = status >= 100 && status <= 599 ? (status - 100) * (METHODS.size() + 1) + (m + 1) : -1;
    AtomicReferenceArray<Timer> byStatus = timers.computeIfAbsent(route, r -> new AtomicReferenceArray<>(500 * (METHODS.size() + 1)));
    Timer t = slot < 0 ? null : byStatus.get(slot);
    if (t == null) {
      // registering is idempotent (Micrometer returns the meter already registered with the same name and tags)
      t = Timer.builder("http.server.requests")
          .description("HTTP requests of the REST service, from the handler's start to the response sent")
          .tag("method", methodTag)
          .tag("uri", route)
          .tag("status", Integer.toString(status))
          .tag("outcome", Outcome.forStatus(status).name())
          .register(meters);
      if (slot >= 0) {
        byStatus.set(slot, t);
      }
    }
    return t;
  }

  /** The cheap routes the event loop answers itself, so that they never wait for (or on) a request thread. */
  static boolean isProbe(String path) {
    return path.equals(LIVE_PATH) || path.equals(READY_PATH) || path.equals(METRICS_PATH) || path.equals(V2_LIVE_PATH)
        || path.equals(V2_READY_PATH);
  }

  /**
   * The model name of {@code prefix + name + suffix}, where the name is one plain segment (no slash, nothing
   * percent-encoded), without splitting the path; null for any other path, which the general routing then reads.
   */
  private static @Nullable String hotName(String path, String prefix, String suffix) {
    int from = prefix.length();
    int to = path.length() - suffix.length();
    if (to <= from || !path.startsWith(prefix) || !path.endsWith(suffix)) {
      return null;
    }
    for (int i = from; i < to; i++) {
      char c = path.charAt(i);
      if (c == '/' || c == '%' || c == '+') {
        return null;
      }
    }
    return path.substring(from, to);
  }

  private static List<String> segments(String path) {
    List<String> out = new java.util.ArrayList<>(8);
    boolean encoded = path.indexOf('%') >= 0 || path.indexOf('+') >= 0;
    int start = 0;
    for (int i = 0; i <= path.length(); i++) {
      if (i == path.length() || path.charAt(i) == '/') {
        if (i > start) {
          String s = path.substring(start, i);
          // only when there is something to decode: the decoder allocates a builder for every segment
          out.add(encoded ? java.net.URLDecoder.decode(s, StandardCharsets.UTF_8) : s);
        }
        start = i + 1;
      }
    }
    return out;
  }

  private static void allow(String method, String allowed) {
    if (!method.equals(allowed)) {
      throw new ApiException(405, "METHOD_NOT_ALLOWED", method + " is not allowed here; use " + allowed);
    }
  }

  private int ready(HttpCall call) throws IOException {
    RegistryStatus s = registry.status();
    boolean ready = s.isReady() && !s.models().isEmpty();
    String reason = !s.isLive() ? "the model registry is not running"
        : s.models().isEmpty() ? "the repository " + registry.repository() + " holds no model"
        : ready ? "every model is ready" : "some models have no ready version";
    return send(call, ready ? 200 : 503, g -> {
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

  private int metrics(HttpCall call) {
    ByteBuf body = ByteBufUtil.writeUtf8(call.alloc(), prometheus.scrape());
    return call.respond(200, PROMETHEUS, body, null, false) ? 200 : CLIENT_GONE;
  }

  private int models(HttpCall call) throws IOException {
    RegistryStatus s = registry.status();
    return send(call, 200, g -> {
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

  private int model(HttpCall call, String name, @Nullable String version) throws IOException {
    ModelStatus m = registry.status().model(name).orElseThrow(() -> new ModelNotFoundException("model '" + name
        + "': not in the repository " + registry.repository()));
    ModelSignature signature = null;
    String serving = m.servingVersion().orElse(null);
    if (version != null || m.isReady()) {
      Pipelines.Pipeline p = inference.resolve(name, version);
      signature = p.predictor().signature();
      serving = p.id().version();
    }
    ModelSignature sig = signature;
    String v = serving;
    return send(call, 200, g -> {
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
      return parts.get(2).equals("live") ? V2_LIVE_PATH : V2_READY_PATH;
    }
    if (!parts.get(1).equals("models") || parts.size() < 3) {
      return "UNKNOWN";
    }
    boolean versioned = parts.size() >= 5 && parts.get(3).equals("versions");
    int rest = versioned ? 5 : 3;
    if (parts.size() == rest) {
      return versioned ? "/v2/models/{name}/versions/{version}" : "/v2/models/{name}";
    }
    if (parts.size() == rest + 1 && parts.get(rest).equals("infer")) {
      return versioned ? "/v2/models/{name}/versions/{version}/infer" : "/v2/models/{name}/infer";
    }
    if (parts.size() == rest + 1 && parts.get(rest).equals("ready")) {
      return versioned ? "/v2/models/{name}/versions/{version}/ready" : "/v2/models/{name}/ready";
    }
    return "UNKNOWN";
  }

  /** The Open Inference Protocol's HTTP routes (see examples/README.md). */
  private int v2(HttpCall call, String method, String path, List<String> parts) throws IOException {
    if (path.equals(V2_LIVE_PATH)) {
      allow(method, "GET");
      return sendEmpty(call, 200);
    }
    if (path.equals(V2_READY_PATH)) {
      allow(method, "GET");
      return sendEmpty(call, inference.isServerReady() ? 200 : 400);
    }
    if (parts.size() == 1) {
      allow(method, "GET");
      return send(call, 200, g -> {
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
        return v2Metadata(call, name, version);
      }
      if (parts.size() == rest + 1 && parts.get(rest).equals("ready")) {
        allow(method, "GET");
        return sendEmpty(call, inference.isReady(name, version) ? 200 : 400);
      }
      if (parts.size() == rest + 1 && parts.get(rest).equals("infer")) {
        allow(method, "POST");
        return v2Infer(call, name, version);
      }
    }
    throw new ApiException(404, "NOT_FOUND", "no route for " + path + "; v2 routes: /v2, " + V2_LIVE_PATH + ", " + V2_READY_PATH
        + ", /v2/models/{name}[/versions/{v}][/ready|/infer]");
  }

  private int v2Metadata(HttpCall call, String name, @Nullable String version) throws IOException {
    Pipelines.Pipeline p = inference.resolve(name, version);
    ModelSignature sig = p.predictor().signature();
    List<VersionStatus> versions = inference.readyVersionStatus(name);
    return send(call, 200, g -> {
      g.writeStringField("name", name);
      g.writeArrayFieldStart("versions");
      for (VersionStatus v : versions) {
        g.writeString(v.version());
      }
      g.writeEndArray();
      g.writeObjectFieldStart("jinfer_sources"); // an extension: the protocol's metadata has no field for it
      for (VersionStatus v : versions) {
        g.writeStringField(v.version(), v.source());
      }
      g.writeEndObject();
      g.writeStringField("platform", OipServerInfo.PLATFORM);
      OipJson.writeMetadata(g, "inputs", sig.inputs());
      OipJson.writeMetadata(g, "outputs", sig.outputs());
    });
  }

  private int v2Infer(HttpCall call, String name, @Nullable String version) throws IOException {
    Deadline deadline = deadline(call);
    JsonFastPath.V2 fast = JsonFastPath.v2(json.getFactory(), call.body()); // the common request, without a tree
    JsonNode body = fast == null ? readJson(call) : null;
    Inference.Result<OipJson.Request> r = inference.run(name, version, sig -> {
          OipJson.Request q = fast == null ? null : fast.toRequest(sig);
          return q != null ? q : OipJson.parse(body != null ? body : tree(call), sig);
        },
        (predictor, request) -> run(predictor, request.inputs(), request.outputs(), CallOptions.of(request.priority()), deadline));
    return send(call, 200, g -> OipJson.writeResponse(g, r.served().id().name(), r.served().id().version(), r.request().id(),
        r.outputs()));
  }

  private static int sendEmpty(HttpCall call, int status) {
    return call.respond(status, null, Unpooled.EMPTY_BUFFER, null, false) ? status : CLIENT_GONE;
  }

  private static void writeVersions(JsonGenerator g, ModelStatus m) throws IOException {
    g.writeArrayFieldStart("versions");
    for (VersionStatus v : m.versions()) {
      g.writeStartObject();
      g.writeStringField("version", v.version());
      g.writeStringField("state", v.state().name());
      g.writeStringField("source", v.source());
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

  private int predict(HttpCall call, String name, @Nullable String version, long start) throws IOException {
    Deadline deadline = deadline(call);
    JsonFastPath.V1 fast = JsonFastPath.v1(json.getFactory(), call.body()); // the common request, without a tree
    JsonNode body = fast == null ? readJson(call) : null;
    Inference.Result<TensorJson.Request> r = inference.run(name, version, sig -> {
          TensorJson.Request q = fast == null ? null : fast.toRequest(sig);
          return q != null ? q : TensorJson.parse(body != null ? body : tree(call), sig);
        },
        (predictor, request) -> run(predictor, request.inputs(), request.outputs(), CallOptions.defaults(), deadline));
    double latencyUs = (System.nanoTime() - start) / 1_000.0;
    return send(call, 200, g -> {
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

  private static @Nullable Deadline deadline(HttpCall call) {
    String h = call.header(DEADLINE_HEADER);
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

  /**
   * The body as a tree, for a request the fast path left to the tree-based parsers (it judges the rest).
   *
   * @throws ApiException 400 for malformed JSON
   */
  private JsonNode tree(HttpCall call) {
    try {
      return readJson(call);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private JsonNode readJson(HttpCall call) throws IOException {
    ByteBuf body = call.body();
    try {
      JsonNode node = body.hasArray() ? json.readTree(body.array(), body.arrayOffset() + body.readerIndex(), body.readableBytes())
          : json.readTree(new ByteBufInputStream(body));
      if (node == null || node.isMissingNode()) {
        throw ApiException.badRequest("request body: expected a JSON object but the body is empty");
      }
      return node;
    } catch (StreamConstraintsException e) {
      throw ApiException.badRequest("request body: " + limitBroken(e));
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw ApiException.badRequest("malformed JSON: " + ApiException.brief(e.getOriginalMessage(), 300)
          + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
    }
  }

  /** The deepest nesting of JSON arrays and objects a request may have: a tensor of rank 30 in the v2 envelope. */
  static final int MAX_JSON_DEPTH = 32;
  /** The most characters a JSON number may have: a double's shortest form takes 24, an INT64 20. */
  static final int MAX_JSON_NUMBER_LENGTH = 64;

  private static String limitBroken(StreamConstraintsException e) {
    String m = String.valueOf(e.getOriginalMessage());
    if (m.contains("nesting depth")) {
      return "JSON nested deeper than the limit of " + MAX_JSON_DEPTH + " levels of arrays and objects";
    }
    if (m.contains("Number value length")) {
      return "a JSON number longer than the limit of " + MAX_JSON_NUMBER_LENGTH + " characters";
    }
    return "refused by the JSON limits: " + ApiException.brief(m, 300);
  }

  private static ObjectMapper mapper() {
    // the fast double parser (exact, as Double.parseDouble) allocates less per number than the JDK's FloatingDecimal
    JsonFactory f = JsonFactory.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_JSON_DEPTH)
        .maxNumberLength(MAX_JSON_NUMBER_LENGTH).build()).build();
    return new ObjectMapper(f);
  }

  /**
   * Sends the error answer: {@code {"error": {"code", "message"}}} on {@code /v1}, the protocol's
   * {@code {"error": "message"}} on {@code /v2}; messages longer than {@link ApiException#MAX_MESSAGE} are cut.
   *
   * @return false when the client had gone
   */
  private boolean sendError(HttpCall call, ApiException e, boolean v2, boolean close) {
    HttpHeaders headers = new DefaultHttpHeaders();
    if (e.retryAfterSeconds() >= 0) {
      headers.set(HttpHeaderNames.RETRY_AFTER, Long.toString(e.retryAfterSeconds()));
    }
    boolean closing = close || e.status() == 413;
    if (e.status() == 405) {
      headers.set(HttpHeaderNames.ALLOW, e.getMessage().substring(e.getMessage().lastIndexOf(' ') + 1));
    }
    String message = ApiException.brief(e.getMessage(), ApiException.MAX_MESSAGE);
    try {
      if (v2) { // the protocol's error body: {"error": "message"}
        return send(call, e.status(), g -> g.writeStringField("error", message), headers, closing) != CLIENT_GONE;
      }
      return send(call, e.status(), g -> {
        g.writeObjectFieldStart("error");
        g.writeStringField("code", e.code());
        g.writeStringField("message", message);
        g.writeEndObject();
      }, headers, closing) != CLIENT_GONE;
    } catch (IOException io) {
      throw new UncheckedIOException(io);
    }
  }

  /** Writes the fields of one JSON object. */
  private int send(HttpCall call, int status, JsonOut.Body body) throws IOException {
    return send(call, status, body, null, false);
  }

  private int send(HttpCall call, int status, JsonOut.Body body, @Nullable HttpHeaders headers, boolean close) throws IOException {
    ByteBuf buf = call.alloc().buffer(256);
    boolean sent = false;
    try {
      JsonOut.writeObject(json.getFactory(), buf, body);
      sent = true;
      return call.respondJson(status, buf, headers, close) ? status : CLIENT_GONE;
    } finally {
      if (!sent) {
        buf.release();
      }
    }
  }
}
