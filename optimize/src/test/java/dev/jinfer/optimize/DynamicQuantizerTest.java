package dev.jinfer.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.jinfer.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DynamicQuantizerTest {
  private static final Path FRAUD =
      Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx/fraud.onnx");

  @TempDir Path dir;

  private static float[][] run(Path model, String input, float[][] x) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions());
        OnnxTensor t = OnnxTensor.createTensor(env, x);
        OrtSession.Result result = session.run(Map.of(input, t))) {
      return (float[][]) result.get(result.size() - 1).getValue();
    }
  }

  @ParameterizedTest
  @EnumSource(DynamicQuantizer.Granularity.class)
  void fraud_quantizesEveryGemm_andAgreesWithFloatOnSeededRows(DynamicQuantizer.Granularity granularity)
      throws Exception {
    Path out = dir.resolve("fraud.int8.onnx");
    byte[] original = Files.readAllBytes(FRAUD);
    Map<String, Integer> ops = DynamicQuantizer.newBuilder().granularity(granularity).build().quantize(FRAUD, out);

    assertThat(ops).doesNotContainKey("Gemm").containsEntry("MatMulInteger", 3).containsEntry("DynamicQuantizeLinear", 3);
    assertThat(Files.readAllBytes(FRAUD)).isEqualTo(original);
    assertThat(Files.size(out)).isLessThan(Files.size(FRAUD) / 3);
    Random random = new Random(7);
    float[][] x = new float[1000][32];
    for (float[] row : x) {
      for (int i = 0; i < row.length; i++) {
        row[i] = (float) random.nextGaussian();
      }
    }
    float[][] a = run(FRAUD, "features", x);
    float[][] b = run(out, "features", x);
    int agree = 0;
    double maxDiff = 0;
    for (int i = 0; i < x.length; i++) {
      agree += (a[i][1] > a[i][0]) == (b[i][1] > b[i][0]) ? 1 : 0;
      maxDiff = Math.max(maxDiff, Math.abs(a[i][1] - b[i][1]));
    }
    assertThat(agree).as("argmax agreement of 1000").isGreaterThanOrEqualTo(990);
    assertThat(maxDiff).isLessThan(0.1);
  }

  @Test
  void exclude_leavesTheNamedNodeInFloat_andAModelWithNothingLeftIsATypedError() throws Exception {
    Path in = dir.resolve("affine.onnx");
    OnnxModels.write(OnnxModelsTest.affine(), in);
    Path out = dir.resolve("affine.int8.onnx");
    Map<String, Integer> ops = DynamicQuantizer.newBuilder().build().quantize(in, out);
    assertThat(ops).containsEntry("MatMulInteger", 1).doesNotContainKey("MatMul");
    float[][] y = run(out, "x", new float[][] {{1, 10}});
    assertThat(y[0][0]).isCloseTo(41.5f, Offset.offset(0.5f));

    assertThatThrownBy(() -> DynamicQuantizer.newBuilder().exclude("mm").build().quantize(in, dir.resolve("o.onnx")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("affine.onnx")
        .hasMessageContaining("found none").hasMessageContaining("mm");
    assertThat(dir.resolve("o.onnx")).doesNotExist();
  }
}
