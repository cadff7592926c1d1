package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The metrics table of the repository's README ("## Metrics"), and the check that a meter registry holds
 * exactly what it says: for the rows chosen, every meter the table names is registered with the type, tag keys
 * and base unit it gives, and the registry holds no {@code jinfer.*} meter the table does not name.
 */
public final class MetricsTable {
  /**
   * One row.
   *
   * @param name the meter's name
   * @param type timer, counter, gauge or summary
   * @param tags the tag keys
   * @param unit the base unit, empty for none
   * @param from what registers it (model, registry, batching, cache, ...)
   */
  public record Row(String name, String type, Set<String> tags, String unit, String from) {}

  private MetricsTable() {}

  /** @return the rows of the README's metrics table, by meter name */
  public static Map<String, Row> read() {
    Path readme = Path.of(System.getProperty("jinfer.fixtures")).resolveSibling("README.md");
    List<String> lines;
    try {
      lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int start = lines.indexOf("## Metrics");
    assertThat(start).as("README.md has a '## Metrics' section").isNotNegative();
    Map<String, Row> rows = new TreeMap<>();
    for (String line : lines.subList(start + 1, lines.size())) {
      if (line.startsWith("## ")) {
        break;
      }
      if (!line.startsWith("| `")) {
        continue;
      }
      String[] cells = Arrays.stream(line.substring(1, line.length() - 1).split("\\|", -1)).map(String::trim)
          .toArray(String[]::new);
      assertThat(cells).as("metrics row %s: meter | type | tags | unit | from", line).hasSize(5);
      Set<String> tags = cells[2].isEmpty() ? Set.of()
          : Arrays.stream(cells[2].split(",")).map(t -> unquote(t.trim())).collect(Collectors.toCollection(TreeSet::new));
      rows.put(unquote(cells[0]), new Row(unquote(cells[0]), cells[1], tags, cells[3], cells[4]));
    }
    assertThat(rows).as("rows of README's metrics table").isNotEmpty();
    return rows;
  }

  private static String unquote(String s) {
    return s.startsWith("`") && s.endsWith("`") ? s.substring(1, s.length() - 1) : s;
  }

  /**
   * Checks a registry against the rows the filter chooses: each is registered, with its type, tag keys and unit,
   * and every other {@code jinfer.*} (or {@code http.*}) meter in the registry is in the table. No timer or
   * summary computes client-side percentiles.
   *
   * @param registry the registry, after traffic that registers every chosen meter
   * @param chosen which rows must be present
   */
  public static void check(MeterRegistry registry, Predicate<Row> chosen) {
    Map<String, Row> table = read();
    Map<String, List<Meter>> held = new TreeMap<>();
    for (Meter m : registry.getMeters()) {
      String name = m.getId().getName();
      if (name.endsWith(".histogram") && m.getId().getTag("le") != null) {
        continue; // a simple registry's bucket gauges of a timer's or summary's histogram, not a meter of ours
      }
      if (name.startsWith("jinfer.") || name.startsWith("http.")) {
        held.computeIfAbsent(name, k -> new ArrayList<>()).add(m);
      }
    }
    assertThat(table.keySet()).as("README's metrics table names every meter the registry holds")
        .containsAll(held.keySet());
    List<String> expected = table.values().stream().filter(chosen).map(Row::name).collect(Collectors.toList());
    assertThat(held.keySet()).as("meters the registry holds, against the table's rows for this setup")
        .containsExactlyInAnyOrderElementsOf(expected);
    for (List<Meter> named : held.values()) {
      named.forEach(m -> checkMeter(m, table.get(m.getId().getName())));
    }
  }

  /**
   * Checks the meters of some rows only (present, with the row's type, tag keys and unit), for a registry that
   * holds other meters as well.
   *
   * @param registry the registry, after traffic that registers the rows' meters
   * @param names the rows' meter names
   */
  public static void checkRows(MeterRegistry registry, String... names) {
    Map<String, Row> table = read();
    for (String name : names) {
      assertThat(table).as("README's metrics table").containsKey(name);
      List<Meter> found = List.copyOf(registry.find(name).meters());
      assertThat(found).as("meters named %s", name).isNotEmpty();
      found.forEach(m -> checkMeter(m, table.get(name)));
    }
  }

  private static void checkMeter(Meter m, Row row) {
    assertThat(type(m)).as("type of %s", m.getId()).isEqualTo(row.type());
    Set<String> keys = m.getId().getTags().stream().map(Tag::getKey).collect(Collectors.toCollection(TreeSet::new));
    assertThat(keys).as("tag keys of %s", m.getId()).isEqualTo(new TreeSet<>(row.tags()));
    String unit = m.getId().getBaseUnit();
    assertThat(unit == null ? "" : unit).as("base unit of %s", m.getId()).isEqualTo(row.unit());
    if (m instanceof Timer) {
      assertThat(((Timer) m).takeSnapshot().percentileValues()).as("client-side percentiles of %s", m.getId())
          .isEmpty();
    } else if (m instanceof DistributionSummary) {
      assertThat(((DistributionSummary) m).takeSnapshot().percentileValues())
          .as("client-side percentiles of %s", m.getId()).isEmpty();
    }
  }

  private static String type(Meter m) {
    switch (m.getId().getType()) {
      case DISTRIBUTION_SUMMARY:
        return "summary";
      default:
        return m.getId().getType().name().toLowerCase(Locale.ROOT);
    }
  }
}
