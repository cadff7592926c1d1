package dev.jinfer.distill;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loss's gradient must not depend on when the garbage collector runs: every array the autograd graph keeps
 * for the backward pass has to stay valid until then (the cause of the non-reproducible training runs of issue
 * 16: DJL's {@code mul(Number)} frees its scalar while the graph still uses it).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DistillationLossTest {
  private static final int ROWS = 16;
  private static final int CLASSES = 10;

  @Test
  void gradient_isTheSame_whenTheCollectorRunsBetweenForwardAndBackward() {
    DistillationLoss loss = new DistillationLoss(4, 0.5f, true);
    float[] quiet = gradient(loss, false);
    float[] collected = gradient(loss, true);
    assertThat(collected).containsExactly(quiet);
  }

  @Test
  void softLossAlone_gradientIsTheSame_whenTheCollectorRunsBetweenForwardAndBackward() {
    DistillationLoss loss = new DistillationLoss(2, 1, false);
    assertThat(gradient(loss, true)).containsExactly(gradient(loss, false));
  }

  /** d loss / d logits on fixed seeded data; optionally with a collection and freed memory reused in between. */
  private static float[] gradient(DistillationLoss loss, boolean collectBeforeBackward) {
    Random random = new Random(3);
    float[] logits = new float[ROWS * CLASSES];
    float[] q = new float[ROWS * CLASSES];
    float[] logQ = new float[ROWS * CLASSES];
    float[] oneHot = new float[ROWS * CLASSES];
    for (int r = 0; r < ROWS; r++) {
      double sum = 0;
      for (int c = 0; c < CLASSES; c++) {
        logits[r * CLASSES + c] = (float) random.nextGaussian() * 3;
        q[r * CLASSES + c] = random.nextFloat() + 0.01f;
        sum += q[r * CLASSES + c];
      }
      for (int c = 0; c < CLASSES; c++) {
        q[r * CLASSES + c] /= (float) sum;
        logQ[r * CLASSES + c] = (float) Math.log(q[r * CLASSES + c]);
      }
      oneHot[r * CLASSES + random.nextInt(CLASSES)] = 1;
    }
    Shape shape = new Shape(ROWS, CLASSES);
    List<ByteBuffer> reused = new ArrayList<>();
    try (NDManager m = DjlPytorch.engine().newBaseManager(Device.cpu())) {
      NDArray s = m.create(logits, shape);
      s.setRequiresGradient(true);
      NDList labels = new NDList(m.create(q, shape), m.create(logQ, shape), m.create(oneHot, shape));
      try (GradientCollector collector = DjlPytorch.engine().newGradientCollector()) {
        NDArray l = loss.evaluate(labels, new NDList(s));
        if (collectBeforeBackward) {
          collectGarbage();
          // small direct buffers full of NaN: malloc hands them the chunks the collector just freed
          for (int i = 0; i < 2_000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, Float.NaN);
            reused.add(b);
          }
        }
        collector.backward(l);
      }
      float[] gradient = s.getGradient().toFloatArray();
      assertThat(reused).hasSize(collectBeforeBackward ? 2_000 : 0);
      return gradient;
    }
  }

  /**
   * Runs the collector until a direct buffer made unreachable before it has been freed (its cleaner ran, so the
   * cleaners of the same collection have been handed over too); bounded to 20 s.
   */
  private static void collectGarbage() {
    BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
    long before = direct.getCount();
    dropOneDirectBuffer();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (direct.getCount() > before) {
      assertThat(System.nanoTime()).as("the collector freed no direct buffer within 20 s").isLessThan(deadline);
      System.gc();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  private static void dropOneDirectBuffer() {
    ByteBuffer.allocateDirect(4).putFloat(0, 1);
  }
}
