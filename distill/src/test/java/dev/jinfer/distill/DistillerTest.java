package dev.jinfer.distill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.DType;
import dev.jinfer.Model;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.io.Npy;
import dev.jinfer.optimize.OnnxModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistillerTest {
  static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("distill");
  static final Path TEACHER = FIXTURES.resolve("digits_teacher.onnx");

  @TempDir
  Path tmp;

  @Test
  void distill_digits_writesAnOnnxStudentThatJinferRunsLikeTheDjlStudent() {
    Tensor x = Npy.read(FIXTURES.resolve("digits_train_x.npy"));
    Tensor y = Npy.read(FIXTURES.resolve("digits_train_y.npy"));
    Path out = tmp.resolve("student.onnx");
    List<EpochProgress> epochs = new ArrayList<>();
    Distiller distiller = Distiller.newBuilder().hiddenWidths(32).maxEpochs(25).patience(5).progress(epochs::add).build();

    Distiller.Run run = distiller.run(TEACHER, x, y, out);
    DistillationResult r = run.result();

    assertThat(epochs).isNotEmpty().hasSize(r.epochs());
    assertThat(epochs.get(epochs.size() - 1).heldOutLoss()).isLessThan(epochs.get(0).heldOutLoss());
    assertThat(r.layerWidths()).containsExactly(64, 32, 10);
    assertThat(r.studentParameters()).isEqualTo(64 * 32 + 32 + 32 * 10 + 10);
    assertThat(r.teacherParameters()).hasValue(563_722);
    assertThat(r.softmax()).isTrue();
    assertThat(r.heldOut().rows()).isEqualTo(287);
    assertThat(r.trainRows()).isEqualTo(1437 - 287);
    assertThat(r.heldOut().agreement()).isGreaterThan(0.9);
    assertThat(r.heldOut().studentAccuracy().getAsDouble()).isGreaterThan(0.9);
    assertThat(OnnxModels.opCounts(OnnxModels.read(out))).isEqualTo(Map.of("Gemm", 2, "Relu", 1, "Softmax", 1));

    try (Model student = Model.load(out); Model teacher = Model.load(TEACHER)) {
      assertThat(student.signature()).isEqualTo(teacher.signature());
      assertThat(student.signature().inputs()).containsExactly(TensorSpec.of("pixels", DType.FLOAT32, -1, 64));
      float[][] onnx = student.predictor().predict(dev.jinfer.NamedTensors.of("pixels", Tensor.ofFloats(run.heldOutX())))
          .get("probabilities").toFloatMatrix();
      float[][] djl = run.djlHeldOutOutputs();
      assertThat(onnx.length).isEqualTo(djl.length);
      float maxDiff = 0;
      for (int i = 0; i < onnx.length; i++) {
        for (int c = 0; c < 10; c++) {
          maxDiff = Math.max(maxDiff, Math.abs(onnx[i][c] - djl[i][c]));
        }
      }
      assertThat(maxDiff).isLessThan(1e-5f);
    }
  }
}
