package dev.jinfer.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.jinfer.InvalidInputException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class StaticQuantizerTest {
  private static final Path ONNX = Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx");
  private static final Path CNN = ONNX.resolve("cnn.onnx");

  @TempDir Path dir;

  /** Runs a model on rows in ONNX Runtime with all optimizations (so QDQ is fused), returning [rows][outputs]. */
  static float[][] run(Path model, String input, Tensor x) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(model.toString(), options);
          OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.toFloatArray()), x.shape().toArray());
          OrtSession.Result result = session.run(Map.of(input, t))) {
        return (float[][]) result.get(0).getValue();
      }
    }
  }

  private static int argmax(float[] row) {
    int best = 0;
    for (int i = 1; i < row.length; i++) {
      best = row[i] > row[best] ? i : best;
    }
    return best;
  }

  @Test
  void cnnFixture_runsInOnnxRuntimeAsInTorch() throws Exception {
    float[][] got = run(CNN, "images", Npy.read(ONNX.resolve("cnn_test.npy")));
    float[][] expected = Npy.read(ONNX.resolve("cnn_test_logits.npy")).toFloatMatrix();
    for (int i = 0; i < expected.length; i++) {
      for (int j = 0; j < 10; j++) {
        assertThat(Math.abs(got[i][j] - expected[i][j])).as("row %d logit %d", i, j).isLessThan(1e-4f);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StaticQuantizer.Calibration.class)
  void cnn_quantizesConvAndGemmInQdq_andAgreesWithFloatOnTheHeldOutDigits(StaticQuantizer.Calibration method)
      throws Exception {
    Path out = dir.resolve("cnn.qdq.onnx");
    byte[] original = Files.readAllBytes(CNN);
    Map<String, Integer> ops = StaticQuantizer.newBuilder()
        .calibration(NamedTensors.of("images", Npy.read(ONNX.resolve("cnn_calibration.npy"))))
        .method(method)
        .build().quantize(CNN, out);

    assertThat(Files.readAllBytes(CNN)).isEqualTo(original);
    // 4 weights and 4 biases dequantized; the image, the 2 Conv+Relu, Flatten and fc1+Relu outputs quantized
    assertThat(ops).containsEntry("Conv", 2).containsEntry("Gemm", 2).containsEntry("QuantizeLinear", 5)
        .containsEntry("DequantizeLinear", 13).doesNotContainKey("Relu");
    assertThat(Files.size(out)).isLessThan(Files.size(CNN) / 3);

    Tensor test = Npy.read(ONNX.resolve("cnn_test.npy"));
    long[] labels = Npy.read(ONNX.resolve("cnn_test_labels.npy")).toLongArray();
    float[][] a = run(CNN, "images", test);
    float[][] b = run(out, "images", test);
    int agree = 0;
    int right = 0;
    for (int i = 0; i < a.length; i++) {
      agree += argmax(a[i]) == argmax(b[i]) ? 1 : 0;
      right += argmax(b[i]) == labels[i] ? 1 : 0;
    }
    assertThat(agree / (double) a.length).as("top-1 agreement of 360").isGreaterThanOrEqualTo(0.99);
    assertThat(right / (double) a.length).as("accuracy of 360").isGreaterThanOrEqualTo(0.98);
  }

  @Test
  void fraud_gemmsPerTensor_agreeWithFloatOnSeededRows() throws Exception {
    Path fraud = ONNX.resolve("fraud.onnx");
    Path out = dir.resolve("fraud.qdq.onnx");
    Map<String, Integer> ops = StaticQuantizer.newBuilder()
        .calibration(NamedTensors.of("features", gaussian(1, 256)))
        .granularity(DynamicQuantizer.Granularity.PER_TENSOR)
        .build().quantize(fraud, out);
    // the features, the two Gemm+Relu outputs and the logits before Softmax
    assertThat(ops).containsEntry("Gemm", 3).containsEntry("QuantizeLinear", 4).containsEntry("Softmax", 1);
    Tensor x = gaussian(2, 1000);
    float[][] a = run(fraud, "features", x);
    float[][] b = run(out, "features", x);
    int agree = 0;
    for (int i = 0; i < a.length; i++) {
      agree += argmax(a[i]) == argmax(b[i]) ? 1 : 0;
    }
    assertThat(agree).as("argmax agreement of 1000").isGreaterThanOrEqualTo(980);
  }

  private static Tensor gaussian(long seed, int rows) {
    Random random = new Random(seed);
    float[] v = new float[rows * 32];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return Tensor.ofFloats(v, rows, 32);
  }

  @Test
  void badCalibration_isATypedErrorNamingTheInput_andWritesNothing() {
    Path out = dir.resolve("o.onnx");
    Tensor images = Npy.read(ONNX.resolve("cnn_calibration.npy"));
    assertThatThrownBy(() -> quantize(NamedTensors.of("pixels", images), out))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("calibration 'pixels': expected one of the inputs [images] of model " + CNN
            + " but it has no input of that name");
    assertThatThrownBy(() -> quantize(NamedTensors.of("images", Tensor.ofDoubles(new double[64], 1, 1, 8, 8)), out))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("calibration 'images': expected FLOAT32 values but got FLOAT64");
    assertThatThrownBy(() -> quantize(NamedTensors.of("images", Tensor.ofFloats(new float[49], 1, 1, 7, 7)), out))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("calibration 'images': expected shape [batch, 1, 8, 8] with at least one row but got [1, 1, 7, 7]");
    assertThat(out).doesNotExist();
  }

  @Test
  void nothingToQuantize_andOutEqualToInput_areTypedErrors() throws Exception {
    Path identity = ONNX.resolve("dtype_float32.onnx");
    assertThatThrownBy(() -> StaticQuantizer.newBuilder()
        .calibration(NamedTensors.of("x", Tensor.ofFloats(new float[4], 1, 4))).build()
        .quantize(identity, dir.resolve("o.onnx")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("dtype_float32.onnx")
        .hasMessageContaining("Conv, MatMul or Gemm").hasMessageContaining("found none");
    Path copy = Files.copy(CNN, dir.resolve("cnn.onnx"));
    assertThatThrownBy(() -> quantize(NamedTensors.of("images", Npy.read(ONNX.resolve("cnn_calibration.npy"))),
        copy, dir.resolve("./cnn.onnx")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("the input");
    assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(CNN));
  }

  private static void quantize(NamedTensors calibration, Path out) {
    quantize(calibration, CNN, out);
  }

  private static void quantize(NamedTensors calibration, Path in, Path out) {
    StaticQuantizer.newBuilder().calibration(calibration).build().quantize(in, out);
  }
}
