package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class NamedTensorsTest {
  private static final Tensor A = Tensor.ofInts(new int[] {1}, 1);
  private static final Tensor B = Tensor.ofInts(new int[] {2}, 1);
  private static final Tensor C = Tensor.ofInts(new int[] {3}, 1);

  @Test
  void builder_keepsInsertionOrder_inNamesTensorsAndIteration() {
    NamedTensors t = NamedTensors.newBuilder().put("c", C).put("a", A).put("b", B).build();

    assertThat(t.names()).containsExactly("c", "a", "b");
    assertThat(t.tensors()).containsExactly(C, A, B);
    assertThat(t).extracting(Map.Entry::getKey).containsExactly("c", "a", "b");
    assertThat(t.asMap().keySet()).containsExactly("c", "a", "b");
    assertThat(t.size()).isEqualTo(3);
  }

  @Test
  void copyOf_keepsTheMapsOrder() {
    Map<String, Tensor> source = new LinkedHashMap<>();
    source.put("z", C);
    source.put("y", B);
    source.put("x", A);

    NamedTensors t = NamedTensors.copyOf(source);
    source.clear();

    assertThat(t.names()).containsExactly("z", "y", "x");
  }

  @Test
  void put_rejectsDuplicateName_namingIt() {
    assertThatThrownBy(() -> NamedTensors.newBuilder().put("x", A).put("x", B))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("input 'x': expected one tensor per name but got it twice");
    assertThatThrownBy(() -> NamedTensors.of("x", A, "x", B)).isInstanceOf(InvalidInputException.class);
  }

  @Test
  void put_rejectsNullNameOrTensor_namingTheInput() {
    assertThatThrownBy(() -> NamedTensors.of(null, A))
        .isInstanceOf(InvalidInputException.class).hasMessage("input name: expected a name but got null");
    assertThatThrownBy(() -> NamedTensors.of("features", null))
        .isInstanceOf(InvalidInputException.class).hasMessage("input 'features': expected a tensor but got null");
    Map<String, Tensor> withNull = new HashMap<>();
    withNull.put("ids", null);
    assertThatThrownBy(() -> NamedTensors.copyOf(withNull))
        .isInstanceOf(InvalidInputException.class).hasMessage("input 'ids': expected a tensor but got null");
    assertThatThrownBy(() -> NamedTensors.copyOf(null)).isInstanceOf(InvalidInputException.class);
  }

  @Test
  void get_onMissingName_listsThePresentNames() {
    NamedTensors t = NamedTensors.of("a", A, "b", B);

    assertThat(t.get("b")).isSameAs(B);
    assertThatThrownBy(() -> t.get("z"))
        .isInstanceOf(NoSuchElementException.class).hasMessage("no tensor named 'z'; present: [a, b]");
    assertThat(t.find("z")).isEmpty();
    assertThat(t.find("a")).containsSame(A);
    assertThat(t.contains("a")).isTrue();
    assertThat(t.contains("z")).isFalse();
  }

  @Test
  void select_returnsTheNamedSubset_inTheOrderAsked() {
    NamedTensors t = NamedTensors.newBuilder().put("a", A).put("b", B).put("c", C).build();

    NamedTensors selected = t.select(List.of("c", "a"));

    assertThat(selected.names()).containsExactly("c", "a");
    assertThat(selected.tensors()).containsExactly(C, A);
    assertThatThrownBy(() -> t.select(List.of("a", "q")))
        .isInstanceOf(NoSuchElementException.class).hasMessageContaining("'q'");
  }

  @Test
  void isImmutable_evenWhenTheBuilderGoesOn() {
    NamedTensors.Builder builder = NamedTensors.newBuilder().put("a", A);
    NamedTensors built = builder.build();
    builder.put("b", B);

    assertThat(built.names()).containsExactly("a");
    assertThatThrownBy(() -> built.asMap().put("c", C)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> built.names().remove("a")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> built.tensors().add(C)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void empty_hasNoTensors() {
    assertThat(NamedTensors.empty().isEmpty()).isTrue();
    assertThat(NamedTensors.empty().size()).isZero();
    assertThat(NamedTensors.newBuilder().build()).isEqualTo(NamedTensors.empty());
  }

  @Test
  void equals_comparesNamesAndTensors() {
    NamedTensors t = NamedTensors.of("a", A, "b", B);

    assertThat(t).isEqualTo(NamedTensors.of("a", Tensor.ofInts(new int[] {1}, 1), "b", B)).hasSameHashCodeAs(t);
    assertThat(t).isNotEqualTo(NamedTensors.of("a", A, "b", C));
    assertThat(t).isNotEqualTo(NamedTensors.of("a", A));
  }
}
