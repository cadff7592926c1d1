package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Shape;
import dev.jinfer.TensorSpec;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every dtype's JSON form both ways, and the 400 messages, without a server. */
class TensorJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final ModelSignature ALL = ModelSignature.of(
      List.of(TensorSpec.of("f32", DType.FLOAT32, Shape.DYNAMIC, 2), TensorSpec.of("f16", DType.FLOAT16, Shape.DYNAMIC, 2),
          TensorSpec.of("f64", DType.FLOAT64, Shape.DYNAMIC, 2), TensorSpec.of("i8", DType.INT8, Shape.DYNAMIC, 2),
          TensorSpec.of("u8", DType.UINT8, Shape.DYNAMIC, 2), TensorSpec.of("i16", DType.INT16, Shape.DYNAMIC, 2),
          TensorSpec.of("i32", DType.INT32, Shape.DYNAMIC, 2), TensorSpec.of("i64", DType.INT64, Shape.DYNAMIC, 2),
          TensorSpec.of("b", DType.BOOL, Shape.DYNAMIC, 2), TensorSpec.of("s", DType.STRING, Shape.DYNAMIC, 2)),
      List.of(TensorSpec.of("out", DType.FLOAT32, Shape.DYNAMIC, 2)));

  private static JsonNode node(String json) throws Exception {
    return JSON.readTree(json);
  }

  private static String tensor(String data) {
    return "{\"shape\": [1, 2], \"data\": " + data + "}";
  }

  @Test
  void everyDtype_roundTrips_throughItsJsonForm() throws Exception {
    String body = "{\"inputs\": {"
        + "\"f32\": " + tensor("[1.5, -2]") + ", \"f16\": " + tensor("[0.5, 2]") + ", \"f64\": " + tensor("[[1e-300, 3.25]]")
        + ", \"i8\": " + tensor("[-128, 127]") + ", \"u8\": " + tensor("[0, 255]") + ", \"i16\": " + tensor("[-32768, 7]")
        + ", \"i32\": " + tensor("[2147483647, -1]") + ", \"i64\": " + tensor("[9007199254740993, -9223372036854775808]")
        + ", \"b\": " + tensor("[true, false]") + ", \"s\": " + tensor("[\"a\", \"\u00e9\"]") + "}}";
    TensorJson.Request r = TensorJson.parse(node(body), ALL);
    assertThat(r.outputs()).isEmpty();
    NamedTensors in = r.inputs();
    assertThat(in.get("i64").toLongArray()).containsExactly(9007199254740993L, Long.MIN_VALUE);
    assertThat(in.get("f64").toDoubleArray()).containsExactly(1e-300, 3.25);
    assertThat(in.get("s").toStringArray()).containsExactly("a", "\u00e9");
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.getFactory().createGenerator(w)) {
      g.writeStartObject();
      TensorJson.writeTensors(g, in);
      g.writeEndObject();
    }
    JsonNode out = node(w.toString());
    List<String> names = new ArrayList<>();
    out.fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactly("f32", "f16", "f64", "i8", "u8", "i16", "i32", "i64", "b", "s");
    assertThat(out.get("f32").get("data").toString()).isEqualTo("[1.5,-2.0]");
    assertThat(out.get("f16").get("dtype").asText()).isEqualTo("FLOAT16");
    assertThat(out.get("f16").get("data").toString()).isEqualTo("[0.5,2.0]");
    assertThat(out.get("i8").get("data").toString()).isEqualTo("[-128,127]");
    assertThat(out.get("u8").get("data").toString()).isEqualTo("[0,255]");
    assertThat(out.get("i64").get("data").toString()).isEqualTo("[9007199254740993,-9223372036854775808]");
    assertThat(out.get("b").get("data").toString()).isEqualTo("[true,false]");
    assertThat(out.get("s").get("shape").toString()).isEqualTo("[1,2]");
  }

  @Test
  void outOfRangeOrWrongKindValues_are400_namingInputAndIndex() {
    assertThatThrownBy(() -> TensorJson.parse(node("{\"inputs\": {\"u8\": " + tensor("[1, 256]") + "}}"), ALL))
        .isInstanceOf(ApiException.class).hasMessage("input 'u8': data[1] of a UINT8 tensor must be a whole number in [0, 255] but was 256");
    assertThatThrownBy(() -> TensorJson.parse(node("{\"inputs\": {\"i32\": " + tensor("[1, 2.5]") + "}}"), ALL))
        .hasMessageContaining("input 'i32': data[1]");
    assertThatThrownBy(() -> TensorJson.parse(node("{\"inputs\": {\"b\": " + tensor("[1, true]") + "}}"), ALL))
        .hasMessageContaining("input 'b': data[0] of a BOOL tensor must be true or false but was 1");
    assertThatThrownBy(() -> TensorJson.parse(node("{\"inputs\": {\"f32\": {\"dtype\": \"FLOAT128\", \"shape\": [1], \"data\": [1]}}}"), ALL))
        .hasMessageContaining("input 'f32': unknown dtype 'FLOAT128'");
    assertThatThrownBy(() -> TensorJson.parse(node("{\"inputs\": {\"f32\": {\"shape\": [1, -2], \"data\": []}}}"), ALL))
        .hasMessageContaining("input 'f32': shape[1] must be a whole number >= 0 but was -2");
    assertThatThrownBy(() -> TensorJson.parse(node("[1, 2]"), ALL)).hasMessageContaining("expected a JSON object but got array");
    assertThatThrownBy(() -> TensorJson.parse(node("{\"rows\": []}"), ALL)).hasMessageContaining("unknown field 'rows'");
  }

  @Test
  void featuresShortcut_needsExactlyOneInput_andEqualRows() throws Exception {
    assertThatThrownBy(() -> TensorJson.parse(node("{\"features\": [1, 2]}"), ALL))
        .isInstanceOf(ApiException.class).hasMessageContaining("exactly one input");
    ModelSignature one = ModelSignature.of(List.of(TensorSpec.of("x", DType.INT32, Shape.DYNAMIC, 2)),
        List.of(TensorSpec.of("y", DType.INT32, Shape.DYNAMIC, 2)));
    TensorJson.Request r = TensorJson.parse(node("{\"features\": [[1, 2], [3, 4]]}"), one);
    assertThat(r.inputs().get("x").shape()).isEqualTo(Shape.of(2, 2));
    assertThat(r.inputs().get("x").toIntArray()).containsExactly(1, 2, 3, 4);
    assertThatThrownBy(() -> TensorJson.parse(node("{\"features\": [[1, 2], [3]]}"), one))
        .hasMessageContaining("input 'x' (features): row 1 must be an array of 2 values (as row 0) but was 1 values");
  }
}
