package dev.jinfer.onnx;

import static dev.jinfer.kit.HeapTensors.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.jinfer.LoadOptions;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.kit.HeapTensors;
import dev.jinfer.spi.ModelSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Heap-backed inputs go through reused direct buffers ({@link dev.jinfer.spi.StagingBuffers}), never shared by two calls. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OnnxInputStagingTest {
  private static OnnxModelSession open(int sessions) throws Exception {
    LoadOptions options = LoadOptions.newBuilder().property(OnnxBackend.SESSIONS, Integer.toString(sessions)).build();
    return OnnxModelSession.open(OrtEnvironment.getEnvironment(),
        new ModelSource(Fixtures.onnx("fraud.onnx"), new ModelId("fraud", "1")), OnnxConfig.from(options, 1_000_000));
  }

  /** A FLOAT32 tensor over a heap buffer, as another model's output or a caller's own bytes are. */
  private static Tensor heap(float[] values, long... shape) {
    Tensor t = HeapTensors.floats(values, shape);
    assertThat(t.isDirect()).isFalse();
    return t;
  }

  private static float[] predict(OnnxModelSession model, Tensor features) throws OrtException {
    return model.run(NamedTensors.of("features", features), List.of("probabilities")).get("probabilities").toFloatArray();
  }

  @Test
  void run_onHeapInputs_matchesDirectInputs_andReusesOneBuffer() throws Exception {
    try (OnnxModelSession model = open(1)) {
      Random random = new Random(5);
      for (int i = 0; i < 50; i++) {
        int rows = 1 + random.nextInt(300);
        float[] values = gaussian(random, rows * 32);
        float[] fromHeap = predict(model, heap(values, rows, 32));
        float[] fromDirect = predict(model, Tensor.ofFloats(values, rows, 32));
        assertThat(fromHeap).containsExactly(fromDirect);
        assertThat(model.staging().idle()).as("one caller at a time: one buffer, given back after each call").isEqualTo(1);
      }
    }
  }

  @Test
  void run_givesTheBufferBack_whenTheEngineFails() throws Exception {
    try (OnnxModelSession model = open(1)) {
      // OnnxModelSession.run is below core's validation: ONNX Runtime itself rejects the width
      Tensor wrong = heap(new float[4 * 31], 4, 31);
      assertThatThrownBy(() -> predict(model, wrong)).isInstanceOf(OrtException.class);
      assertThat(model.staging().idle()).isEqualTo(1);
      float[] values = gaussian(new Random(1), 4 * 32);
      assertThat(predict(model, heap(values, 4, 32))).containsExactly(predict(model, Tensor.ofFloats(values, 4, 32)));
      assertThat(model.staging().idle()).isEqualTo(1);
    }
  }

  @Test
  void run_onHeapInputs_isThreadSafe_eachCallGetsItsOwnBuffer_andResult() throws Exception {
    int threads = 8;
    int calls = 2_000;
    try (OnnxModelSession model = open(2)) {
      Random random = new Random(3);
      Tensor[] inputs = new Tensor[threads];
      float[][] expected = new float[threads][];
      for (int t = 0; t < threads; t++) {
        int rows = 1 + 37 * t; // different sizes: buffers grow and move between threads
        float[] values = gaussian(random, rows * 32);
        inputs[t] = heap(values, rows, 32);
        expected[t] = predict(model, Tensor.ofFloats(values, rows, 32));
      }
      CyclicBarrier start = new CyclicBarrier(threads);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<Integer>> wrong = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int me = t;
          wrong.add(pool.submit(() -> {
            start.await(1, TimeUnit.MINUTES);
            int bad = 0;
            for (int i = 0; i < calls; i++) {
              float[] got = predict(model, inputs[me]);
              if (!java.util.Arrays.equals(got, expected[me])) {
                bad++;
              }
            }
            return bad;
          }));
        }
        for (Future<Integer> f : wrong) {
          assertThat(f.get(2, TimeUnit.MINUTES)).as("calls with another call's data or a wrong result").isZero();
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(model.staging().idle()).as("every buffer given back (at most one per caller)").isBetween(1, threads);
    }
  }
}
