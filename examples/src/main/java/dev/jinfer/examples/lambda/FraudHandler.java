package dev.jinfer.examples.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jinfer.Backends;
import dev.jinfer.InferenceException;
import dev.jinfer.InvalidInputException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

/**
 * An AWS Lambda handler that scores API Gateway (REST API, proxy integration) events with the bundled fraud
 * model: the body {@code {"features": [32 numbers]}} scores one transaction, {@code {"features": [[32
 * numbers], ...]}} several; the answer is {@code {"probabilities": [[p(legit), p(fraud)], ...]}} with status
 * 200, or status 400 and {@code {"error": ..., "code": ...}} for a body that is not that.
 *
 * <p>The model is loaded and warmed, and one request primes the handler's own path, once per container, in the
 * class's static initialisation, which Lambda runs in its init phase, before the first request (and which
 * SnapStart snapshots): see {@code examples/README.md}, "Lambda". Lambda calls one handler instance
 * from one thread at a time, but the handler is thread-safe all the same (the predictor is).
 */
public final class FraudHandler implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {
  /** The model, a resource of the examples jar. */
  public static final String MODEL_RESOURCE = "models/fraud.onnx";
  /** The model's input. */
  public static final String INPUT = "features";
  /** The model's output. */
  public static final String OUTPUT = "probabilities";
  /** Features per transaction. */
  public static final int FEATURES = 32;
  /** Predictions run in the static init, so that the first request finds the engine warm. */
  public static final int WARMUP_CALLS = 20;

  private static final String ORT_NATIVE_PATH = "onnxruntime.native.path";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> JSON_HEADERS = Map.of("Content-Type", "application/json");
  private static final Model MODEL;
  private static final long INIT_NANOS;

  static {
    long t0 = System.nanoTime();
    useUnpackedNatives(System.getenv("LAMBDA_TASK_ROOT"));
    // loaded once per container and never closed: the container's end frees it
    MODEL = Backends.discover().loadResource(MODEL_RESOURCE,
        // one ONNX Runtime session: a Lambda container serves one request at a time, so the backend's default
        // pool of one session per CPU would only lengthen the init
        LoadOptions.newBuilder().modelName("fraud").warmupCalls(WARMUP_CALLS).property("onnx.sessions", "1").build());
    prime();
    INIT_NANOS = System.nanoTime() - t0;
  }

  /**
   * Runs one request through the whole handler (JSON parsing and writing included, not only the model, which
   * the load's warm-up calls cover), so that the first real invocation finds that code loaded and linked too.
   * Its features are fractional like real ones: primed with integers, Jackson's floating-point parsing stayed
   * cold and the first invocation took 7-17 ms instead of 2.
   * With SnapStart this is the priming that the snapshot keeps.
   */
  private static void prime() {
    String body = "{\"features\": [" + String.join(",", java.util.Collections.nCopies(FEATURES, "-0.125")) + "]}";
    APIGatewayProxyResponseEvent r = new FraudHandler().handleRequest(new APIGatewayProxyRequestEvent().withBody(body), null);
    if (r.getStatusCode() != 200) {
      throw new IllegalStateException("priming the fraud handler: expected status 200 but got " + r.getStatusCode()
          + ": " + r.getBody());
    }
  }

  private final Predictor predictor = MODEL.predictor();

  /**
   * The deployment package ({@code fraud-lambda-<version>.zip}) carries ONNX Runtime's natives unpacked in
   * {@code lib/native/onnxruntime} and its jar without them: point ONNX Runtime there, unless the function's
   * {@code JAVA_TOOL_OPTIONS} already did. Elsewhere (no such directory) ONNX Runtime unpacks the natives of
   * its jar into {@code java.io.tmpdir} as usual.
   */
  static void useUnpackedNatives(String taskRoot) {
    if (taskRoot == null || System.getProperty(ORT_NATIVE_PATH) != null) {
      return;
    }
    Path dir = Path.of(taskRoot, "lib", "native", "onnxruntime");
    if (Files.isRegularFile(dir.resolve(System.mapLibraryName("onnxruntime")))) {
      System.setProperty(ORT_NATIVE_PATH, dir.toString());
    }
  }

