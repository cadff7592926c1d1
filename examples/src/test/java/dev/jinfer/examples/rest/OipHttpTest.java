package dev.jinfer.examples.rest;

import static dev.jinfer.examples.rest.RestTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Open Inference Protocol (KServe v2) over HTTP, through a real HTTP client: health, server and model
 * metadata, model readiness, inference with every datatype jinfer holds, a multi-input model, versions,
 * requested outputs, the request id, parameters and the protocol's error body.
 */
class OipHttpTest {
  static final List<String> DTYPES = List.of("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
      "float64", "string");

  @TempDir
  static Path repository;

  static RestTestSupport rest;

  @BeforeAll
  static void start() {
    RestTestSupport.addFraud(repository, "1");
    RestTestSupport.addFraud(repository, "2");
    Path onnx = RestTestSupport.fixtures().resolve("onnx");
    RestTestSupport.addVersion(repository, "multi_io", "1", onnx.resolve("multi_io.onnx"), "model.onnx");
    for (String d : DTYPES) {
      RestTestSupport.addVersion(repository, "dtype_" + d, "1", onnx.resolve("dtype_" + d + ".onnx"), "model.onnx");
    }
    rest = RestTestSupport.start(RestConfig.newBuilder().models(repository).keepVersions(2).sessions(1).intraOpThreads(1).httpThreads(4)
        .pollInterval(null));
  }

  @AfterAll
  static void stop() {
    if (rest != null) {
      rest.close();
    }
  }

