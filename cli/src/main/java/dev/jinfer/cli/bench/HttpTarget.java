package dev.jinfer.cli.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.cli.exit.ExitCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A jinfer REST service (the examples module's {@code dev.jinfer.examples.rest.RestService}; its wire contract
 * is in examples/README.md, section "rest-service") over one of its two HTTP APIs. {@link Protocol#V1}: the
 * signature comes from {@code GET /v1/models/{name}}, each request is a {@code POST} of the named-tensor JSON
 * form to {@code /v1/models/{name}/predict} (or {@code .../versions/{v}/predict}). {@link Protocol#V2}, the
 * Open Inference Protocol (KServe v2) that Triton, KServe and MLServer speak too: the signature comes from
 * {@code GET /v2/models/{name}[/versions/{v}]}, each request is a {@code POST} of the protocol's inference
 * request to {@code .../infer}. A 2xx answer is a success; any other status is counted as
 * {@code HTTP <status> <error.code>} ({@code /v1}) or {@code HTTP <status>} ({@code /v2}, whose error body has
 * no code), a connection failure as {@code IO <exception>}, a client timeout as {@code TIMEOUT}.
 *
 * <p>Closed loops are event-driven ({@link #prepareAsync}, for {@code http://}): each client has an HTTP/1.1 keep-alive
 * {@link AsyncHttpConnection} of its own (as wrk keeps one per connection it was given), all of them on one shared
 * Netty event loop thread, and each answer's callback sends that client's next request, encoded in full beforehand;
 * the tool needs no thread per client, which on a machine of few cores competed with the service for the CPU. Open
 * loops (and {@code https://}) send each request over a blocking {@link HttpConnection} of its own while it is in
 * flight (a pool as large as the number of requests in flight at once), written from a request prepared in full
 * and read on the calling thread. Both classify outcomes alike. Thread-safe.
 */
final class HttpTarget implements LoadTarget {
  private static final ObjectMapper JSON = new ObjectMapper();
  // how often the watchdog looks for requests past the timeout (at most a tenth of the timeout)
  private static final long WATCH_MILLIS = 20;
  // the event-driven path's transport: Linux's native epoll where it loads (fewer system calls and no JDK selector
  // between), else NIO; -Dio.netty.transport.noNative=true forces NIO
  private static final boolean EPOLL = Epoll.isAvailable();

  /** The service's HTTP API a target speaks. */
  enum Protocol {
    /** jinfer's own {@code /v1} API */
    V1,
    /** the Open Inference Protocol's {@code /v2} HTTP/JSON API */
    V2
  }

  private final Protocol protocol;
  private final URI base;
  private final String model;
  private final URI predictUri;
  private final ModelSignature signature;
  private final String servedVersion;
  private final int timeoutMillis;
  private final @Nullable Duration deadline;
  // idle connections, the last used first; all: every connection made, closed by close()
  private final ConcurrentLinkedDeque<HttpConnection> idle = new ConcurrentLinkedDeque<>();
  private final Set<HttpConnection> all = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;
  // the event-driven closed loop (prepareAsync): a connection per client on one shared event loop, made on first use;
  // the requests prepared for it, released by close()
  private final Map<Integer, AsyncHttpConnection> clients = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<ByteBuf> prepared = new ConcurrentLinkedQueue<>();
  private @Nullable EventLoopGroup eventLoop; // guarded by this
  // ends requests past their time limit (HttpConnection.expireIfOverdue), so that reads need no socket timeout
  private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "jinfer-bench-http-watchdog");
    t.setDaemon(true);
    return t;
  });

  private HttpTarget(Protocol protocol, URI base, String model, URI predictUri, ModelSignature signature,
      String servedVersion, Duration timeout, @Nullable Duration deadline) {
    this.protocol = protocol;
    this.base = base;
    this.model = model;
    this.predictUri = predictUri;
    this.signature = signature;
    this.servedVersion = servedVersion;
    this.timeoutMillis = millis(timeout);
    this.deadline = deadline;
    long every = Math.max(1, Math.min(WATCH_MILLIS, timeoutMillis / 10));
    watchdog.scheduleWithFixedDelay(() -> {
      long now = System.nanoTime();
      all.forEach(c -> c.expireIfOverdue(now));
    }, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Connects: checks the URL, fetches the model's description and reads its signature.
   *
   * @param url {@code http://host:port} (a path prefix is kept)
   * @param protocol the API to speak
   * @param model the model's name in the service
   * @param version a version number or alias, or null for the serving version
   * @param timeout the client-side time limit of each request
   * @param deadline the server-side budget sent as {@code X-Jinfer-Deadline-Ms}, or null
   * @return the target
   * @throws BenchException usage for a malformed URL, I/O when the service cannot be reached, model load
   *     when the service does not know the model or describes it in an unexpected way
   */
  static HttpTarget connect(String url, Protocol protocol, String model, @Nullable String version, Duration timeout,
      @Nullable Duration deadline) {
    URI base = baseUri(url);
    boolean v2 = protocol == Protocol.V2;
    String modelPath = (v2 ? "/v2/models/" : "/v1/models/") + segment(model)
        + (v2 && version != null ? "/versions/" + segment(version) : "");
    URI describe = base.resolve(base.getPath() + modelPath);
    int status;
    String answer;
    try (HttpConnection connection = connection(base, millis(timeout), false)) {
      status = connection.exchange(HttpConnection.encode("GET", describe.getRawPath(), hostHeader(base), null), true);
      answer = new String(connection.body(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BenchException(ExitCode.IO, "--url " + url + ": expected a jinfer service but GET " + describe
          + " failed: " + e, e);
    }
    if (status == 404) {
      throw new BenchException(ExitCode.MODEL_LOAD, "model '" + model + "': expected the service at " + url
          + " to serve it but GET " + describe + " answered 404" + errorSuffix(answer));
    }
    if (status / 100 != 2) {
      throw new BenchException(ExitCode.MODEL_LOAD, "model '" + model + "': expected its description but GET "
          + describe + " answered " + status + errorSuffix(answer));
    }
    ModelSignature signature;
    String served;
    try {
      JsonNode root = JSON.readTree(answer);
      signature = ModelSignature.of(specs(root, "inputs", v2), specs(root, "outputs", v2));
      served = v2 ? "serving" : root.path("version").asText("?");
    } catch (JsonProcessingException | IllegalArgumentException | dev.jinfer.InvalidInputException e) {
      throw new BenchException(ExitCode.MODEL_LOAD, "model '" + model + "': expected a model description"
          + (v2 ? " {\"inputs\": [{\"name\", \"datatype\", \"shape\"}], ...}" : " {\"inputs\": [{\"name\", \"dtype\", \"shape\"}], ...}")
          + " from GET " + describe + " but: " + e.getMessage(), e);
    }
    String predictPath = v2 ? modelPath + "/infer" : version == null ? modelPath + "/predict"
        : modelPath + "/versions/" + segment(version) + "/predict";
    return new HttpTarget(protocol, base, model, base.resolve(base.getPath() + predictPath), signature,
        version == null ? served : version, timeout, deadline);
  }

  private static int millis(Duration d) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
  }

  private static HttpConnection connection(URI base, int timeoutMillis, boolean watched) {
    return new HttpConnection(base.getHost(), port(base), base.getScheme().equalsIgnoreCase("https"), timeoutMillis,
        watched);
  }

  private static String hostHeader(URI base) {
    return base.getPort() >= 0 ? base.getHost() + ":" + base.getPort() : base.getHost();
  }

  private static URI baseUri(String url) {
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw BenchException.usage("--url: expected http://host:port but got '" + url + "' (" + e.getReason() + ")");
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https")) || uri.getHost() == null) {
      throw BenchException.usage("--url: expected http://host:port (or https://) but got '" + url + "'");
    }
    if (uri.getQuery() != null || uri.getFragment() != null) {
      throw BenchException.usage("--url: expected http://host:port without a query or fragment but got '" + url + "'");
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    try {
      return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), path, null, null);
    } catch (URISyntaxException e) {
      throw BenchException.usage("--url: expected http://host:port but got '" + url + "' (" + e.getReason() + ")");
    }
  }

  private static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static List<TensorSpec> specs(JsonNode root, String field, boolean v2) {
    JsonNode list = root.get(field);
    if (list == null || !list.isArray()) {
      throw new IllegalArgumentException("no '" + field + "' array");
    }
    List<TensorSpec> specs = new ArrayList<>();
    for (JsonNode n : list) {
      String name = n.path("name").asText("");
      String dtype = n.path(v2 ? "datatype" : "dtype").asText("");
      JsonNode shape = n.get("shape");
      if (name.isEmpty() || dtype.isEmpty() || shape == null || !shape.isArray()) {
        throw new IllegalArgumentException("'" + field + "' entry " + n + " lacks a name, " + (v2 ? "datatype" : "dtype") + " or shape");
      }
      long[] dims = new long[shape.size()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = shape.get(i).asLong();
      }
      DType type = v2 ? OipTypes.dtype(dtype) : DType.valueOf(dtype);
      if (type == null) {
        throw new IllegalArgumentException("'" + field + "' entry '" + name + "' has datatype " + dtype + ", which jinfer has no tensor type for");
      }
      specs.add(TensorSpec.of(name, type, dims));
    }
    return specs;
  }

  private static String errorSuffix(String body) {
    try {
      JsonNode error = JSON.readTree(body).path("error");
      if (error.isObject()) {
        return " (" + error.path("code").asText("?") + ": " + error.path("message").asText("") + ")";
      }
      if (error.isTextual()) { // the Open Inference Protocol's {"error": "message"}
        return " (" + error.asText() + ")";
      }
    } catch (JsonProcessingException e) {
      // not the contract's error body: say nothing more
    }
    return "";
  }

  /** The predict endpoint requests go to. */
  URI predictUri() {
    return predictUri;
  }

  @Override
  public ModelSignature signature() {
    return signature;
  }

  @Override
  public boolean remote() {
    return true;
  }

  @Override
  public String description() {
    return model + ":" + servedVersion + " at " + base + " (POST " + predictUri.getPath() + "), a keep-alive connection per"
        + " client" + (tls() ? "" : ", closed loops event-driven on one I/O thread (" + (EPOLL ? "epoll" : "nio") + ")");
  }

  @Override
  public Call prepare(NamedTensors request) {
    byte[] http = encode(request);
    return () -> send(http);
  }

  private byte[] encode(NamedTensors request) {
    byte[] body = protocol == Protocol.V2 ? v2Body(request) : body(request);
    return deadline == null ? HttpConnection.encode("POST", predictUri.getRawPath(), hostHeader(base), body)
        : HttpConnection.encode("POST", predictUri.getRawPath(), hostHeader(base), body,
            "X-Jinfer-Deadline-Ms: " + Math.max(1, deadline.toMillis()));
  }

  /**
   * The event-driven form of {@link #prepare}: the request encoded in full once, into a direct buffer a retained
   * duplicate of which each call writes on the client's {@link AsyncHttpConnection}; every client's connection runs
   * on one shared Netty event loop thread. Null (the runner then uses a thread per client) for {@code https}.
   */
  @Override
  public LoadTarget.@Nullable AsyncCall prepareAsync(NamedTensors request, int client) {
    if (tls() || closed) {
      return null;
    }
    byte[] http = encode(request);
    ByteBuf bytes = Unpooled.directBuffer(http.length, http.length).writeBytes(http);
    prepared.add(bytes);
    AsyncHttpConnection connection = clients.computeIfAbsent(client, c -> newAsyncConnection());
    return done -> connection.send(bytes, done);
  }

  private boolean tls() {
    return base.getScheme().equalsIgnoreCase("https");
  }

  private synchronized AsyncHttpConnection newAsyncConnection() {
    EventLoopGroup group = eventLoop;
    if (group == null) {
      group = new MultiThreadIoEventLoopGroup(1, r -> {
        Thread t = new Thread(r, "jinfer-bench-http-io");
        t.setDaemon(true);
        return t;
      }, EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
      eventLoop = group;
      // the time limit of every request in flight: swept on the event loop, which owns the connections' state
      long every = Math.max(1, Math.min(WATCH_MILLIS, timeoutMillis / 10));
      group.next().scheduleWithFixedDelay(() -> {
        long now = System.nanoTime();
        clients.values().forEach(c -> c.expire(now));
      }, every, every, TimeUnit.MILLISECONDS);
    }
    return new AsyncHttpConnection(group.next(), EPOLL ? EpollSocketChannel.class : NioSocketChannel.class, base.getHost(),
        port(base), timeoutMillis);
  }

  private static int port(URI base) {
    return base.getPort() >= 0 ? base.getPort() : base.getScheme().equalsIgnoreCase("https") ? 443 : 80;
  }

  private @Nullable String send(byte[] request) {
    HttpConnection connection = idle.pollFirst();
    if (connection == null) {
      connection = connection(base, timeoutMillis, true);
      all.add(connection);
    }
    try {
      int status = connection.exchange(request, false);
      if (status / 100 == 2) {
        return null;
      }
      return "HTTP " + status + errorCode(connection.body());
    } catch (SocketTimeoutException e) {
      return "TIMEOUT";
    } catch (IOException e) {
      return "IO " + e.getClass().getSimpleName();
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName();
    } finally {
      if (closed) {
        connection.close();
      } else {
        idle.offerFirst(connection);
      }
    }
  }

  /** The {@code error.code} of a {@code /v1} error body, with a leading space; empty when there is none. */
  static String errorCode(byte[] body) {
    try {
      JsonNode code = JSON.readTree(body).path("error").path("code");
      return code.isTextual() && !code.asText().isBlank() ? " " + code.asText() : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** The contract's named-tensor request body. */
  static byte[] body(NamedTensors request) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode inputs = root.putObject("inputs");
    for (Map.Entry<String, Tensor> e : request) {
      Tensor t = e.getValue();
      ObjectNode n = inputs.putObject(e.getKey());
      n.put("dtype", t.dtype().name());
      writeShapeAndData(n, t);
    }
    return bytes(root);
  }

  /** The Open Inference Protocol's inference request: {@code {"inputs": [{"name", "shape", "datatype", "data"}]}}. */
  static byte[] v2Body(NamedTensors request) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode inputs = root.putArray("inputs");
    for (Map.Entry<String, Tensor> e : request) {
      Tensor t = e.getValue();
      ObjectNode n = inputs.addObject();
      n.put("name", e.getKey());
      n.put("datatype", OipTypes.name(t.dtype()));
      writeShapeAndData(n, t);
    }
    return bytes(root);
  }

  private static void writeShapeAndData(ObjectNode n, Tensor t) {
    ArrayNode shape = n.putArray("shape");
    Shape s = t.shape();
    for (int i = 0; i < s.rank(); i++) {
      shape.add(s.dim(i));
    }
    ArrayNode data = n.putArray("data");
    switch (t.dtype()) {
      case FLOAT32, FLOAT16 -> {
        for (float v : t.toFloatArray()) {
          data.add(v);
        }
      }
      case FLOAT64 -> {
        for (double v : t.toDoubleArray()) {
          data.add(v);
        }
      }
      case INT8 -> {
        for (byte v : t.toByteArray()) {
          data.add(v);
        }
      }
      case UINT8 -> {
        for (byte v : t.toByteArray()) {
          data.add(Byte.toUnsignedInt(v));
        }
      }
      case INT16 -> {
        for (short v : t.toShortArray()) {
          data.add(v);
        }
      }
      case INT32 -> {
        for (int v : t.toIntArray()) {
          data.add(v);
        }
      }
      case INT64 -> {
        for (long v : t.toLongArray()) {
          data.add(v);
        }
      }
      case BOOL -> {
        for (boolean v : t.toBooleanArray()) {
          data.add(v);
        }
      }
      case STRING -> {
        for (String v : t.toStringArray()) {
          data.add(v);
        }
      }
      default -> throw new IllegalStateException("unhandled dtype " + t.dtype());
    }
  }

  private static byte[] bytes(ObjectNode root) {
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a request body: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    closed = true;
    watchdog.shutdownNow();
    // a connection in use by a thread still sending (a drain that timed out) fails that request, counted as IO
    all.forEach(HttpConnection::close);
    all.clear();
    idle.clear();
    EventLoopGroup group;
    synchronized (this) {
      group = eventLoop;
      eventLoop = null;
    }
    if (group != null) {
      // a request still in flight (a drain that timed out) fails as IO; then the channels close with the loop
      group.next().submit(() -> clients.values().forEach(AsyncHttpConnection::shutdown)).awaitUninterruptibly(5, TimeUnit.SECONDS);
      group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
    clients.clear();
    ByteBuf b;
    while ((b = prepared.poll()) != null) {
      b.release();
    }
  }
}