  /** Creates the handler (Lambda does, once per container); the model is already loaded. */
  public FraudHandler() {}

  /**
   * How long the static init (model load and warmup) took.
   *
   * @return nanoseconds
   */
  public static long initNanos() {
    return INIT_NANOS;
  }

  /**
   * Scores the event's body.
   *
   * @param event an API Gateway proxy event
   * @param context the invocation's context (its logger gets one line per rejected request)
   * @return 200 with the probabilities, 400 for a bad body, 500 if the engine fails
   */
  @Override
  public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
    try {
      Tensor features = parse(event);
      float[][] probabilities = predictor.predict(NamedTensors.of(INPUT, features)).get(OUTPUT).toFloatMatrix();
      ObjectNode body = JSON.createObjectNode();
      ArrayNode rows = body.putArray(OUTPUT);
      for (float[] p : probabilities) {
        ArrayNode row = rows.addArray();
        for (float v : p) {
          row.add(v);
        }
      }
      return response(200, body);
    } catch (InvalidInputException e) {
      log(context, "400 " + e.getMessage());
      return error(400, e);
    } catch (InferenceException e) {
      log(context, "500 " + e.getMessage());
      return error(500, e);
    }
  }

  /**
   * The event's body as a {@code [rows, 32]} float tensor.
   *
   * @throws InvalidInputException naming what was expected and what came
   */
  static Tensor parse(APIGatewayProxyRequestEvent event) {
    if (event == null || event.getBody() == null || event.getBody().isBlank()) {
      throw new InvalidInputException("request body: expected {\"features\": [" + FEATURES + " numbers]} but got no body");
    }
    String text = Boolean.TRUE.equals(event.getIsBase64Encoded())
        ? new String(decodeBase64(event.getBody()), java.nio.charset.StandardCharsets.UTF_8) : event.getBody();
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException("request body: expected JSON {\"features\": [" + FEATURES + " numbers]} but it does"
          + " not parse: " + e.getOriginalMessage());
    }
    JsonNode features = root == null ? null : root.get(INPUT);
    if (features == null || !features.isArray() || features.isEmpty()) {
      throw new InvalidInputException("request body: expected a non-empty array \"features\" but got "
          + (features == null ? "no such field" : features.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)
              + " " + abbreviate(features.toString())));
    }
    boolean batch = features.get(0).isArray();
    int rows = batch ? features.size() : 1;
    float[] values = new float[rows * FEATURES];
    for (int r = 0; r < rows; r++) {
      JsonNode row = batch ? features.get(r) : features;
      String where = batch ? "features[" + r + "]" : "features";
      if (!row.isArray()) {
        throw new InvalidInputException(where + ": expected an array of " + FEATURES + " numbers but got "
            + row.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
      }
      if (row.size() != FEATURES) {
        throw new InvalidInputException(where + ": expected " + FEATURES + " numbers but got " + row.size());
      }
      for (int c = 0; c < FEATURES; c++) {
        JsonNode v = row.get(c);
        if (!v.isNumber()) {
          throw new InvalidInputException(where + "[" + c + "]: expected a number but got " + abbreviate(v.toString()));
        }
        values[r * FEATURES + c] = v.floatValue();
      }
    }
    return Tensor.ofFloats(values, rows, FEATURES);
  }

  private static byte[] decodeBase64(String body) {
    try {
      return Base64.getDecoder().decode(body.strip());
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("request body: marked isBase64Encoded but it is not base64: " + e.getMessage());
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  private static void log(Context context, String line) {
    if (context != null && context.getLogger() != null) {
      context.getLogger().log(line);
    }
  }

  private static APIGatewayProxyResponseEvent error(int status, InferenceException e) {
    ObjectNode body = JSON.createObjectNode();
    body.put("error", e.getMessage());
    body.put("code", e.code().name());
    return response(status, body);
  }

  private static APIGatewayProxyResponseEvent response(int status, ObjectNode body) {
    return new APIGatewayProxyResponseEvent().withStatusCode(status).withHeaders(JSON_HEADERS).withBody(body.toString());
  }
}
