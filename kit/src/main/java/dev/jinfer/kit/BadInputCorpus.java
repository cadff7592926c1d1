package dev.jinfer.kit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The bad-input corpus of {@code fixtures/bad/} (issue 14): each case's model, input and the outcome jinfer
 * must give, read from {@code fixtures/bad/expectations.tsv} (its header documents the columns). The cli
 * module runs every case through the Java API and the CLI; a server can run the same cases through its
 * own protocol by reading them here. Immutable, so thread-safe.
 */
public final class BadInputCorpus {
  /** The table's file name inside {@code fixtures/bad/}. */
  public static final String TABLE = "expectations.tsv";
  /** The HTTP table's file name inside {@code fixtures/bad/}: requests to the REST service. */
  public static final String HTTP_TABLE = "http.tsv";

  /**
   * One HTTP case: a request to the REST service serving {@code onnx/fraud.onnx} as {@code fraud}.
   *
   * @param name a unique name
   * @param method the HTTP method
   * @param path the request path
   * @param body the request body (read from its file, or generated for {@code oversized:N})
   * @param status the expected HTTP status
   * @param code the expected {@code /v1} error code, {@code OK} for a good request, {@code -} for {@code /v2}
   * @param words the words the error message (or a good answer) must contain
   */
  public record HttpCase(String name, String method, String path, byte[] body, int status, String code, List<String> words) {
    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * One case.
   *
   * @param name a unique name
   * @param model the model path
   * @param inputName the model input fed, or null for a load-only case
   * @param input the {@code .npy} file fed, or null for a load-only case
   * @param code the expected ErrorCode name, or {@code OK}
   * @param exitCode the expected exit code of the CLI
   * @param words for an error, the words its message must contain
   * @param reference for {@code OK}, the reference output file
   */
  public record Case(String name, Path model, @Nullable String inputName, @Nullable Path input, String code, int exitCode,
      List<String> words, @Nullable Path reference) {
    /** @return whether the case is a legal input that must give the reference answer */
    public boolean isOk() {
      return code.equals("OK");
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private BadInputCorpus() {}

  /**
   * Reads every case.
   *
   * @param fixtures the {@code fixtures/} directory
   * @return the cases, in table order
   * @throws UncheckedIOException if the table cannot be read
   * @throws IllegalArgumentException naming the line if a row is malformed or a file it names is missing
   */
  public static List<Case> load(Path fixtures) {
    List<Case> cases = new ArrayList<>();
    for (Row row : rows(fixtures, TABLE, 6)) {
      String[] f = row.fields();
      String where = row.where();
      Path model = existing(fixtures, f[1], where);
      String inputName = null;
      Path input = null;
      if (!f[2].equals("-")) {
        int eq = f[2].indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(where + ": expected input NAME=FILE or - but got '" + f[2] + "'");
        }
        inputName = f[2].substring(0, eq);
        input = existing(fixtures, f[2].substring(eq + 1), where);
      }
      boolean ok = f[3].equals("OK");
      cases.add(new Case(f[0], model, inputName, input, f[3], Integer.parseInt(f[4]),
          ok ? List.of() : List.of(f[5].split("\\|")), ok ? existing(fixtures, f[5], where) : null));
    }
    return List.copyOf(cases);
  }

  /**
   * Reads every HTTP case of {@code fixtures/bad/http.tsv}.
   *
   * @param fixtures the {@code fixtures/} directory
   * @return the cases, in table order
   * @throws UncheckedIOException if the table or a body cannot be read
   * @throws IllegalArgumentException naming the line if a row is malformed or a file it names is missing
   */
  public static List<HttpCase> loadHttp(Path fixtures) {
    List<HttpCase> cases = new ArrayList<>();
    for (Row row : rows(fixtures, HTTP_TABLE, 7)) {
      String[] f = row.fields();
      String where = row.where();
      byte[] body;
      if (f[3].startsWith("oversized:")) {
        int n = Integer.parseInt(f[3].substring("oversized:".length()));
        body = new byte[n];
        java.util.Arrays.fill(body, (byte) ' ');
        byte[] head = "{\"features\": [".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, body, 0, Math.min(head.length, n));
      } else {
        try {
          body = Files.readAllBytes(existing(fixtures, f[3], where));
        } catch (IOException e) {
          throw new UncheckedIOException(where + ": " + e.getMessage(), e);
        }
      }
      cases.add(new HttpCase(f[0], f[1], f[2], body, Integer.parseInt(f[4]), f[5], List.of(f[6].split("\\|"))));
    }
    return List.copyOf(cases);
  }

  /** A data row of a table, with where it stands for error messages. */
  private record Row(String where, String[] fields) {}

  /**
   * The data rows of {@code fixtures/bad/TABLE}: blank and {@code #} lines skipped, the header row checked and
   * dropped, every row of exactly {@code columns} tab-separated fields, case names (first field) unique.
   */
  private static List<Row> rows(Path fixtures, String table, int columns) {
    List<String> lines;
    try {
      lines = Files.readAllLines(fixtures.resolve("bad").resolve(table), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Row> rows = new ArrayList<>();
    Set<String> names = new HashSet<>();
    boolean header = true;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", -1);
      String where = table + " line " + (i + 1);
      if (f.length != columns) {
        throw new IllegalArgumentException(where + ": expected " + columns + " tab-separated columns but got " + f.length);
      }
      if (header) {
        header = false;
        continue;
      }
      if (!names.add(f[0])) {
        throw new IllegalArgumentException(where + ": case '" + f[0] + "' appears twice");
      }
      rows.add(new Row(where, f));
    }
    return rows;
  }

  private static Path existing(Path fixtures, String relative, String where) {
    Path p = fixtures.resolve(relative);
    if (!Files.exists(p)) {
      throw new IllegalArgumentException(where + ": " + p + " does not exist");
    }
    return p;
  }
}
