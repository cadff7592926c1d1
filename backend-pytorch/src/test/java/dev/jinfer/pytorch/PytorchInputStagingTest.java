package dev.jinfer.pytorch;

import static dev.jinfer.kit.HeapTensors.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.LoadOptions;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.kit.HeapTensors;
import dev.jinfer.spi.ModelSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Heap-backed inputs reach libtorch through reused direct buffers ({@link dev.jinfer.spi.StagingBuffers}), given
 * back only after the call's native tensors are freed; outputs come back on the heap. (That concurrent calls never
 * share a buffer is the compatibility kit's {@code predict_heapBackedInputs_fromEightThreads_eachGetsItsOwnResult},
 * run on every backend.)
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PytorchInputStagingTest {
  private static final Path PT = Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("pytorch");

  private static PytorchModelSession open(String file) {
    return (PytorchModelSession) new PytorchBackend().load(new ModelSource(PT.resolve(file), new ModelId("m", "1")),
        LoadOptions.defaults());
  }

  /** A FLOAT32 tensor over a heap buffer, as another model's output or the REST service's parsed request is. */
  private static Tensor heap(float[] values, long... shape) {
    Tensor t = HeapTensors.floats(values, shape);
    assertThat(t.isDirect()).isFalse();
    return t;
  }

  private static float[] fraud(PytorchModelSession model, Tensor features) {
    return model.run(NamedTensors.of("features", features), List.of("probabilities")).get("probabilities").toFloatArray();
  }

  @Test
  void heapInputs_matchDirectInputs_throughOneReusedBuffer_andOutputsAreOnTheHeap() {
    try (PytorchModelSession model = open("fraud.pt")) {
      Random random = new Random(5);
      for (int i = 0; i < 50; i++) {
        int rows = 1 + random.nextInt(300);
        float[] values = gaussian(random, rows * 32);
        float[] fromHeap = fraud(model, heap(values, rows, 32));
        float[] fromDirect = fraud(model, Tensor.ofFloats(values, rows, 32));
        assertThat(fromHeap).containsExactly(fromDirect);
        assertThat(model.staging().idle()).as("one caller at a time: one buffer, given back after each call").isEqualTo(1);
      }
      Tensor out = model.run(NamedTensors.of("features", heap(new float[32], 1, 32)), List.of("probabilities"))
          .get("probabilities");
      assertThat(out.isDirect()).as("outputs are copied to the heap").isFalse();
    }
  }

  @Test
  void outputs_stayTheirCallsOwn_whileTheStagingBufferServesLaterCalls() {
    try (PytorchModelSession model = open("dtype_float32.pt")) {
      List<Tensor> outs = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        outs.add(model.run(NamedTensors.of("x", heap(new float[] {i, i + 1, i + 2}, 1, 3)), List.of("y")).get("y"));
      }
      for (int i = 0; i < 50; i++) {
        assertThat(outs.get(i).toFloatArray()).as("call %d", i).containsExactly(i, i + 1, i + 2);
      }
      assertThat(model.staging().idle()).isEqualTo(1);
    }
  }

  @Test
  void buffersGoBack_whenLibtorchFails() {
    try (PytorchModelSession model = open("multi_io.pt")) {
      // below core's validation on purpose: libtorch fails inside forward (shapes [1,4] and [1,3])
      NamedTensors bad = NamedTensors.of("a", heap(new float[] {1, 2, 3, 4}, 1, 4), "b", heap(new float[] {1, 1, 1}, 1, 3));
      for (int i = 0; i < 3; i++) {
        assertThatThrownBy(() -> model.run(bad, List.of("sum"))).isInstanceOf(RuntimeException.class);
        assertThat(model.staging().idle()).as("both inputs' buffers back").isEqualTo(2);
      }
      NamedTensors good = NamedTensors.of("a", heap(new float[] {1, 2, 3, 4}, 1, 4), "b", heap(new float[] {1, 1, 1, 1}, 1, 4));
      assertThat(model.run(good, List.of("dot")).get("dot").toFloatArray()).containsExactly(10f);
    }
  }
}