  @Test
  void health_isTheStatusCode_withAnEmptyBody() {
    HttpResponse<String> live = rest.get("/v2/health/live");
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(live.body()).isEmpty();
    HttpResponse<String> ready = rest.get("/v2/health/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEmpty();
  }

  @Test
  void serverMetadata_namesTheServer() {
    HttpResponse<String> r = rest.get("/v2");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = json(r);
    assertThat(body.path("name").asText()).isEqualTo("jinfer");
    assertThat(body.path("version").asText()).isNotEmpty();
    assertThat(body.path("extensions").isArray()).isTrue();
  }

  @Test
  void modelMetadata_givesVersionsPlatformAndTensorsInProtocolNames() {
    JsonNode body = json(rest.get("/v2/models/fraud"));
    assertThat(body.path("name").asText()).isEqualTo("fraud");
    assertThat(body.path("versions").toString()).isEqualTo("[\"1\",\"2\"]");
    assertThat(body.path("platform").asText()).isEqualTo("jinfer");
    assertThat(body.path("inputs").toString()).isEqualTo("[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[-1,32]}]");
    assertThat(body.path("outputs").toString())
        .isEqualTo("[{\"name\":\"probabilities\",\"datatype\":\"FP32\",\"shape\":[-1,2]}]");
    JsonNode multi = json(rest.get("/v2/models/multi_io/versions/1"));
    assertThat(multi.path("inputs").findValuesAsText("name")).containsExactly("a", "b");
    assertThat(multi.path("outputs").findValuesAsText("datatype")).containsExactly("FP32", "FP32", "INT64");
    assertThat(json(rest.get("/v2/models/dtype_string")).path("inputs").get(0).path("datatype").asText()).isEqualTo("BYTES");
    assertThat(json(rest.get("/v2/models/dtype_float16")).path("inputs").get(0).path("datatype").asText()).isEqualTo("FP16");
  }

  @Test
  void modelReady_isTheStatusCode_andUnknownModelsAre404() {
    assertThat(rest.get("/v2/models/fraud/ready").statusCode()).isEqualTo(200);
    assertThat(rest.get("/v2/models/fraud/versions/1/ready").statusCode()).isEqualTo(200);
    assertThat(rest.get("/v2/models/fraud/versions/7/ready").statusCode()).isEqualTo(400);
    HttpResponse<String> unknown = rest.get("/v2/models/nope/ready");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown).path("error").asText()).contains("nope");
  }

  @Test
  void infer_fraud_reproducesTheReferenceOutputs_onTheLatestAndAPinnedVersion_andEchoesTheId() {
    float[][] in = Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_input.npy")).toFloatMatrix();
    float[][] expected = Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_output.npy")).toFloatMatrix();
    ObjectNode req = request("features", "FP32", floats(in), in.length, in[0].length);
    req.put("id", "req-42");
    for (String path : List.of("/v2/models/fraud/infer", "/v2/models/fraud/versions/1/infer")) {
      HttpResponse<String> r = rest.post(path, req.toString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode body = json(r);
      assertThat(body.path("model_name").asText()).isEqualTo("fraud");
      assertThat(body.path("model_version").asText()).isEqualTo(path.contains("versions/1") ? "1" : "2");
      assertThat(body.path("id").asText()).isEqualTo("req-42");
      JsonNode out = body.path("outputs").get(0);
      assertThat(out.path("name").asText()).isEqualTo("probabilities");
      assertThat(out.path("datatype").asText()).isEqualTo("FP32");
      assertThat(out.path("shape").toString()).isEqualTo("[" + in.length + ",2]");
      for (int r0 = 0; r0 < expected.length; r0++) {
        for (int c = 0; c < 2; c++) {
          assertThat(out.path("data").get(r0 * 2 + c).floatValue()).isCloseTo(expected[r0][c], within(1e-5f));
        }
      }
    }
  }

  @Test
  void infer_withoutAnId_answersWithoutOne_andTakesNestedData() {
    ObjectNode req = RestTestSupport.JSON.createObjectNode();
    ObjectNode t = req.putArray("inputs").addObject().put("name", "features").put("datatype", "FP32");
    t.putArray("shape").add(1).add(32);
    ArrayNode row = t.putArray("data").addArray();
    for (int i = 0; i < 32; i++) {
      row.add(i / 32.0);
    }
    HttpResponse<String> r = rest.post("/v2/models/fraud/infer", req.toString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).has("id")).isFalse();
  }

  @Test
  void infer_multiInput_computesEveryOutput_orOnlyTheRequestedOnes() {
    Path onnx = RestTestSupport.fixtures().resolve("onnx");
    float[][] a = Npy.read(onnx.resolve("multi_io_input_a.npy")).toFloatMatrix();
    float[][] b = Npy.read(onnx.resolve("multi_io_input_b.npy")).toFloatMatrix();
    ObjectNode req = RestTestSupport.JSON.createObjectNode();
    ArrayNode inputs = req.putArray("inputs");
    inputs.add(tensor("a", "FP32", floats(a), a.length, 4));
    inputs.add(tensor("b", "FP32", floats(b), b.length, 4));
    JsonNode all = json(rest.post("/v2/models/multi_io/infer", req.toString()));
    assertThat(all.path("outputs").findValuesAsText("name")).containsExactly("sum", "dot", "argmax_a");
    JsonNode argmax = all.path("outputs").get(2);
    assertThat(argmax.path("datatype").asText()).isEqualTo("INT64");
    long[] expectedArgmax = Npy.read(onnx.resolve("multi_io_output_argmax_a.npy")).toLongArray();
    assertThat(longs(argmax.path("data"))).containsExactly(expectedArgmax);

    req.putArray("outputs").addObject().put("name", "dot");
    JsonNode dotOnly = json(rest.post("/v2/models/multi_io/infer", req.toString()));
    assertThat(dotOnly.path("outputs")).hasSize(1);
    float[] expectedDot = Npy.read(onnx.resolve("multi_io_output_dot.npy")).toFloatArray();
    JsonNode dot = dotOnly.path("outputs").get(0);
    assertThat(dot.path("shape").toString()).isEqualTo("[5,1]");
    for (int i = 0; i < expectedDot.length; i++) {
      assertThat(dot.path("data").get(i).floatValue()).isEqualTo(expectedDot[i]);
    }
  }

  /** Every protocol datatype jinfer holds, through an identity model: the values come back unchanged. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "bool|BOOL|[true, false, true, false, false, true]",
      "uint8|UINT8|[0, 1, 127, 128, 42, 255]",
      "int8|INT8|[-128, -1, 0, 1, 42, 127]",
      "int16|INT16|[-32768, -1, 0, 1, 42, 32767]",
      "int32|INT32|[-2147483648, -1, 0, 1, 42, 2147483647]",
      "int64|INT64|[-9223372036854775808, -1, 0, 1, 42, 9223372036854775807]",
      "float16|FP16|[-0.5, 1.5, 0.0, 65504.0, 6.1035156E-5, -2.25]",
      "float32|FP32|[-0.5, 1.5, 0.0, 3.4028235E38, 1.17549435E-38, -2.25]",
      "float64|FP64|[-0.5, 1.5, 0.0, 1.7976931348623157E308, 2.2250738585072014E-308, -2.25]",
      "string|BYTES|[\"\", \"hello\", \"h\\u00e9llo \\u2713\", \"ONNX\", \"\\u65e5\\u672c\\u8a9e\", \"tab\\tnewline\\n\"]"})
  void infer_everyDatatype_roundTrips(String model, String datatype, String data) throws Exception {
    String body = "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 3], \"datatype\": \"" + datatype + "\", \"data\": " + data + "}]}";
    HttpResponse<String> r = rest.post("/v2/models/dtype_" + model + "/infer", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode out = json(r).path("outputs").get(0);
    assertThat(out.path("name").asText()).isEqualTo("y");
    assertThat(out.path("datatype").asText()).isEqualTo(datatype);
    assertThat(out.path("shape").toString()).isEqualTo("[2,3]");
    JsonNode sent = RestTestSupport.JSON.readTree(data);
    for (int i = 0; i < 6; i++) {
      JsonNode got = out.path("data").get(i);
      if (sent.get(i).isFloatingPointNumber()) {
        assertThat(got.doubleValue()).as("data[%d]", i).isEqualTo(sent.get(i).doubleValue());
      } else {
        assertThat(got).as("data[%d]", i).isEqualTo(sent.get(i));
      }
    }
  }

  @Test
  void infer_acceptsParameters_andThePriorityParameter() {
    ObjectNode req = request("features", "FP32", new float[32], 1, 32);
    req.putObject("parameters").put("priority", "HIGH").put("something_else", 3);
    assertThat(rest.post("/v2/models/fraud/infer", req.toString()).statusCode()).isEqualTo(200);
    req.putObject("parameters").put("priority", "URGENT");
    assertError(rest.post("/v2/models/fraud/infer", req.toString()), 400, "'priority' must be one of [HIGH, NORMAL] but was 'URGENT'");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"inputs\": [|malformed JSON",
      "{\"inputs\": [{\"name\": \"features\", \"shape\": [2, 32], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}|input 'features': shape [2, 32] holds 64 values but data has 3",
      "{\"inputs\": [{\"name\": \"features\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}|input 'features': expected FLOAT32 [-1, 32] but got FLOAT32 [1, 3]",
      "{\"inputs\": [{\"name\": \"features\", \"shape\": [1, 1], \"datatype\": \"FLOAT\", \"data\": [1]}]}|input 'features': unknown datatype 'FLOAT'; expected one of [BOOL, UINT8",
      "{\"inputs\": [{\"name\": \"features\", \"shape\": [1, 1], \"datatype\": \"FP64\", \"data\": [1]}]}|input 'features': expected datatype FP32 (the model's) but got FP64",
      "{\"inputs\": [{\"name\": \"features\", \"shape\": [1, 1], \"datatype\": \"UINT32\", \"data\": [1]}]}|expected datatype FP32 (the model's) but got UINT32, which jinfer has no tensor type for",
      "{\"inputs\": [{\"name\": \"features\", \"shape\": [1, 1], \"datatype\": \"FP32\", \"data\": [\"x\"]}]}|input 'features': data[0] of a FLOAT32 tensor must be a number but was \"x\"",
      "{\"inputs\": [{\"name\": \"wrong\", \"shape\": [1, 1], \"datatype\": \"FP32\", \"data\": [1]}]}|input 'wrong': not an input of the model; inputs: [features]",
      "{\"inputs\": []}|features",
      "{\"inputs\": [{\"name\": \"features\", \"shape\": [1, 1], \"datatype\": \"FP32\", \"data\": [1], \"parameters\": {\"binary_data_size\": 4}}]}|binary tensor data (parameter 'binary_data_size') is not supported",
      "{\"inputs\": [{\"name\": \"features\", \"shape\": [1, -1], \"datatype\": \"FP32\", \"data\": [1]}]}|input 'features': shape[1] must be a whole number >= 0 but was -1",
      "{\"inputs\": [{\"name\": \"features\", \"shape\": [0, 32], \"datatype\": \"FP32\", \"data\": []}], \"outputs\": [{\"name\": \"logits\"}]}|output 'logits': not an output of the model; outputs: [probabilities]",
      "{\"inputs\": {}}|inputs: expected an array of tensors but got object",
      "{\"inputs\": [], \"extra\": 1}|inference request: unknown field 'extra'"})
  void infer_badRequests_are400_withTheProtocolsErrorBody_andTheServerKeepsServing(String body, String message) {
    assertError(rest.post("/v2/models/fraud/infer", body), 400, message);
    assertThat(rest.post("/v2/models/fraud/infer", request("features", "FP32", new float[32], 1, 32).toString()).statusCode())
        .isEqualTo(200);
  }

  @Test
  void infer_unknownModelOrVersion_is404_andGetOnInfer_is405() {
    String body = request("features", "FP32", new float[32], 1, 32).toString();
    assertError(rest.post("/v2/models/nope/infer", body), 404, "nope");
    assertError(rest.post("/v2/models/fraud/versions/9/infer", body), 404, "9");
    assertError(rest.get("/v2/models/nope"), 404, "nope");
    assertError(rest.get("/v2/models/fraud/infer"), 405, "GET is not allowed here; use POST");
    assertError(rest.get("/v2/elsewhere"), 404, "no route for /v2/elsewhere");
  }

  @Test
  void infer_deadlineHeader_isHonoured_andAMalformedOneIs400() {
    String body = request("features", "FP32", new float[32], 1, 32).toString();
    assertThat(rest.post("/v2/models/fraud/infer", body, RestHandler.DEADLINE_HEADER, "5000").statusCode()).isEqualTo(200);
    assertError(rest.post("/v2/models/fraud/infer", body, RestHandler.DEADLINE_HEADER, "soon"), 400, RestHandler.DEADLINE_HEADER);
  }

  @Test
  void v2Requests_areCountedByRoute_notByModelName() {
    rest.post("/v2/models/fraud/infer", request("features", "FP32", new float[32], 1, 32).toString());
    String metrics = rest.get("/metrics").body();
    assertThat(metrics).contains("uri=\"/v2/models/{name}/infer\"");
    assertThat(metrics).doesNotContain("uri=\"/v2/models/fraud");
  }

  private static void assertError(HttpResponse<String> r, int status, String message) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode error = json(r).path("error");
    assertThat(error.isTextual()).as("the protocol's error body {\"error\": \"...\"}: %s", r.body()).isTrue();
    assertThat(error.asText()).contains(message);
  }

  static ObjectNode request(String input, String datatype, float[] data, long... shape) {
    ObjectNode req = RestTestSupport.JSON.createObjectNode();
    req.putArray("inputs").add(tensor(input, datatype, data, shape));
    return req;
  }

  static ObjectNode tensor(String name, String datatype, float[] data, long... shape) {
    ObjectNode t = RestTestSupport.JSON.createObjectNode().put("name", name).put("datatype", datatype);
    ArrayNode s = t.putArray("shape");
    for (long d : shape) {
      s.add(d);
    }
    ArrayNode d = t.putArray("data");
    for (float v : data) {
      d.add(v);
    }
    return t;
  }

  static float[] floats(float[][] rows) {
    return Tensor.ofFloats(rows).toFloatArray();
  }

  private static long[] longs(JsonNode array) {
    long[] out = new long[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).longValue();
    }
    return out;
  }
}
