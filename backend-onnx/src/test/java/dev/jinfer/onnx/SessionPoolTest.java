package dev.jinfer.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import dev.jinfer.DType;
import dev.jinfer.LoadOptions;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.spi.ModelSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SessionPoolTest {
  private static OnnxModelSession open(int sessions) throws Exception {
    LoadOptions options = LoadOptions.newBuilder().property(OnnxBackend.SESSIONS, Integer.toString(sessions)).build();
    return OnnxModelSession.open(OrtEnvironment.getEnvironment(),
        new ModelSource(Fixtures.onnx("fraud.onnx"), new ModelId("fraud", "1")), OnnxConfig.from(options, 1_000_000));
  }

  @Test
  void acquire_handsOutIdleSessionsFirst_thenTheLeastBusy() throws Exception {
    try (OnnxModelSession model = open(3)) {
      SessionPool pool = model.pool();
      assertThat(pool.size()).isEqualTo(3);
      Set<Integer> slots = new HashSet<>();
      for (int i = 0; i < 3; i++) {
        slots.add(pool.acquire());
      }
      assertThat(slots).containsExactlyInAnyOrder(0, 1, 2);
      int fourth = pool.acquire();
      assertThat(pool.busy(fourth)).isEqualTo(2);
      pool.release(1);
      assertThat(pool.acquire()).as("the only idle session").isEqualTo(1);
      for (int slot : new int[] {0, 1, 2, fourth}) {
        pool.release(slot);
      }
      for (int slot = 0; slot < 3; slot++) {
        assertThat(pool.busy(slot)).isZero();
      }
    }
  }

  @Test
  void aPoolOfOne_doesNoBookkeeping() throws Exception {
    try (OnnxModelSession model = open(1)) {
      SessionPool pool = model.pool();
      assertThat(pool.acquire()).isZero();
      assertThat(pool.acquire()).isZero();
      assertThat(pool.busy(0)).isZero();
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void run_isThreadSafe_acrossAPoolOfTwo_eachThreadGetsItsOwnResult_andTheCountsReturnToZero() throws Exception {
    int threads = 8;
    int calls = 2_000;
    try (OnnxModelSession model = open(2)) {
      Random random = new Random(3);
      Tensor[] inputs = new Tensor[threads];
      float[][] expected = new float[threads][];
      for (int t = 0; t < threads; t++) {
        float[] rows = new float[4 * 32];
        for (int i = 0; i < rows.length; i++) {
          rows[i] = (float) random.nextGaussian();
        }
        inputs[t] = Tensor.ofFloats(rows, 4, 32);
        expected[t] = predict(model, inputs[t]);
      }
      CyclicBarrier start = new CyclicBarrier(threads);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<Integer>> wrong = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int me = t;
          wrong.add(pool.submit(() -> {
            start.await();
            int bad = 0;
            for (int i = 0; i < calls; i++) {
              float[] got = predict(model, inputs[me]);
              for (int k = 0; k < got.length; k++) {
                if (Float.floatToIntBits(got[k]) != Float.floatToIntBits(expected[me][k])) {
                  bad++;
                  break;
                }
              }
            }
            return bad;
          }));
        }
        for (Future<Integer> f : wrong) {
          assertThat(f.get()).as("calls with another thread's or a wrong result").isZero();
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(model.pool().busy(0)).isZero();
      assertThat(model.pool().busy(1)).isZero();
    }
  }

  private static float[] predict(OnnxModelSession model, Tensor features) throws Exception {
    return model.run(NamedTensors.of("features", features), List.of("probabilities")).get("probabilities").toFloatArray();
  }

  @Test
  void toOnnx_wrapsADirectTensor_withoutACopy() throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Tensor direct = Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    assertThat(direct.isDirect()).isTrue();
    try (OnnxTensor t = OnnxTensors.toOnnx(env, direct)) {
      assertThat(t.ownsBuffer()).as("ONNX Runtime made its own copy").isFalse();
      assertThat(t.getFloatBuffer().array()).containsExactly(1, 2, 3, 4, 5, 6);
    }
    // a row slice starts mid-buffer: ONNX Runtime must honour the view's offset
    try (OnnxTensor t = OnnxTensors.toOnnx(env, direct.row(1))) {
      assertThat(t.ownsBuffer()).isFalse();
      assertThat(t.getFloatBuffer().array()).containsExactly(4, 5, 6);
    }
    for (DType dtype : new DType[] {DType.FLOAT16, DType.BOOL, DType.UINT8}) {
      Tensor tensor = Tensor.fromBuffer(dtype, ByteBuffer.allocateDirect(2 * 3 * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN), 2, 3);
      try (OnnxTensor t = OnnxTensors.toOnnx(env, tensor)) {
        assertThat(t.ownsBuffer()).isFalse();
        assertThat(OnnxTensors.dtype(t.getInfo().onnxType)).isEqualTo(dtype);
      }
    }
  }
}
