package dev.jinfer.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.DType;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.io.Npy;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The committed fixture models against their reference .npy files. */
class OnnxFixtureModelsTest {
  private static Model load(String name) {
    return Model.load(Fixtures.onnx(name + ".onnx"), LoadOptions.newBuilder().backend(OnnxBackend.NAME).build());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(DType.class)
  void predict_roundTripsTheReferenceFile_bitForBit(DType dtype) {
    String name = "dtype_" + dtype.name().toLowerCase(Locale.ROOT);
    Tensor input = Npy.read(Fixtures.onnx(name + "_input.npy"));
    Tensor expected = Npy.read(Fixtures.onnx(name + "_output.npy"));
    try (Model model = load(name)) {
      assertThat(model.signature().inputs()).containsExactly(new TensorSpec("x", dtype, Shape.of(-1, 3)));
      assertThat(model.signature().outputs()).containsExactly(new TensorSpec("y", dtype, Shape.of(-1, 3)));
      Tensor out = model.predictor().predict(NamedTensors.of("x", input)).get("y");
      // Tensor.equals compares raw bytes: NaN payloads, -0.0 and the extremes must survive
      assertThat(out).isEqualTo(expected);
    }
  }

  @Test
  void predict_reproducesTheFraudReferenceOutput_within1e5() {
    Tensor input = Npy.read(Fixtures.onnx("fraud_input.npy"));
    Tensor expected = Npy.read(Fixtures.onnx("fraud_output.npy"));
    try (Model model = load("fraud")) {
      assertThat(model.signature().inputs()).containsExactly(TensorSpec.of("features", DType.FLOAT32, -1, 32));
      assertThat(model.signature().outputs()).containsExactly(TensorSpec.of("probabilities", DType.FLOAT32, -1, 2));
      Tensor out = model.predictor().predict(NamedTensors.of("features", input)).get("probabilities");
      assertThat(out.shape()).isEqualTo(expected.shape());
      float[] got = out.toFloatArray();
      float[] want = expected.toFloatArray();
      double maxAbsError = 0;
      for (int i = 0; i < want.length; i++) {
        maxAbsError = Math.max(maxAbsError, Math.abs(got[i] - want[i]));
      }
      System.out.printf(Locale.ROOT, "fraud.onnx vs fraud_output.npy: max abs error %.3g over %d values%n", maxAbsError,
          want.length);
      assertThat(maxAbsError).isLessThanOrEqualTo(1e-5);
    }
  }

  @Test
  void predict_reproducesEveryMultiIoOutput_exactly() {
    NamedTensors in = NamedTensors.of("a", Npy.read(Fixtures.onnx("multi_io_input_a.npy")),
        "b", Npy.read(Fixtures.onnx("multi_io_input_b.npy")));
    try (Model model = load("multi_io")) {
      assertThat(model.signature().outputs()).containsExactly(TensorSpec.of("sum", DType.FLOAT32, -1, 4),
          TensorSpec.of("dot", DType.FLOAT32, -1, 1), TensorSpec.of("argmax_a", DType.INT64, -1));
      NamedTensors out = model.predictor().predict(in);
      assertThat(out.names()).containsExactly("sum", "dot", "argmax_a");
      assertThat(out.get("sum")).isEqualTo(Npy.read(Fixtures.onnx("multi_io_output_sum.npy")));
      assertThat(out.get("dot")).isEqualTo(Npy.read(Fixtures.onnx("multi_io_output_dot.npy")));
      assertThat(out.get("argmax_a")).isEqualTo(Npy.read(Fixtures.onnx("multi_io_output_argmax_a.npy")));
    }
  }

  @Test
  void predict_returnsASubsetOfOutputs_inTheOrderAsked() {
    NamedTensors in = NamedTensors.of("a", Npy.read(Fixtures.onnx("multi_io_input_a.npy")),
        "b", Npy.read(Fixtures.onnx("multi_io_input_b.npy")));
    try (Model model = load("multi_io")) {
      NamedTensors out = model.predictor().predict(in, List.of("argmax_a", "sum"));
      assertThat(out.names()).containsExactly("argmax_a", "sum");
      assertThat(out.get("argmax_a")).isEqualTo(Npy.read(Fixtures.onnx("multi_io_output_argmax_a.npy")));
      assertThat(out.get("sum")).isEqualTo(Npy.read(Fixtures.onnx("multi_io_output_sum.npy")));

      NamedTensors one = model.predictor().predict(in, List.of("dot"));
      assertThat(one.names()).containsExactly("dot");
      assertThat(one.get("dot")).isEqualTo(Npy.read(Fixtures.onnx("multi_io_output_dot.npy")));
    }
  }

  @Test
  void predict_acceptsHeapBackedInputs_suchAsAnotherModelsOutputs() {
    try (Model model = load("dtype_float32")) {
      Tensor direct = Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
      Tensor heap = model.predictor().predict(NamedTensors.of("x", direct)).get("y");
      assertThat(heap.isDirect()).isFalse();
      Tensor again = model.predictor().predict(NamedTensors.of("x", heap)).get("y");
      assertThat(again).isEqualTo(direct);
    }
  }

  @Test
  void metadata_reportsProducerAndOpsets() {
    try (Model model = load("fraud")) {
      assertThat(model.metadata()).containsEntry("onnx.producer_name", "jinfer-fixtures (torch.onnx.export)")
          .containsEntry("onnx.ir_version", "8")
          .containsKey("onnx.producer_version")
          .containsEntry("onnx.graph_name", "torch_jit")
          .containsEntry("onnx.opset_import", "ai.onnx:17")
          .doesNotContainKey("onnx.model_version"); // not set in the file
      assertThat(model.metadata().get("onnx.description")).startsWith("jinfer fixture: fraud MLP");
    }
  }
}
