package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelSignatureTest {
  private static final ModelSignature SIGNATURE = ModelSignature.of(
      List.of(TensorSpec.of("features", DType.FLOAT32, -1, 3), TensorSpec.of("ids", DType.INT64, -1)),
      List.of(TensorSpec.of("probs", DType.FLOAT32, -1, 2), TensorSpec.of("label", DType.INT64, -1)));

  private static NamedTensors request(int rows) {
    return NamedTensors.of("features", Tensor.ofFloats(new float[rows * 3], rows, 3), "ids", Tensor.ofLongs(new long[rows], rows));
  }

  private static NamedTensors withFeatures(Tensor features) {
    return NamedTensors.of("features", features, "ids", Tensor.ofLongs(new long[1], 1));
  }

  @Test
  void validate_acceptsAnyBatchSize_whereTheBatchDimIsDynamic() {
    assertThatCode(() -> SIGNATURE.validate(request(1), List.of(), false)).doesNotThrowAnyException();
    assertThatCode(() -> SIGNATURE.validate(request(7), List.of("label", "probs"), true)).doesNotThrowAnyException();
  }

  @Test
  void validate_acceptsAnyValueOfEveryDynamicDim() {
    ModelSignature s = ModelSignature.of(List.of(TensorSpec.of("x", DType.INT32, -1, -1, 3)),
        List.of(TensorSpec.of("y", DType.INT32, -1)));

    assertThatCode(() -> s.validate(NamedTensors.of("x", Tensor.ofInts(new int[30], 2, 5, 3)), List.of(), false))
        .doesNotThrowAnyException();
    assertThatCode(() -> s.validate(NamedTensors.of("x", Tensor.ofInts(new int[3], 1, 1, 3)), List.of(), false))
        .doesNotThrowAnyException();
  }

  @Test
  void validate_rejectsUnknownInput_listingTheExpectedOnes() {
    NamedTensors in = NamedTensors.newBuilder().put("features", Tensor.ofFloats(new float[3], 1, 3))
        .put("ids", Tensor.ofLongs(new long[1], 1)).put("extra", Tensor.ofInts(new int[1], 1)).build();

    assertThatThrownBy(() -> SIGNATURE.validate(in, List.of(), false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("input 'extra': unknown; expected one of [features: FLOAT32 [-1, 3], ids: INT64 [-1]]");
  }

  @Test
  void validate_rejectsMissingInput_namingIt() {
    assertThatThrownBy(() -> SIGNATURE.validate(NamedTensors.of("features", Tensor.ofFloats(new float[3], 1, 3)),
        List.of(), false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("input 'ids': missing; expected INT64 [-1] but got no tensor");
  }

  @Test
  void validate_rejectsWrongDtype_namingExpectedAndGot() {
    assertThatThrownBy(() -> SIGNATURE.validate(withFeatures(Tensor.ofDoubles(new double[3], 1, 3)), List.of(), false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("input 'features': expected FLOAT32 [-1, 3] but got FLOAT64 [1, 3]");
  }

  @Test
  void validate_rejectsWrongRank() {
    assertThatThrownBy(() -> SIGNATURE.validate(withFeatures(Tensor.ofFloats(new float[3], 3)), List.of(), false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("input 'features': expected FLOAT32 [-1, 3] but got FLOAT32 [3]");
  }

  @Test
  void validate_rejectsWrongFixedDim() {
    assertThatThrownBy(() -> SIGNATURE.validate(withFeatures(Tensor.ofFloats(new float[8], 2, 4)), List.of(), false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("input 'features': expected FLOAT32 [-1, 3] but got FLOAT32 [2, 4]");
  }

  @Test
  void validate_acceptsZeroRows_whereTheDimensionIsDynamic() {
    // issue 14: a dimension of 0 is a legal size wherever the signature says the dimension is dynamic
    SIGNATURE.validate(withFeatures(Tensor.ofFloats(new float[0], 0, 3)), List.of(), false);
    SIGNATURE.validate(withFeatures(Tensor.ofFloats(new float[0], 0, 3)), List.of(), true);
  }

  @Test
  void validate_rejectsZeroWhereTheDimensionIsFixed() {
    assertThatThrownBy(() -> SIGNATURE.validate(withFeatures(Tensor.ofFloats(new float[0], 2, 0)), List.of(), false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("input 'features': expected FLOAT32 [-1, 3] but got FLOAT32 [2, 0]");
  }

  @Test
  void validate_rejectsUnknownOutput_listingTheOutputs() {
    assertThatThrownBy(() -> SIGNATURE.validate(request(1), List.of("probs", "logits"), false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("output 'logits': unknown; expected one of [probs: FLOAT32 [-1, 2], label: INT64 [-1]]");
  }

  @Test
  void validate_rejectsAnOutputAskedForTwice() {
    // regression: validate lets ["probs", "probs"] through to the engine, whose result cannot hold one name
    // twice; the class promises a malformed request never reaches the engine
    assertThatThrownBy(() -> SIGNATURE.validate(request(1), List.of("probs", "probs"), false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("output 'probs'");
  }

  @Test
  void validate_rejectsNullRequestOrOutputList() {
    assertThatThrownBy(() -> SIGNATURE.validate(null, List.of(), false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("inputs: expected named tensors [features: FLOAT32 [-1, 3], ids: INT64 [-1]] but got null");
    assertThatThrownBy(() -> SIGNATURE.validate(request(1), null, false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("outputs: expected a list of output names");
  }

  @Test
  void validate_rejectsNonFiniteFloat32_namingTheElement_onlyWhenAsked() {
    ModelSignature s = single(DType.FLOAT32);
    NamedTensors in = NamedTensors.of("x", Tensor.ofFloats(new float[] {0f, 1f, 2f, 3f, Float.NaN, 5f}, 2, 3));

    assertThatCode(() -> s.validate(in, List.of(), false)).doesNotThrowAnyException();
    assertThatThrownBy(() -> s.validate(in, List.of(), true))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("input 'x': expected finite values but element 4 is NaN");
  }

  @Test
  void validate_rejectsNonFiniteFloat64_namingTheElement() {
    ModelSignature s = single(DType.FLOAT64);
    NamedTensors in = NamedTensors.of("x", Tensor.ofDoubles(new double[] {0, Double.NEGATIVE_INFINITY, 2}, 1, 3));

    assertThatThrownBy(() -> s.validate(in, List.of(), true))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("input 'x': expected finite values but element 1 is -Infinity");
  }

  @Test
  void validate_rejectsNonFiniteFloat16_namingTheElement() {
    ModelSignature s = single(DType.FLOAT16);
    // 1e6 is finite as a float but overflows half precision to infinity
    NamedTensors in = NamedTensors.of("x", Tensor.ofFloat16(new float[] {0f, 1f, 1e6f}, 1, 3));

    assertThatThrownBy(() -> s.validate(in, List.of(), true))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("input 'x': expected finite values but element 2 is Infinity");
  }

  @Test
  void validate_acceptsFiniteFloatsAndIntegers_whenRejectingNonFinite() {
    assertThatCode(() -> single(DType.FLOAT32).validate(NamedTensors.of("x",
        Tensor.ofFloats(new float[] {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE}, 1, 3)), List.of(), true))
        .doesNotThrowAnyException();
    assertThatCode(() -> single(DType.INT32).validate(NamedTensors.of("x",
        Tensor.ofInts(new int[] {Integer.MAX_VALUE, 0, -1}, 1, 3)), List.of(), true))
        .doesNotThrowAnyException();
  }

  @Test
  void of_rejectsRepeatedNamesAndNoOutputs() {
    TensorSpec x = TensorSpec.of("x", DType.FLOAT32, -1);

    assertThatThrownBy(() -> ModelSignature.of(List.of(x, x), List.of(x)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("input name 'x' appears twice");
    assertThatThrownBy(() -> ModelSignature.of(List.of(x), List.of(x, x)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("output name 'x' appears twice");
    assertThatThrownBy(() -> ModelSignature.of(List.of(x), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one output");
  }

  @Test
  void accessors_keepTheEnginesOrder() {
    assertThat(SIGNATURE.inputs()).extracting(TensorSpec::name).containsExactly("features", "ids");
    assertThat(SIGNATURE.outputNames()).containsExactly("probs", "label");
    assertThat(SIGNATURE.input("ids")).contains(TensorSpec.of("ids", DType.INT64, -1));
    assertThat(SIGNATURE.output("nope")).isEmpty();
    assertThat(SIGNATURE.toString())
        .isEqualTo("[features: FLOAT32 [-1, 3], ids: INT64 [-1]] -> [probs: FLOAT32 [-1, 2], label: INT64 [-1]]");
  }

  private static ModelSignature single(DType dtype) {
    return ModelSignature.of(List.of(TensorSpec.of("x", dtype, -1, 3)), List.of(TensorSpec.of("y", dtype, -1, 3)));
  }
}
