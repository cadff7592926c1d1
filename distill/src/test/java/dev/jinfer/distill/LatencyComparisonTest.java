package dev.jinfer.distill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.InvalidInputException;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LatencyComparisonTest {
  static final Path TEACHER = DistillerTest.TEACHER;
  static final Path FRAUD = Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx/fraud.onnx");

  private static Tensor data() {
    return Npy.read(DistillerTest.FIXTURES.resolve("digits_test_x.npy"));
  }

  @Test
  void measure_reportsEveryBatchSizeInOrder_withTheCallsAsked_inBlocksOrInterleaved() {
    for (int block : new int[] {1, 7, 500}) {
      List<LatencyComparison.Latency> l = LatencyComparison.newBuilder().batchSizes(3, 1).calls(20).warmupCalls(2)
          .blockCalls(block).build().measure(TEACHER, TEACHER, data());

      assertThat(l).extracting(LatencyComparison.Latency::batchSize).containsExactly(3, 1);
      for (LatencyComparison.Latency x : l) {
        assertThat(x.calls()).isEqualTo(20);
        assertThat(x.teacherMedianMicros()).isPositive().isLessThanOrEqualTo(x.teacherP90Micros());
        assertThat(x.studentMedianMicros()).isPositive().isLessThanOrEqualTo(x.studentP90Micros());
        assertThat(x.speedup()).isEqualTo(x.teacherMedianMicros() / x.studentMedianMicros());
        assertThat(x.pairedSpeedup()).isPositive().isFinite();
      }
    }
  }

  @Test
  void measure_batchLargerThanTheData_repeatsRows() {
    Tensor two = data().slice(0, 2);
    List<LatencyComparison.Latency> l = LatencyComparison.newBuilder().batchSizes(5).calls(3).warmupCalls(0).build()
        .measure(TEACHER, TEACHER, two);
    assertThat(l).singleElement().extracting(LatencyComparison.Latency::batchSize).isEqualTo(5);
  }

  @Test
  void badInput_namesWhatWasExpected() {
    LatencyComparison c = LatencyComparison.newBuilder().calls(2).warmupCalls(0).build();
    assertThatThrownBy(() -> c.measure(TEACHER, TEACHER, data().slice(0, 0)))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("data: expected at least one row");
    assertThatThrownBy(() -> c.measure(TEACHER, FRAUD, data()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("expected the teacher's input 'pixels'");
    assertThatThrownBy(() -> LatencyComparison.newBuilder().blockCalls(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("blockCalls must be > 0 but was 0");
  }
}
