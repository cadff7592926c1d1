package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.Shape;
import dev.jinfer.TensorSpec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The streaming fast path answers the common requests with exactly the tensors the tree-based parsers make,
 * and leaves everything else (other dtypes, parameters, bad values, malformed JSON) to them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JsonFastPathTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final ModelSignature ONE = ModelSignature.of(List.of(TensorSpec.of("features", DType.FLOAT32, Shape.DYNAMIC, 3)),
      List.of(TensorSpec.of("p", DType.FLOAT32, Shape.DYNAMIC, 2), TensorSpec.of("label", DType.INT64, Shape.DYNAMIC)));
  private static final ModelSignature TWO = ModelSignature.of(
      List.of(TensorSpec.of("a", DType.FLOAT32, Shape.DYNAMIC, 2), TensorSpec.of("b", DType.FLOAT64, Shape.DYNAMIC, 2),
          TensorSpec.of("i", DType.INT32, Shape.DYNAMIC, 2)),
      List.of(TensorSpec.of("out", DType.FLOAT32, Shape.DYNAMIC, 2)));

  private static ByteBuf body(String json) {
    return Unpooled.wrappedBuffer(json.getBytes(StandardCharsets.UTF_8));
  }

  private static TensorJson.Request fastV1(String json, ModelSignature sig) {
    JsonFastPath.V1 v = JsonFastPath.v1(JSON.getFactory(), body(json));
    return v == null ? null : v.toRequest(sig);
  }

  private static OipJson.Request fastV2(String json, ModelSignature sig) {
    JsonFastPath.V2 v = JsonFastPath.v2(JSON.getFactory(), body(json));
    return v == null ? null : v.toRequest(sig);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"features\": [0.5, -1.25, 3]}",
      "{\"features\": [[0.5, -1.25, 3], [1e-30, 2, 1e30]], \"outputs\": [\"p\"]}",
      "{\"features\": [1, 2, 3], \"outputs\": null}",
      " {\"outputs\": [\"label\", \"p\"], \"features\": [3.4028234e38, 0, -0.0]} ",
  })
  void v1Shortcut_isTheTreeParsersRequest(String json) throws Exception {
    TensorJson.Request fast = fastV1(json, ONE);
    assertThat(fast).as("taken by the fast path").isNotNull();
    TensorJson.Request tree = TensorJson.parse(JSON.readTree(json), ONE);
    assertThat(fast.inputs()).isEqualTo(tree.inputs());
    assertThat(fast.outputs()).isEqualTo(tree.outputs());
  }

  @Test
  void v1NamedInputs_areTheTreeParsersRequest() throws Exception {
    String json = "{\"inputs\": {\"b\": {\"shape\": [2, 2], \"data\": [[1e-300, 2], [3, 4.5]]}, \"a\": {\"dtype\": \"FLOAT32\","
        + " \"shape\": [1, 2], \"data\": [0.1, 0.2]}}, \"outputs\": [\"out\"]}";
    TensorJson.Request fast = fastV1(json, TWO);
    assertThat(fast).isNotNull();
    TensorJson.Request tree = TensorJson.parse(JSON.readTree(json), TWO);
    assertThat(fast.inputs()).isEqualTo(tree.inputs());
    assertThat(fast.inputs().names()).containsExactly("b", "a");
    assertThat(fast.outputs()).containsExactly("out");
  }

  @Test
  void v2Request_isTheTreeParsersRequest() throws Exception {
    String json = "{\"id\": \"r-1\", \"inputs\": [{\"name\": \"a\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1.5, -2]},"
        + " {\"name\": \"b\", \"datatype\": \"FP64\", \"shape\": [1, 2], \"data\": [[0.25, 1e300]]}], \"outputs\": [{\"name\": \"out\"}]}";
    OipJson.Request fast = fastV2(json, TWO);
    assertThat(fast).isNotNull();
    OipJson.Request tree = OipJson.parse(JSON.readTree(json), TWO);
    assertThat(fast.inputs()).isEqualTo(tree.inputs());
    assertThat(fast.id()).isEqualTo("r-1").isEqualTo(tree.id());
    assertThat(fast.outputs()).isEqualTo(tree.outputs());
    assertThat(fast.priority()).isEqualTo(tree.priority());
  }

  /** Each is left to the tree-based parser, which accepts it (another dtype) or answers the contract's 400. */
  @ParameterizedTest
  @ValueSource(strings = {
      "", "[]", "{", "{\"features\": []}", "{\"features\": [1, 2, \"3\"]}", "{\"features\": [[1, 2, 3], [1, 2]]}",
      "{\"features\": [1, 2, 3], \"features\": [1, 2, 3]}", "{\"features\": [1, 2, 3], \"extra\": 1}",
      "{\"features\": [1, 2, 1e39]}", "{\"features\": [1, 2, 3], \"outputs\": [\"nope\"]}",
      "{\"features\": [1, 2, 3], \"outputs\": [\"p\", \"p\"]}", "{\"features\": [1, 2, 3], \"inputs\": {}}",
      "{\"features\": [[[1, 2, 3]]]}", "{\"features\": [1, 2, NaN]}",
  })
  void v1Unusual_isLeftToTheTreeParser(String json) {
    assertThat(fastV1(json, ONE)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"inputs\": {\"i\": {\"shape\": [1, 2], \"data\": [1, 2]}}}",
      "{\"inputs\": {\"a\": {\"dtype\": \"FLOAT64\", \"shape\": [1, 2], \"data\": [1, 2]}}}",
      "{\"inputs\": {\"a\": {\"shape\": [1, 3], \"data\": [1, 2]}}}",
      "{\"inputs\": {\"a\": {\"shape\": [1, -2], \"data\": [1, 2]}}}",
      "{\"inputs\": {\"a\": {\"shape\": [4294967296, 4294967296, 4294967296], \"data\": [1, 2]}}}",
      "{\"inputs\": {\"zz\": {\"shape\": [1, 2], \"data\": [1, 2]}}}",
      "{\"inputs\": {\"a\": {\"shape\": [1, 2], \"data\": [1, 2], \"x\": 1}}}",
      "{\"inputs\": {\"b\": {\"shape\": [1, 2], \"data\": [1, 1e400]}}}",
  })
  void v1NamedUnusual_isLeftToTheTreeParser(String json) {
    assertThat(fastV1(json, TWO)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"inputs\": [{\"name\": \"a\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, 2], \"parameters\": {}}]}",
      "{\"parameters\": {\"priority\": \"HIGH\"}, \"inputs\": [{\"name\": \"a\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, 2]}]}",
      "{\"inputs\": [{\"name\": \"a\", \"shape\": [1, 2], \"datatype\": \"FP64\", \"data\": [1, 2]}]}",
      "{\"inputs\": [{\"name\": \"i\", \"shape\": [1, 2], \"datatype\": \"INT32\", \"data\": [1, 2]}]}",
      "{\"inputs\": [{\"name\": \"a\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, 2]},"
          + " {\"name\": \"a\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, 2]}]}",
      "{\"inputs\": [{\"name\": \"a\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}",
      "{\"id\": 7, \"inputs\": [{\"name\": \"a\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, 2]}]}",
      "{\"inputs\": [{\"name\": \"a\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, 2]}], \"outputs\": [{\"name\": \"out\","
          + " \"parameters\": {\"binary_data\": false}}]}",
      "{\"inputs\": [{\"name\": \"a\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, 2]}], \"outputs\": [{\"name\": \"no\"}]}",
      "{\"outputs\": []}",
  })
  void v2Unusual_isLeftToTheTreeParser(String json) {
    assertThat(fastV2(json, TWO)).isNull();
  }

  @Test
  void aBodyLeftToTheTreeParser_stillGetsItsContractError() throws Exception {
    String json = "{\"features\": [1, 2, 1e39]}";
    assertThat(fastV1(json, ONE)).isNull();
    Throwable e = catchThrowable(() -> TensorJson.parse(JSON.readTree(json), ONE));
    assertThat(e).isInstanceOf(ApiException.class).hasMessageContaining("input 'features' (features): data[2]");
  }

  /**
   * The thread's parser is kept from one body to the next: a body cut short, one with bytes after its object, one the
   * fast path leaves half read, or not JSON at all must leave nothing behind for the body after it.
   */
  @Test
  void aThreadsParser_carriesNothingFromOneBodyToTheNext() throws Exception {
    String good = "{\"features\": [0.5, -1.25, 3]}";
    String other = "{\"features\": [[1, 2, 3], [4, 5, 6]], \"outputs\": [\"label\"]}";
    List<String> bodies = List.of(good, "{\"features\": [1, 2", other, "{\"features\": [1, 2, 3]} {\"features\": [9",
        good, "{\"features\": [1, 2, 3], \"x\": {\"y\": [", other, "[1, 2, 3]", good, "", other, "\"features\"", good,
        "{\"features\": [1, 2, 3]}   \n", other, "{\"features\": [1, 2, 3]}", "]}", good);
    for (int round = 0; round < 3; round++) {
      for (String json : bodies) {
        TensorJson.Request fast = fastV1(json, ONE);
        if (json.equals(good) || json.equals(other)) {
          assertThat(fast).as("taken by the fast path after the bodies before it: %s", json).isNotNull();
          TensorJson.Request tree = TensorJson.parse(JSON.readTree(json), ONE);
          assertThat(fast.inputs()).isEqualTo(tree.inputs());
          assertThat(fast.outputs()).isEqualTo(tree.outputs());
        } else if (json.startsWith("{\"features\": [1, 2, 3]}")) {
          assertThat(fast).as("a whole object, whatever follows it (as the tree parser reads it): %s", json).isNotNull();
          assertThat(fast.inputs().get("features").toFloatArray()).containsExactly(1f, 2f, 3f);
        } else {
          assertThat(fast).as("left to the tree parser: %s", json).isNull();
        }
      }
    }
    String v2 = "{\"id\": \"q\", \"inputs\": [{\"name\": \"a\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1.5, -2]},"
        + " {\"name\": \"b\", \"datatype\": \"FP64\", \"shape\": [1, 2], \"data\": [0.25, 1e300]}]}";
    for (String json : List.of(v2, "{\"inputs\": [{\"name\": \"a\", \"shape\": [1, 2]", v2, v2 + " x", v2)) {
      OipJson.Request fast = fastV2(json, TWO);
      if (json.startsWith(v2)) { // whole, or whole with bytes after it (which the tree parser ignores too)
        OipJson.Request tree = OipJson.parse(JSON.readTree(json), TWO);
        assertThat(fast).isNotNull();
        assertThat(fast.inputs()).isEqualTo(tree.inputs());
        assertThat(fast.id()).isEqualTo("q");
      } else {
        assertThat(fast).as(json).isNull();
      }
    }
  }
}
