package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ShapeTest {

  @Test
  void of_copiesTheDims_andReportsRankAndEachDim() {
    long[] dims = {-1, 32};
    Shape s = Shape.of(dims);
    dims[1] = 7;

    assertThat(s.rank()).isEqualTo(2);
    assertThat(s.dim(0)).isEqualTo(Shape.DYNAMIC);
    assertThat(s.dim(1)).isEqualTo(32);
    assertThat(s.toString()).isEqualTo("[-1, 32]");
    assertThatThrownBy(() -> s.dim(2)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void toArray_returnsACopy() {
    Shape s = Shape.of(2, 3);

    s.toArray()[0] = 99;

    assertThat(s.toArray()).containsExactly(2, 3);
  }

  @Test
  void of_withoutDims_isTheScalar_withOneElement() {
    Shape scalar = Shape.of();

    assertThat(scalar.rank()).isZero();
    assertThat(scalar.elementCount()).isEqualTo(1);
    assertThat(scalar.isFullyKnown()).isTrue();
    assertThat(scalar.toString()).isEqualTo("[]");
    assertThatThrownBy(() -> scalar.withFirstDim(1))
        .isInstanceOf(IllegalStateException.class).hasMessage("a scalar shape has no first dimension");
  }

  @Test
  void of_rejectsDimensionBelowMinusOne_namingIt() {
    assertThatThrownBy(() -> Shape.of(3, -2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("dimension 1 must be >= 0 or -1 (dynamic) but was -2 in [3, -2]");
  }

  @Test
  void elementCount_multipliesTheDims() {
    assertThat(Shape.of(2, 3, 4).elementCount()).isEqualTo(24);
    assertThat(Shape.of(0, 5).elementCount()).isZero();
    assertThat(Shape.of(Integer.MAX_VALUE, 4).elementCount()).isEqualTo(4L * Integer.MAX_VALUE);
  }

  @Test
  void elementCount_failsOnDynamicDimOrOverflow() {
    assertThatThrownBy(() -> Shape.of(-1, 3).elementCount())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("[-1, 3]");
    assertThatThrownBy(() -> Shape.of(Long.MAX_VALUE, 2).elementCount()).isInstanceOf(ArithmeticException.class);
  }

  @Test
  void isFullyKnown_isFalseWhenAnyDimIsDynamic() {
    assertThat(Shape.of(1, 2).isFullyKnown()).isTrue();
    assertThat(Shape.of(1, -1).isFullyKnown()).isFalse();
  }

  @Test
  void accepts_matchesRankAndEveryFixedDim_andAnythingWhereDynamic() {
    Shape spec = Shape.of(-1, 3);

    assertThat(spec.accepts(Shape.of(1, 3))).isTrue();
    assertThat(spec.accepts(Shape.of(1000, 3))).isTrue();
    assertThat(spec.accepts(Shape.of(0, 3))).isTrue(); // zero rows are the signature's business
    assertThat(spec.accepts(Shape.of(1, 4))).isFalse();
    assertThat(spec.accepts(Shape.of(3))).isFalse();
    assertThat(spec.accepts(Shape.of(1, 3, 1))).isFalse();
    assertThat(Shape.of(-1, -1).accepts(Shape.of(5, 7))).isTrue();
    assertThat(Shape.of(2, 3).accepts(Shape.of(2, 3))).isTrue();
    assertThat(Shape.of().accepts(Shape.of())).isTrue();
    assertThat(Shape.of().accepts(Shape.of(1))).isFalse();
  }

  @Test
  void withFirstDim_returnsANewShape_leavingThisOneAlone() {
    Shape s = Shape.of(4, 3);

    assertThat(s.withFirstDim(7)).isEqualTo(Shape.of(7, 3));
    assertThat(s.withFirstDim(Shape.DYNAMIC)).isEqualTo(Shape.of(-1, 3));
    assertThat(s).isEqualTo(Shape.of(4, 3));
  }

  @Test
  void withFirstDim_rejectsDimensionBelowMinusOne() {
    // regression: withFirstDim skips the validation of Shape.of, so Shape.of(2, 3).withFirstDim(-7) builds
    // a shape whose elementCount() is -21
    assertThatThrownBy(() -> Shape.of(2, 3).withFirstDim(-7))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-7");
  }

  @Test
  void equalsAndHashCode_followTheDims() {
    assertThat(Shape.of(2, 3)).isEqualTo(Shape.of(2, 3)).hasSameHashCodeAs(Shape.of(2, 3));
    assertThat(Shape.of(2, 3)).isNotEqualTo(Shape.of(3, 2));
    assertThat(Shape.of(2, 3)).isNotEqualTo(Shape.of(2, 3, 1));
    assertThat(Shape.of()).isEqualTo(Shape.of(new long[0]));
  }
}
