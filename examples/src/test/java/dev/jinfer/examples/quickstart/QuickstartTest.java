package dev.jinfer.examples.quickstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class QuickstartTest {
  private static final Pattern ROW =
      Pattern.compile("(?m)^\\s+(\\d+)\\s+(-?\\d+\\.\\d{4})\\s+(FRAUD|legit)\\s+(\\d+\\.\\d)%$");
  private static final Pattern PERCENTILE = Pattern.compile("(?m)^  latency (p50|p90|p99|max)\\s+(\\d+\\.\\d) us$");
  private static final Pattern THROUGHPUT = Pattern.compile("(?m)^  throughput\\s+([\\d,]+) predictions/s$");

  private static String runQuickstart(int transactions, int warmup) {
    return runQuickstart(Quickstart.Engine.ONNX, transactions, warmup);
  }

  private static String runQuickstart(Quickstart.Engine engine, int transactions, int warmup) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      Quickstart.run(engine, transactions, warmup, out);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void run_printsPredictionTable_withProbabilitiesInUnitIntervalAndConsistentLabels() {
    String out = runQuickstart(300, 50);

    assertThat(out).startsWith("Loaded fraud:1 on onnx (cpu): [features: FLOAT32 [-1, 32]] -> "
        + "[probabilities: FLOAT32 [-1, 2]]");
    assertThat(out).contains("  transaction  P(fraud)  predicted  confidence");
    Matcher m = ROW.matcher(out);
    List<Integer> numbers = new ArrayList<>();
    Set<String> distinct = new HashSet<>();
    while (m.find()) {
      numbers.add(Integer.parseInt(m.group(1)));
      double p = Double.parseDouble(m.group(2));
      String label = m.group(3);
      double confidence = Double.parseDouble(m.group(4));
      assertThat(p).as("P(fraud) of row %s", m.group(1)).isBetween(0.0, 1.0);
      assertThat(label).as("label of row %s", m.group(1)).isEqualTo(p >= 0.5 ? "FRAUD" : "legit");
      assertThat(confidence).as("confidence of row %s", m.group(1)).isCloseTo(100 * Math.max(p, 1 - p),
          offset(0.06));
      distinct.add(m.group(2));
    }
    assertThat(numbers).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(distinct).as("different transactions get different scores").hasSizeGreaterThan(4);
  }

  @Test
  void run_printsOrderedLatencyPercentilesAndThroughput() {
    String out = runQuickstart(300, 50);

    assertThat(out).contains("Scored 300 transactions, one row per call on one thread, after 50 warm-up calls:");
    Matcher m = PERCENTILE.matcher(out);
    List<String> names = new ArrayList<>();
    List<Double> micros = new ArrayList<>();
    while (m.find()) {
      names.add(m.group(1));
      micros.add(Double.parseDouble(m.group(2)));
    }
    assertThat(names).containsExactly("p50", "p90", "p99", "max");
    assertThat(micros.get(0)).isPositive();
    assertThat(micros).isSorted();
    Matcher t = THROUGHPUT.matcher(out);
    assertThat(t.find()).as("throughput line in:%n%s", out).isTrue();
    assertThat(Long.parseLong(t.group(1).replace(",", ""))).isPositive();
  }

  @Test
  void run_withFewerTransactionsThanTableRows_showsOnlyThose() {
    String out = runQuickstart(3, 0);

    Matcher m = ROW.matcher(out);
    int rows = 0;
    while (m.find()) {
      rows++;
    }
    assertThat(rows).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(Quickstart.Engine.class)
  void bundledModel_onEveryEngine_isTheFixture_andScoresItsReferenceInput(Quickstart.Engine engine) {
    Path fixtures = Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx");
    Tensor input = Npy.read(fixtures.resolve("fraud_input.npy"));
    float[] expected = Npy.read(fixtures.resolve("fraud_output.npy")).toFloatArray();

    try (Model model = Quickstart.loadBundledModel(engine)) {
      assertThat(model.backend()).isEqualTo(engine.name().toLowerCase(Locale.ROOT));
      float[] actual = model.predictor().predict(NamedTensors.of("features", input)).get("probabilities").toFloatArray();

      assertThat(actual).hasSameSizeAs(expected);
      for (int i = 0; i < actual.length; i++) {
        assertThat(actual[i]).as("%s element %d", engine, i).isCloseTo(expected[i], offset(1e-5f));
      }
    }
  }

  @Test
  void run_onEveryEngine_printsTheSamePredictions() {
    List<String> tables = new ArrayList<>();
    for (Quickstart.Engine engine : Quickstart.Engine.values()) {
      String out = runQuickstart(engine, 8, 0);
      assertThat(out).as(engine.name()).startsWith("Loaded fraud:1 on " + engine.name().toLowerCase(Locale.ROOT));
      Matcher m = ROW.matcher(out);
      StringBuilder rows = new StringBuilder();
      while (m.find()) {
        rows.append(m.group(1)).append(' ').append(m.group(3)).append('\n');
      }
      tables.add(rows.toString());
    }
    assertThat(tables.get(0)).isNotEmpty();
    assertThat(tables).as("labels per transaction on onnx, tensorflow, pytorch").containsOnly(tables.get(0));
  }
}
