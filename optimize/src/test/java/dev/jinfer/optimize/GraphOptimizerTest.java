package dev.jinfer.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelLoadException;
import dev.jinfer.OptimizationLevel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GraphOptimizerTest {
  @TempDir Path dir;

  @Test
  void basic_fusesMatMulAndAddIntoGemm_andTheResultComputesTheSame() throws Exception {
    Path in = dir.resolve("affine.onnx");
    OnnxModels.write(OnnxModelsTest.affine(), in);
    byte[] original = Files.readAllBytes(in);
    Path out = dir.resolve("affine.opt.onnx");

    GraphOptimizer.Result r = GraphOptimizer.newBuilder().level(OptimizationLevel.BASIC).build().optimize(in, out);

    assertThat(r.opsBefore()).isEqualTo(Map.of("Add", 1, "MatMul", 1));
    assertThat(r.opsAfter()).isEqualTo(Map.of("Gemm", 1));
    assertThat(r.nodesBefore()).isEqualTo(2);
    assertThat(r.nodesAfter()).isEqualTo(1);
    assertThat(r.bytesAfter()).isEqualTo(Files.size(out));
    assertThat(Files.readAllBytes(in)).isEqualTo(original);
    assertThat(OnnxModels.opCounts(OnnxModels.read(out))).isEqualTo(r.opsAfter());
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(out.toString(), new OrtSession.SessionOptions());
        OnnxTensor x = OnnxTensor.createTensor(env, new float[][] {{1, 10}});
        OrtSession.Result result = session.run(Map.of("x", x))) {
      assertThat(((float[][]) result.get(0).getValue())[0]).containsExactly(41.5f, 51, 65);
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactlyInAnyOrder(in, out);
    }
  }

  @Test
  void optimize_refusesTheInputAsOutput_andLeavesItAlone() throws Exception {
    Path in = dir.resolve("affine.onnx");
    OnnxModels.write(OnnxModelsTest.affine(), in);
    byte[] original = Files.readAllBytes(in);
    assertThatThrownBy(() -> GraphOptimizer.newBuilder().build().optimize(in, in))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("affine.onnx");
    assertThat(Files.readAllBytes(in)).isEqualTo(original);
  }

  @Test
  void optimize_rejectsAFileThatIsNotOnnx_andWritesNothing() throws Exception {
    Path in = Files.write(dir.resolve("garbage.onnx"), new byte[] {(byte) 0xff, 0x13, 0x37});
    Path out = dir.resolve("out.onnx");
    assertThatThrownBy(() -> GraphOptimizer.newBuilder().build().optimize(in, out))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("garbage.onnx");
    assertThat(out).doesNotExist();
  }
}
