package dev.jinfer.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWritersTest {
  @TempDir
  Path tmp;

  /** A level whose latencies are 1..n ms (uniform), over 2 s, with the given errors. */
  private static LevelResult level(int concurrency, int n, Map<String, Long> errors, long sloNanos,
      Map<String, Long> counters) {
    Histogram h = new Histogram(3);
    for (int i = 1; i <= n; i++) {
      h.recordValue(i * 1_000_000L);
    }
    List<WindowResult> windows = List.of(new WindowResult(1.0, n / 2, 0, 0, 0, 0, 0, 0, 0),
        new WindowResult(1.0, n - n / 2, 0, 0, 0, 0, 0, 0, 0));
    return new LevelResult(concurrency, 0, 4, h, 0, 2.0, new TreeMap<>(errors), sloNanos, true, windows, 2, counters, null);
  }

  private static BenchReport report() {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("concurrency", List.of(1, 2));
    settings.put("window", "1s");
    settings.put("cache", Map.of("size", 10));
    return new BenchReport("fraud:1 (backend onnx, cpu)", "closed loop", settings, List.of(
        level(1, 100, Map.of(), 50_000_000, Map.of(PredictorTarget.CACHE_HITS, 30L, PredictorTarget.CACHE_MISSES, 70L)),
        level(2, 1000, Map.of("OVERLOADED", 5L, "HTTP 503 CIRCUIT_OPEN", 2L), 50_000_000,
            Map.of(PredictorTarget.CACHE_HITS, 10L, PredictorTarget.CACHE_MISSES, 10L))),
        List.of("c=2: something to know"));
  }

  @Test
  void json_holdsEveryFigure_andParsesBack() throws Exception {
    Path file = tmp.resolve("r.json");
    JsonReport.write(report(), file);
    JsonNode root = new ObjectMapper().readTree(file.toFile());

    assertThat(root.path("target").asText()).isEqualTo("fraud:1 (backend onnx, cpu)");
    assertThat(root.path("settings").path("cache").path("size").asInt()).isEqualTo(10);
    JsonNode l1 = root.path("levels").get(0);
    assertThat(l1.path("concurrency").asInt()).isEqualTo(1);
    assertThat(l1.path("requests").asLong()).isEqualTo(100);
    assertThat(l1.path("rows").asLong()).isEqualTo(400);
    assertThat(l1.path("throughput").asDouble()).isEqualTo(50.0);
    assertThat(l1.path("rowsPerSecond").asDouble()).isEqualTo(200.0);
    JsonNode lat = l1.path("latencyMs");
    // 1..100 ms uniform: HdrHistogram keeps 3 significant digits
    assertThat(lat.path("p50").asDouble()).isCloseTo(50, org.assertj.core.data.Offset.offset(0.1));
    assertThat(lat.path("p99").asDouble()).isCloseTo(99, org.assertj.core.data.Offset.offset(0.1));
    assertThat(lat.path("max").asDouble()).isCloseTo(100, org.assertj.core.data.Offset.offset(0.1));
    assertThat(l1.path("sloMs").asDouble()).isEqualTo(50.0);
    assertThat(l1.path("withinSlo").asDouble()).isCloseTo(0.50, org.assertj.core.data.Offset.offset(0.011));
    assertThat(l1.path("goodput").asDouble()).isCloseTo(25.0, org.assertj.core.data.Offset.offset(0.6));
    assertThat(l1.path("cacheHitRatio").asDouble()).isEqualTo(0.3);
    assertThat(l1.path("windows")).hasSize(2);
    assertThat(l1.has("openLoop")).isFalse();
    JsonNode l2 = root.path("levels").get(1);
    assertThat(l2.path("errors").asLong()).isEqualTo(7);
    assertThat(l2.path("errorsByType").path("OVERLOADED").asLong()).isEqualTo(5);
    assertThat(l2.path("errorsByType").path("HTTP 503 CIRCUIT_OPEN").asLong()).isEqualTo(2);
    // the share within the SLO counts failed requests as misses: 50 of 1007
    assertThat(l2.path("withinSlo").asDouble()).isCloseTo(50.0 / 1007, org.assertj.core.data.Offset.offset(0.002));
    assertThat(root.path("warnings").get(0).asText()).isEqualTo("c=2: something to know");
  }

  @Test
  void csv_hasAHeaderAndOneRowPerLevel_withQuotedErrorLists() throws Exception {
    Path file = tmp.resolve("r.csv");
    CsvReport.write(report(), file);
    List<String> lines = Files.readAllLines(file);

    assertThat(lines).hasSize(3);
    assertThat(lines.get(0).split(",")).containsExactlyElementsOf(CsvReport.HEADER);
    List<String> row2 = parseCsvLine(lines.get(2));
    assertThat(row2).hasSize(CsvReport.HEADER.size());
    Map<String, String> byName = new LinkedHashMap<>();
    for (int i = 0; i < row2.size(); i++) {
      byName.put(CsvReport.HEADER.get(i), row2.get(i));
    }
    assertThat(byName.get("mode")).isEqualTo("closed");
    assertThat(byName.get("concurrency")).isEqualTo("2");
    assertThat(byName.get("rate")).isEmpty();
    assertThat(Double.parseDouble(byName.get("throughput"))).isEqualTo(500.0);
    assertThat(Double.parseDouble(byName.get("p99_ms"))).isCloseTo(990, org.assertj.core.data.Offset.offset(1.0));
    assertThat(byName.get("errors")).isEqualTo("7");
    assertThat(byName.get("errors_by_type")).isEqualTo("HTTP 503 CIRCUIT_OPEN x2, OVERLOADED x5");
    assertThat(Double.parseDouble(byName.get("cache_hit_ratio"))).isEqualTo(0.5);
    assertThat(byName.get("requests_per_batch")).isEmpty();
    assertThat(byName.get("stable")).isEqualTo("true");
  }

  /** A minimal RFC 4180 line parser: commas, double-quoted fields with doubled quotes. */
  private static List<String> parseCsvLine(String line) {
    List<String> cells = new java.util.ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cell.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cell.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        cells.add(cell.toString());
        cell.setLength(0);
      } else {
        cell.append(c);
      }
    }
    cells.add(cell.toString());
    return cells;
  }

  @Test
  void table_showsOneAlignedRowPerLevel_errorsSloAndWarnings() {
    StringWriter s = new StringWriter();
    TableReport.write(report(), new PrintWriter(s));
    String out = s.toString();

    assertThat(out).contains("Target   fraud:1 (backend onnx, cpu)").contains("Mode     closed loop");
    assertThat(out).containsPattern("conc\\s+req/s\\s+rows/s\\s+p50 ms\\s+p90 ms\\s+p95 ms\\s+p99 ms\\s+p99\\.9 ms\\s+max ms"
        + "\\s+errors\\s+goodput/s\\s+in SLO\\s+cache hit\\s+windows");
    assertThat(out).containsPattern("(?m)^\\s+1\\s+50\\s+200\\s+50\\.\\d+\\s+90\\.\\d+\\s+95\\.\\d+\\s+99\\.\\d+\\s+100\\.\\d+"
        + "\\s+100\\.\\d+\\s+0\\s+25\\s+50\\.0%\\s+30\\.0%\\s+2/2 stable$");
    assertThat(out).contains("Errors   c=2: HTTP 503 CIRCUIT_OPEN x2, OVERLOADED x5");
    assertThat(out).contains("WARNING  c=2: something to know");
    String[] lines = out.split("\\R");
    int headerLength = -1;
    for (String l : lines) {
      if (l.startsWith("conc")) {
        headerLength = l.length();
      } else if (headerLength > 0 && l.matches("\\s+\\d.*")) {
        assertThat(l).hasSize(headerLength);
      }
    }
  }

  @Test
  void chart_isAPngOfTheDeclaredSize_withPlottedPixels() throws Exception {
    Path file = tmp.resolve("chart.png");
    LatencyChart.write(report(), file);
    BufferedImage img = ImageIO.read(file.toFile());

    assertThat(img).isNotNull();
    assertThat(img.getWidth()).isEqualTo(LatencyChart.WIDTH);
    assertThat(img.getHeight()).isEqualTo(LatencyChart.HEIGHT);
    Set<Integer> colours = new HashSet<>();
    int red = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int rgb = img.getRGB(x, y) & 0xFFFFFF;
        colours.add(rgb);
        int r = rgb >> 16;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        if (r > 180 && g < 80 && b < 80) {
          red++;
        }
      }
    }
    assertThat(colours.size()).as("distinct colours: not a blank image").isGreaterThan(20);
    assertThat(red).as("pixels of the red p99 series").isGreaterThan(100);
  }
}
