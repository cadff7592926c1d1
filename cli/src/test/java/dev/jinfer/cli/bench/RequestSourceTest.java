package dev.jinfer.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.DType;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

class RequestSourceTest {
  private static final ModelSignature FRAUD = ModelSignature.of(List.of(TensorSpec.of("features", DType.FLOAT32, -1, 32)),
      List.of(TensorSpec.of("probabilities", DType.FLOAT32, -1, 2)));

  @Test
  void generated_followsTheSignature_forEveryDType() {
    List<TensorSpec> inputs = new ArrayList<>();
    for (DType t : DType.values()) {
      inputs.add(TensorSpec.of("in_" + t, t, -1, 3, -1));
    }
    ModelSignature sig = ModelSignature.of(inputs, List.of(TensorSpec.of("out", DType.FLOAT32, -1)));
    NamedTensors r = RequestSource.generated(sig, 4, 0, 1).next();

    sig.validate(r, List.of(), false);
    for (DType t : DType.values()) {
      Tensor x = r.get("in_" + t);
      assertThat(x.dtype()).isEqualTo(t);
      assertThat(x.shape().toArray()).containsExactly(4, 3, 1);
    }
  }

  @Test
  void generated_isRepeatableBySeed_andVariesBetweenRequests() {
    RequestSource a = RequestSource.generated(FRAUD, 2, 0, 5);
    RequestSource b = RequestSource.generated(FRAUD, 2, 0, 5);
    NamedTensors first = a.next();
    assertThat(b.next()).isEqualTo(first);
    assertThat(a.next()).isNotEqualTo(first);
    float[] v = first.get("features").toFloatArray();
    assertThat(v).hasSize(64);
    double mean = 0;
    for (float f : v) {
      mean += f / 64.0;
    }
    assertThat(Math.abs(mean)).as("standard normal values").isLessThan(0.6);
  }

  @Test
  void duplicateRatio_repeatsRecentRequestsInAboutThatShare() {
    int n = 20_000;
    for (double ratio : new double[] {0, 0.3, 0.8}) {
      RequestSource s = RequestSource.generated(FRAUD, 1, ratio, 11);
      Set<NamedTensors> seen = Collections.newSetFromMap(new IdentityHashMap<>());
      List<NamedTensors> all = new ArrayList<>();
      int repeats = 0;
      for (int i = 0; i < n; i++) {
        NamedTensors r = s.next();
        all.add(r);
        if (!seen.add(r)) {
          repeats++;
        }
      }
      assertThat((double) repeats / n).as("ratio %s", ratio).isCloseTo(ratio, org.assertj.core.data.Offset.offset(0.02));
      // repeats come from the recent distinct requests, so a cache of RECENT entries would hold them
      Set<Tensor> distinctContent = new java.util.HashSet<>();
      all.forEach(r -> distinctContent.add(r.get("features")));
      assertThat(distinctContent).hasSize(n - repeats);
    }
  }

  @Test
  void next_isSafeUnderConcurrentClients() throws Exception {
    RequestSource s = RequestSource.generated(FRAUD, 1, 0.5, 3);
    int threads = 8;
    int each = 2000;
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> ts = new ArrayList<>();
    List<NamedTensors> got = Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < each; i++) {
            got.add(s.next());
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      ts.add(th);
      th.start();
    }
    for (Thread th : ts) {
      th.join();
    }
    assertThat(got).hasSize(threads * each).doesNotContainNull();
    got.forEach(r -> FRAUD.validate(r, List.of(), false));
  }

  @Test
  void fromTensors_takesRowsInTurn_wrappingAroundTheFile() {
    float[] values = new float[5 * 32];
    for (int row = 0; row < 5; row++) {
      values[row * 32] = row;
    }
    Tensor file = Tensor.ofFloats(values, 5, 32);
    RequestSource s = RequestSource.fromTensors(FRAUD, Map.of("features", file), 2);
    assertThat(firstColumn(s.next())).containsExactly(0f, 1f);
    assertThat(firstColumn(s.next())).containsExactly(2f, 3f);
    assertThat(firstColumn(s.next())).containsExactly(4f, 0f);
    assertThat(firstColumn(s.next())).containsExactly(1f, 2f);

    RequestSource big = RequestSource.fromTensors(FRAUD, Map.of("features", file), 7);
    assertThat(firstColumn(big.next())).containsExactly(0f, 1f, 2f, 3f, 4f, 0f, 1f);
  }

  private static float[] firstColumn(NamedTensors r) {
    float[][] m = r.get("features").toFloatMatrix();
    float[] c = new float[m.length];
    for (int i = 0; i < m.length; i++) {
      c[i] = m[i][0];
    }
    return c;
  }

  @Test
  void fromTensors_rejectsFilesThatDoNotFit_namingTheInput() {
    assertThatThrownBy(() -> RequestSource.fromTensors(FRAUD, Map.of("features", Tensor.ofFloats(new float[8], 2, 4)), 1))
        .isInstanceOf(InvalidInputException.class).hasMessage("--input 'features': expected FLOAT32 [-1, 32] but got FLOAT32 [2, 4]");
    assertThatThrownBy(() -> RequestSource.fromTensors(FRAUD, Map.of("features", Tensor.ofDoubles(new double[32], 1, 32)), 1))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("expected FLOAT32 [-1, 32] but got FLOAT64 [1, 32]");
    assertThatThrownBy(() -> RequestSource.fromTensors(FRAUD, Map.of("feature", Tensor.ofFloats(new float[32], 1, 32)), 1))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("the model has no input 'feature'");
    assertThatThrownBy(() -> RequestSource.fromTensors(FRAUD, Map.of(), 1))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("'features' (FLOAT32 [-1, 32]) has none");
  }

  @Test
  void generated_rejectsARowCountAFixedBatchDimensionCannotTake() {
    ModelSignature fixed = ModelSignature.of(List.of(TensorSpec.of("x", DType.FLOAT32, 1, 4)),
        List.of(TensorSpec.of("y", DType.FLOAT32, 1, 4)));
    assertThat(RequestSource.generated(fixed, 1, 0, 1).next().get("x").shape().toArray()).containsExactly(1, 4);
    assertThatThrownBy(() -> RequestSource.generated(fixed, 8, 0, 1)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("input 'x': its first dimension is fixed at 1").hasMessageContaining("asks for 8 rows");
  }
}
