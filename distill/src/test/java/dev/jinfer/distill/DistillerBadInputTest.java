package dev.jinfer.distill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.InvalidInputException;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import dev.jinfer.optimize.OnnxModels;
import dev.jinfer.optimize.OnnxTensors;
import dev.jinfer.optimize.proto.Onnx.AttributeProto;
import dev.jinfer.optimize.proto.Onnx.GraphProto;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.NodeProto;
import dev.jinfer.optimize.proto.Onnx.OperatorSetIdProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistillerBadInputTest {
  static final Path TEACHER = DistillerTest.TEACHER;
  static final Tensor X = Npy.read(DistillerTest.FIXTURES.resolve("digits_train_x.npy"));
  static final Tensor Y = Npy.read(DistillerTest.FIXTURES.resolve("digits_train_y.npy"));

  @TempDir
  Path tmp;

  private Distiller quick() {
    return Distiller.newBuilder().hiddenWidths(8).maxEpochs(2).progress(p -> { }).build();
  }

  private Path out() {
    return tmp.resolve("student.onnx");
  }

  @Test
  void data_withAnotherFeatureCount_isRejected_namingBothShapes() {
    Tensor x = Tensor.ofFloats(new float[10 * 63], 10, 63);
    assertThatThrownBy(() -> quick().distill(TEACHER, x, null, out())).isInstanceOf(InvalidInputException.class)
        .hasMessage("data: expected FLOAT32 [rows, 64] to match the teacher's input pixels: FLOAT32 [-1, 64] "
            + "but got FLOAT32 [10, 63]");
    assertThat(out()).doesNotExist();
  }

  @Test
  void data_ofAnotherDtype_isRejected() {
    Tensor x = Tensor.ofDoubles(new double[10 * 64], 10, 64);
    assertThatThrownBy(() -> quick().distill(TEACHER, x, null, out())).isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("data: expected FLOAT32 [rows, 64]").hasMessageEndingWith("but got FLOAT64 [10, 64]");
  }

  @Test
  void emptyData_isRejected() {
    Tensor x = Tensor.ofFloats(new float[0], 0, 64);
    assertThatThrownBy(() -> quick().distill(TEACHER, x, null, out())).isInstanceOf(InvalidInputException.class)
        .hasMessage("data: expected at least 2 rows (some to train on, some held out) but got 0 (an empty data set)");
    assertThat(out()).doesNotExist();
  }

  @Test
  void nonFiniteData_isRejected_namingTheRowAndColumn() {
    float[] v = X.slice(0, 10).toFloatArray();
    v[3 * 64 + 5] = Float.NaN;
    assertThatThrownBy(() -> quick().distill(TEACHER, Tensor.ofFloats(v, 10, 64), null, out()))
        .isInstanceOf(InvalidInputException.class).hasMessage("data: expected finite values but row 3, column 5 is NaN");
  }

  @Test
  void labels_ofTheWrongLength_areRejected() {
    Tensor y = Y.slice(0, 1436);
    assertThatThrownBy(() -> quick().distill(TEACHER, X, y, out())).isInstanceOf(InvalidInputException.class)
        .hasMessage("labels: expected INT64 or INT32 class indices of shape [1437] (one per data row) but got INT64 [1436]");
    assertThat(out()).doesNotExist();
  }

  @Test
  void labels_ofTheWrongType_areRejected() {
    Tensor y = Tensor.ofFloats(new float[1437], 1437);
    assertThatThrownBy(() -> quick().distill(TEACHER, X, y, out())).isInstanceOf(InvalidInputException.class)
        .hasMessage("labels: expected INT64 or INT32 class indices of shape [1437] (one per data row) but got FLOAT32 [1437]");
  }

  @Test
  void labels_outsideTheTeachersClasses_areRejected_namingTheRow() {
    long[] v = Y.toLongArray();
    v[17] = 10;
    assertThatThrownBy(() -> quick().distill(TEACHER, X, Tensor.ofLongs(v, v.length), out()))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("labels[17]: expected a class in [0, 10) (the teacher's 'probabilities' has 10 classes) but got 10");
    assertThat(out()).doesNotExist();
  }

  @Test
  void outputEqualToTheTeacher_isRejected() throws Exception {
    Path copy = Files.copy(TEACHER, tmp.resolve("teacher.onnx"));
    assertThatThrownBy(() -> quick().distill(copy, X, Y, tmp.resolve("./teacher.onnx")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("expected a path other than the input model");
    assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(TEACHER));
  }

  @Test
  void divergingTraining_stopsWithAClearMessage_andWritesNothing() {
    Distiller wild = Distiller.newBuilder().hiddenWidths(8).learningRate(1e30).maxEpochs(5).progress(p -> { }).build();
    assertThatThrownBy(() -> wild.distill(TEACHER, X, Y, out())).isInstanceOf(DistillationDivergedException.class)
        .hasMessageStartingWith("training diverged: the loss is ")
        .hasMessageContaining("learning rate 1.0E30").hasMessageContaining("nothing was written to " + out());
    assertThat(out()).doesNotExist();
  }

  @Test
  void multiOutputTeacher_needsAnOutputName_andThenImitatesThatOutput() {
    Path teacher = twoOutputTeacher(tmp.resolve("two.onnx"));
    Random random = new Random(3);
    float[] v = new float[200 * 4];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    Tensor x = Tensor.ofFloats(v, 200, 4);
    assertThatThrownBy(() -> quick().distill(teacher, x, null, out())).isInstanceOf(InvalidInputException.class)
        .hasMessage("teacher " + teacher + ": expected one output or an output name to imitate (--output NAME) but it "
            + "has 2: [probabilities, logits]");
    assertThat(out()).doesNotExist();
    assertThatThrownBy(() -> Distiller.newBuilder().outputName("score").build().distill(teacher, x, null, out()))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("output 'score': expected one of the teacher's outputs [probabilities, logits] but it has none of "
            + "that name");

    DistillationResult r = Distiller.newBuilder().hiddenWidths(8).maxEpochs(3).outputName("logits").progress(p -> { })
        .build().distill(teacher, x, null, out());

    assertThat(r.outputName()).isEqualTo("logits");
    assertThat(r.softmax()).isFalse();
    assertThat(r.heldOut().teacherAccuracy()).isEmpty();
    assertThat(OnnxModels.opCounts(OnnxModels.read(out()))).isEqualTo(Map.of("Gemm", 2, "Relu", 1));
  }

  @Test
  void theSameSeed_writesTheSameStudent() throws Exception {
    Path a = tmp.resolve("a.onnx");
    Path b = tmp.resolve("b.onnx");
    Tensor x = X.slice(0, 300);
    Tensor y = Y.slice(0, 300);
    Distiller d = Distiller.newBuilder().hiddenWidths(8).maxEpochs(3).seed(7).progress(p -> { }).build();
    d.distill(TEACHER, x, y, a);
    d.distill(TEACHER, x, y, b);
    Distiller.newBuilder().hiddenWidths(8).maxEpochs(3).seed(8).progress(p -> { }).build().distill(TEACHER, x, y, out());
    assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
    assertThat(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(out()))).isFalse();
  }

  @Test
  void builder_rejectsBadSettings_namingThem() {
    assertThatThrownBy(() -> Distiller.newBuilder().alpha(1.5)).hasMessage("alpha must be in [0, 1] but was 1.5");
    assertThatThrownBy(() -> Distiller.newBuilder().temperature(0)).hasMessage("temperature must be > 0 and finite but was 0.0");
    assertThatThrownBy(() -> Distiller.newBuilder().hiddenWidths(8, 0)).hasMessage("hiddenWidths must be > 0 but were [8, 0]");
    assertThatThrownBy(() -> Distiller.newBuilder().holdoutFraction(1)).hasMessage("holdoutFraction must be in (0, 1) but was 1.0");
  }

  /** x FLOAT [batch, 4] -> logits = x W + b (3 classes), probabilities = Softmax(logits). */
  static Path twoOutputTeacher(Path path) {
    float[] w = new float[4 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % 5) - 2f;
    }
    GraphProto graph = GraphProto.newBuilder().setName("two")
        .addInitializer(OnnxTensors.floats("w", w, 4, 3))
        .addInitializer(OnnxTensors.floats("b", new float[] {0.1f, -0.2f, 0.3f}, 3))
        .addNode(NodeProto.newBuilder().setOpType("Gemm").addInput("x").addInput("w").addInput("b").addOutput("logits"))
        .addNode(NodeProto.newBuilder().setOpType("Softmax").addInput("logits").addOutput("probabilities")
            .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(1)))
        .addInput(OnnxTensors.valueInfo("x", TensorProto.DataType.FLOAT, "batch", 4))
        .addOutput(OnnxTensors.valueInfo("probabilities", TensorProto.DataType.FLOAT, "batch", 3))
        .addOutput(OnnxTensors.valueInfo("logits", TensorProto.DataType.FLOAT, "batch", 3))
        .build();
    OnnxModels.write(ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).build(), path);
    return path;
  }
}
