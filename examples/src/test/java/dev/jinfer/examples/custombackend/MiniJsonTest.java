package dev.jinfer.examples.custombackend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The minimal JSON reader: every value kind, escapes, and errors that say where. */
class MiniJsonTest {
  @Test
  void parse_readsEveryKindOfValue_inFileOrder() {
    Object v = MiniJson.parse(" {\"z\": [1, -2.5e2, 0.125], \"a\": {\"t\": true, \"f\": false, \"n\": null}, \"s\": \"x\"} ");
    assertThat(v).isEqualTo(Map.of("z", List.of(1.0, -250.0, 0.125),
        "a", Map.of("t", true, "f", false, "n", MiniJson.NULL), "s", "x"));
    assertThat(((Map<?, ?>) v).keySet().toArray()).containsExactly("z", "a", "s");
  }

  @Test
  void parse_decodesEscapes() {
    assertThat(MiniJson.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9\\u65e5\"")).isEqualTo("q\" b\\ s/ \b\f\n\r\t \u00e9\u65e5");
    assertThat(MiniJson.parse("[]")).isEqualTo(List.of());
    assertThat(MiniJson.parse("{}")).isEqualTo(Map.of());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{", "[1,]", "{\"a\" 1}", "{\"a\": 1,}", "01", "1.", "-", "tru", "\"open", "[1] 2",
      "{\"a\": 1, \"a\": 2}", "\"\\x\"", "\"tab\tinside\"", "{1: 2}"})
  void parse_rejectsInvalidJson_sayingWhereAndWhat(String text) {
    assertThatThrownBy(() -> MiniJson.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("JSON at offset").hasMessageContaining("expected");
  }

  @Test
  void parse_rejectsDeepNesting_insteadOfOverflowingTheStack() {
    assertThatThrownBy(() -> MiniJson.parse("[".repeat(10_000))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nested");
  }
}
