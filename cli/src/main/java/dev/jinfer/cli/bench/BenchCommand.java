package dev.jinfer.cli.bench;

import dev.jinfer.BackendUnavailableException;
import dev.jinfer.InferenceException;
import dev.jinfer.InvalidInputException;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelLoadException;
import dev.jinfer.Tensor;
import dev.jinfer.cli.bench.ArrivalSchedule.Arrival;
import dev.jinfer.cli.exit.ExitCode;
import dev.jinfer.io.Npy;
import dev.jinfer.serving.ServingChain;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jinfer bench MODEL | --url URL --model-name NAME [options]}: measures latency and throughput
 * under load, as Triton's {@code perf_analyzer} does, for a model run in this process (optionally behind
 * batching and caching) or a jinfer REST service.
 *
 * <p>A closed loop sweeps concurrency levels ({@code --concurrency 1,2,4,8} or {@code 1..64}); an open
 * loop sends at fixed or Poisson rates ({@code --rate 500,1000 --arrival poisson}) and measures latency
 * from each request's intended send time (coordinated-omission correction). Each level warms up, then is
 * measured in windows until the last ones agree within {@code --stability} (or {@code --max-windows}). The
 * results go to a table on standard output and optionally to JSON, CSV and a PNG chart. Failed requests are
 * counted by type and the run goes on; bad arguments end with one line on standard error and the cli's
 * exit codes (2 usage, 3 invalid input, 4 model not loadable, 5 every request failed, 6 I/O).
 *
 * <p>Picocli creates one instance per invocation. Not thread-safe.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Measure latency and throughput under load: a closed-loop concurrency sweep or open-loop rates, "
        + "in-process (optionally behind batching and caching) or against a jinfer REST service (--url).",
        "Durations take a unit: 500us, 200ms, 2s, 1m. See the cli README for the method and the outputs."})
public final class BenchCommand implements Callable<Integer> {
  static final String DEFAULT_CONCURRENCY = "1,2,4,8";

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
      description = "The model file or directory to load in-process (or give --url).")
  @Nullable Path model;

  // ------------------------------------------------------------------ target
  @Option(names = "--url", paramLabel = "URL", description = "Benchmark a jinfer REST service at http://host:port instead, "
      + "or an Open Inference Protocol gRPC service at grpc://host:port. A connection per client; closed loops are "
      + "event-driven on one I/O thread (https:// and open loops: a blocking connection per request in flight).")
  @Nullable String url;

  @Option(names = "--protocol", paramLabel = "v1|v2", description = "With an http:// --url: jinfer's /v1 API (default) or "
      + "the Open Inference Protocol's /v2 HTTP/JSON API.")
  @Nullable String protocol;

  @Option(names = "--model-name", paramLabel = "NAME", description = "The model's name in the service (with --url).")
  @Nullable String modelName;

  @Option(names = "--model-version", paramLabel = "V", description = "A version or alias (with --url; default: the serving one).")
  @Nullable String modelVersion;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.Converter.class,
      description = "Client-side limit of one request (default: 30s); past it the request counts as TIMEOUT (gRPC: "
          + "the call's deadline, GRPC DEADLINE_EXCEEDED, unless --deadline is given).")
  @Nullable Duration timeout;

  @Option(names = "--deadline", paramLabel = "DURATION", converter = Durations.Converter.class,
      description = "Server-side budget sent as X-Jinfer-Deadline-Ms (with --url; over gRPC, the call's deadline).")
  @Nullable Duration deadline;

  @Option(names = "--backend", paramLabel = "NAME", description = "Force a backend by name (in-process).")
  @Nullable String backend;

  @Option(names = "--intra-op-threads", paramLabel = "N", description = "Engine threads within one operator (in-process).")
  @Nullable Integer intraOpThreads;

  @Option(names = "--inter-op-threads", paramLabel = "N", description = "Engine threads across operators (in-process).")
  @Nullable Integer interOpThreads;

  @Option(names = "--property", paramLabel = "KEY=VALUE", mapFallbackValue = "",
      description = "An engine property (repeatable, in-process), e.g. tensorflow.signature=logits.")
  Map<String, String> properties = new LinkedHashMap<>();

  // ------------------------------------------------------------------ load
  @Option(names = "--batch-size", paramLabel = "ROWS", defaultValue = "1",
      description = "Rows per request (default: ${DEFAULT-VALUE}).")
  int batchSize = 1;

  @Option(names = {"-c", "--concurrency"}, paramLabel = "LIST",
      description = "Closed loop: client counts, e.g. 1,2,4,8 or 1..64 (doubling); default " + DEFAULT_CONCURRENCY + ".")
  @Nullable String concurrency;

  @Option(names = "--rate", paramLabel = "LIST", description = "Open loop: requests per second, e.g. 500 or 100,200,400.")
  @Nullable String rate;

  @Option(names = "--arrival", paramLabel = "fixed|poisson", defaultValue = "fixed",
      description = "Open loop: evenly spaced or Poisson arrivals (default: ${DEFAULT-VALUE}).")
  String arrival = "fixed";

  @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "128",
      description = "Open loop: request threads, i.e. the most requests outstanding (default: ${DEFAULT-VALUE}).")
  int maxInFlight = 128;

  // ------------------------------------------------------------------ measurement
  @Option(names = "--warmup", paramLabel = "DURATION", converter = Durations.Converter.class, defaultValue = "2s",
      description = "Load before measuring each level (default: ${DEFAULT-VALUE}).")
  Duration warmup = Duration.ofSeconds(2);

  @Option(names = "--window", paramLabel = "DURATION", converter = Durations.Converter.class, defaultValue = "2s",
      description = "Measurement window (default: ${DEFAULT-VALUE}).")
  Duration window = Duration.ofSeconds(2);

  @Option(names = "--max-windows", paramLabel = "N", defaultValue = "10",
      description = "Most windows per level (default: ${DEFAULT-VALUE}).")
  int maxWindows = 10;

  @Option(names = "--stable-windows", paramLabel = "N", defaultValue = "3",
      description = "Trailing windows that must agree (default: ${DEFAULT-VALUE}).")
  int stableWindows = 3;

  @Option(names = "--stability", paramLabel = "SHARE", defaultValue = "0.10",
      description = "How far they may differ from their mean, on throughput and p99 (default: ${DEFAULT-VALUE}).")
  double stability = 0.10;

  @Option(names = "--slo", paramLabel = "DURATION", converter = Durations.Converter.class,
      description = "Latency objective: adds goodput (requests/s answered within it) and the share within it.")
  @Nullable Duration slo;

  @Option(names = "--drain-timeout", paramLabel = "DURATION", converter = Durations.Converter.class, defaultValue = "30s",
      description = "How long a level waits for its last requests (default: ${DEFAULT-VALUE}).")
  Duration drainTimeout = Duration.ofSeconds(30);

  // ------------------------------------------------------------------ inputs
  @Option(names = {"-i", "--input"}, paramLabel = "NAME=FILE.npy",
      description = "Read an input from .npy (rows taken --batch-size at a time, wrapping); repeat for every input.")
  List<String> inputs = new ArrayList<>();

  @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
      description = "Seed of generated inputs and Poisson arrivals (default: ${DEFAULT-VALUE}).")
  long seed = 42;

  @Option(names = "--duplicate-ratio", paramLabel = "SHARE",
      description = "Generated inputs: share of requests repeating one of the last 1024 (cache studies; default 0).")
  @Nullable Double duplicateRatio;

  // ------------------------------------------------------------------ wrappers
  @Option(names = "--batching", description = "Put a BatchingPredictor in front of the model (in-process).")
  boolean batching;

  @Option(names = "--max-batch", paramLabel = "ROWS", description = "Batching: most rows per engine call (default 32).")
  @Nullable Integer maxBatch;

  @Option(names = "--max-delay", paramLabel = "DURATION", converter = Durations.Converter.class,
      description = "Batching: how long the oldest request waits for company (default 2ms).")
  @Nullable Duration maxDelay;

  @Option(names = "--workers", paramLabel = "N", description = "Batching: batches in flight at once (default 1).")
  @Nullable Integer workers;

  @Option(names = "--queue-size", paramLabel = "N", description = "Batching: most queued requests (default 10000).")
  @Nullable Integer queueSize;

  @Option(names = "--adaptive-target", paramLabel = "DURATION", converter = Durations.Converter.class,
      description = "Batching: adaptive mode with this latency target (instead of --max-delay).")
  @Nullable Duration adaptiveTarget;

  @Option(names = "--cache", description = "Put a CachedPredictor in front (in-process; outside the batcher).")
  boolean cache;

  @Option(names = "--cache-size", paramLabel = "N", description = "Cache: most entries (default 10000, the serving chain's).")
  @Nullable Long cacheSize;

  @Option(names = "--cache-ttl", paramLabel = "DURATION", converter = Durations.Converter.class,
      description = "Cache: expire entries this long after they are written (default: never).")
  @Nullable Duration cacheTtl;

  // ------------------------------------------------------------------ outputs
  @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
  @Nullable Path json;

  @Option(names = "--csv", paramLabel = "FILE", description = "Also write the results as CSV.")
  @Nullable Path csv;

  @Option(names = "--chart", paramLabel = "FILE.png", description = "Also draw p50/p90/p99 latency vs throughput as a PNG.")
  @Nullable Path chart;

  /** Creates the command; picocli fills in the options. */
  public BenchCommand() {}

  /**
   * Runs the benchmark.
   *
   * @return the exit code: 0, or the cli's code for the failure (reported as one line on standard error)
   */
  @Override
  public Integer call() {
    try {
      return run(spec.commandLine().getOut());
    } catch (RuntimeException | LinkageError e) {
      return report(e);
    }
  }

  private int run(PrintWriter out) {
    Config config = validate();
    List<String> warnings = new ArrayList<>();
    List<LevelResult> levels = new ArrayList<>();
    Map<String, Object> settings = settings(config);
    String description;
    try (Opened opened = open()) {
      LoadTarget target = opened.target;
      description = target.description();
      RequestSource source = config.files.isEmpty()
          ? RequestSource.generated(target.signature(), batchSize, duplicateRatio == null ? 0 : duplicateRatio, seed)
          : RequestSource.fromTensors(target.signature(), config.files, batchSize);
      LoadRunner runner = new LoadRunner(target, source, new LoadRunner.Plan(warmup, window, maxWindows, stableWindows,
          stability, slo == null ? 0 : slo.toNanos(), maxInFlight, seed, drainTimeout));
      out.println("Running  " + description + ", " + config.modeText() + ", "
          + (config.rates.isEmpty() ? config.concurrency.size() : config.rates.size()) + " levels");
      out.flush();
      if (config.rates.isEmpty()) {
        for (int c : config.concurrency) {
          levels.add(progress(out, runner.closedLoop(c)));
        }
      } else {
        for (double r : config.rates) {
          levels.add(progress(out, runner.openLoop(r, config.arrival)));
        }
      }
      warnings.addAll(runner.warnings());
    }
    for (LevelResult l : levels) {
      LevelResult.OpenLoopStats open = l.openLoop();
      if (open != null && open.behindSchedule()) {
        warnings.add(l.label() + ": fell behind schedule (sent " + Units.compact(open.sentRate())
            + "/s, max lag " + Units.millisText(open.maxSendLagNanos()) + " ms): the request threads were busy or not"
            + " scheduled; latencies count from the intended send times, but the offered load was lower than asked");
      }
      if (open != null && open.overloaded()) {
        warnings.add(l.label() + ": overloaded, " + Units.millisText(open.behindNanos()) + " ms behind schedule when"
            + " the last window ended with all " + maxInFlight + " request threads busy: the target cannot sustain this"
            + " rate and latencies grow with the delay (raise --max-in-flight only if the target has idle capacity)");
      }
      if (!l.stable()) {
        warnings.add(l.label() + ": not stable within " + maxWindows + " windows (" + Math.round(100 * stability)
            + "% on throughput and p99); figures cover all " + l.windows().size() + " windows");
      }
    }
    BenchReport report = new BenchReport(description, config.modeText(), settings, levels, warnings);
    out.println();
    TableReport.write(report, out);
    if (json != null) {
      JsonReport.write(report, json);
      out.println("JSON     " + json);
    }
    if (csv != null) {
      CsvReport.write(report, csv);
      out.println("CSV      " + csv);
    }
    if (chart != null) {
      LatencyChart.write(report, chart);
      out.println("Chart    " + chart);
    }
    out.flush();
    for (LevelResult l : levels) {
      if (l.requests() == 0) {
        throw new BenchException(ExitCode.INFERENCE, l.label() + ": expected successful requests but "
            + (l.errorCount() > 0 ? "every request failed: " + TableReport.errorsText(l.errors())
                : "none completed within the measurement windows (lengthen --window)"));
      }
    }
    return ExitCode.OK;
  }

  private static LevelResult progress(PrintWriter out, LevelResult l) {
    out.printf(Locale.ROOT, "  %-10s %s req/s  p99 %s ms  errors %d  (%d windows, %s)%n", l.label(),
        Units.compact(l.throughput()), Units.millisText(l.percentileNanos(99)), l.errorCount(), l.windows().size(),
        l.stable() ? "stable" : "not stable");
    out.flush();
    return l;
  }

  // ------------------------------------------------------------------ validation

  /** The parsed and checked options. */
  private record Config(List<Integer> concurrency, List<Double> rates, Arrival arrival, Map<String, Tensor> files) {
    String modeText() {
      return rates.isEmpty() ? "closed loop" : "open loop (" + arrival.name().toLowerCase(Locale.ROOT) + ")";
    }
  }

  private Config validate() {
    if (model == null && url == null) {
      throw BenchException.usage("expected a MODEL file or --url of a jinfer service but got neither");
    }
    if (model != null && url != null) {
      throw BenchException.usage("expected a MODEL file or --url but got both ('" + model + "' and " + url + ")");
    }
    if (url != null) {
      if (modelName == null || modelName.isBlank()) {
        throw BenchException.usage("--url: expected --model-name NAME too (requests go to /v1/models/NAME/predict)");
      }
      if (protocol != null && !protocol.equals("v1") && !protocol.equals("v2")) {
        throw BenchException.usage("--protocol: expected v1 or v2 but got '" + protocol + "'");
      }
      if (protocol != null && isGrpc(url)) {
        throw BenchException.usage("--protocol applies to http:// URLs; a grpc:// URL speaks the Open Inference Protocol's gRPC API");
      }
      rejectWithUrl("--backend", backend != null);
      rejectWithUrl("--intra-op-threads", intraOpThreads != null);
      rejectWithUrl("--inter-op-threads", interOpThreads != null);
      rejectWithUrl("--property", !properties.isEmpty());
      rejectWithUrl("--batching", batching);
      rejectWithUrl("--cache", cache);
    } else {
      rejectWithoutUrl("--model-name", modelName != null);
      rejectWithoutUrl("--protocol", protocol != null);
      rejectWithoutUrl("--model-version", modelVersion != null);
      rejectWithoutUrl("--timeout", timeout != null);
      rejectWithoutUrl("--deadline", deadline != null);
    }
    requireParent("--max-batch", "--batching", batching, maxBatch != null);
    requireParent("--max-delay", "--batching", batching, maxDelay != null);
    requireParent("--workers", "--batching", batching, workers != null);
    requireParent("--queue-size", "--batching", batching, queueSize != null);
    requireParent("--adaptive-target", "--batching", batching, adaptiveTarget != null);
    requireParent("--cache-size", "--cache", cache, cacheSize != null);
    requireParent("--cache-ttl", "--cache", cache, cacheTtl != null);
    if (maxDelay != null && adaptiveTarget != null) {
      throw BenchException.usage("--max-delay conflicts with --adaptive-target: the adaptive batcher never waits for company");
    }
    positive("--intra-op-threads", intraOpThreads);
    positive("--inter-op-threads", interOpThreads);
    positive("--max-batch", maxBatch);
    positive("--workers", workers);
    positive("--queue-size", queueSize);
    positive("--batch-size", batchSize);
    positive("--max-windows", maxWindows);
    positive("--stable-windows", stableWindows);
    positive("--max-in-flight", maxInFlight);
    if (cacheSize != null && cacheSize < 1) {
      throw BenchException.usage("--cache-size: expected N >= 1 but got " + cacheSize);
    }
    if (stableWindows > maxWindows) {
      throw BenchException.usage("--stable-windows: expected at most --max-windows (" + maxWindows + ") but got "
          + stableWindows);
    }
    if (!(stability >= 0 && stability <= 1)) {
      throw BenchException.usage("--stability: expected a share in [0, 1] (e.g. 0.10 for 10%) but got " + stability);
    }
    if (window.isZero()) {
      throw BenchException.usage("--window: expected a positive duration but got 0");
    }
    nonZero("--slo", slo);
    nonZero("--timeout", timeout);
    nonZero("--deadline", deadline);
    nonZero("--adaptive-target", adaptiveTarget);
    nonZero("--cache-ttl", cacheTtl);
    if (duplicateRatio != null && !(duplicateRatio >= 0 && duplicateRatio <= 1)) {
      throw BenchException.usage("--duplicate-ratio: expected a share in [0, 1] but got " + duplicateRatio);
    }
    if (duplicateRatio != null && !inputs.isEmpty()) {
      throw BenchException.usage("--duplicate-ratio applies to generated inputs, not to --input files");
    }
    Arrival arrivalKind;
    try {
      arrivalKind = Arrival.valueOf(arrival.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw BenchException.usage("--arrival: expected fixed or poisson but got '" + arrival + "'");
    }
    List<Integer> levels = List.of();
    List<Double> rates = List.of();
    if (rate != null) {
      if (concurrency != null) {
        throw BenchException.usage("--rate (open loop) conflicts with --concurrency (closed loop): give one of them");
      }
      rates = LoadLevels.rates(rate);
      double perWindow = rates.stream().mapToDouble(Double::doubleValue).min().orElse(1) * window.toNanos() / 1e9;
      if (perWindow < 1) {
        throw BenchException.usage("--rate: " + Units.compact(perWindow * 1e9 / window.toNanos()) + " requests/s sends "
            + "fewer than one request per " + Durations.format(window) + " window; raise the rate or lengthen --window");
      }
    } else {
      levels = LoadLevels.concurrency(concurrency == null ? DEFAULT_CONCURRENCY : concurrency);
    }
    for (Path p : new Path[] {json, csv, chart}) {
      if (p != null) {
        Path parent = p.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
          throw BenchException.usage("output '" + p + "': expected an existing directory '" + parent
              + "' but it does not exist");
        }
        if (Files.isDirectory(p)) {
          throw BenchException.usage("output '" + p + "': expected a file name but it is a directory");
        }
      }
    }
    return new Config(levels, rates, arrivalKind, readInputs());
  }

  private Map<String, Tensor> readInputs() {
    Map<String, Tensor> files = new LinkedHashMap<>();
    for (String arg : inputs) {
      int eq = arg.indexOf('=');
      if (eq <= 0 || eq == arg.length() - 1) {
        throw BenchException.usage("--input: expected NAME=FILE.npy but got '" + arg + "'");
      }
      String name = arg.substring(0, eq);
      Path file;
      try {
        file = Path.of(arg.substring(eq + 1));
      } catch (InvalidPathException e) {
        throw BenchException.usage("--input '" + name + "': expected a file path but got '" + arg.substring(eq + 1) + "'");
      }
      if (files.containsKey(name)) {
        throw BenchException.usage("--input: expected each input once but '" + name + "' is given twice");
      }
      if (!Files.isRegularFile(file)) {
        throw BenchException.usage("--input '" + name + "': expected an existing .npy file but '" + file + "' "
            + (Files.isDirectory(file) ? "is a directory" : "does not exist"));
      }
      try {
        files.put(name, Npy.read(file));
      } catch (InvalidInputException e) {
        throw new InvalidInputException("--input '" + name + "': " + e.getMessage(), e);
      }
    }
    return files;
  }

  private static boolean isGrpc(String url) {
    return url.strip().toLowerCase(Locale.ROOT).startsWith("grpc://");
  }

  private static void rejectWithUrl(String option, boolean given) {
    if (given) {
      throw BenchException.usage(option + " applies to a model run in-process, not to --url (configure the service instead)");
    }
  }

  private static void rejectWithoutUrl(String option, boolean given) {
    if (given) {
      throw BenchException.usage(option + " applies to --url runs only");
    }
  }

  private static void requireParent(String option, String parent, boolean parentGiven, boolean given) {
    if (given && !parentGiven) {
      throw BenchException.usage(option + " needs " + parent);
    }
  }

  private static void positive(String option, @Nullable Integer value) {
    if (value != null && value < 1) {
      throw BenchException.usage(option + ": expected N >= 1 but got " + value);
    }
  }

  private static void nonZero(String option, @Nullable Duration value) {
    if (value != null && value.isZero()) {
      throw BenchException.usage(option + ": expected a positive duration but got 0");
    }
  }

  // ------------------------------------------------------------------ target

  /** The target and what it owns (the model), closed together. */
  private static final class Opened implements AutoCloseable {
    final LoadTarget target;
    final @Nullable Model model;

    Opened(LoadTarget target, @Nullable Model model) {
      this.target = target;
      this.model = model;
    }

    @Override
    public void close() {
      try {
        target.close();
      } finally {
        if (model != null) {
          model.close();
        }
      }
    }
  }

  private Opened open() {
    if (url != null) {
      String name = modelName == null ? "" : modelName;
      Duration limit = timeout == null ? Duration.ofSeconds(30) : timeout;
      if (isGrpc(url)) {
        return new Opened(GrpcTarget.connect(url, name, modelVersion, limit, deadline), null);
      }
      HttpTarget.Protocol p = "v2".equals(protocol) ? HttpTarget.Protocol.V2 : HttpTarget.Protocol.V1;
      return new Opened(HttpTarget.connect(url, p, name, modelVersion, limit, deadline), null);
    }
    Path path = model == null ? Path.of("") : model;
    if (!Files.exists(path)) {
      throw BenchException.usage("model '" + path + "': expected an existing model file or directory but it does not exist");
    }
    LoadOptions.Builder options = LoadOptions.newBuilder();
    if (backend != null) {
      options.backend(backend);
    }
    if (intraOpThreads != null) {
      options.intraOpThreads(intraOpThreads);
    }
    if (interOpThreads != null) {
      options.interOpThreads(interOpThreads);
    }
    for (Map.Entry<String, String> p : properties.entrySet()) {
      if (p.getKey().isBlank() || p.getValue().isEmpty()) {
        throw BenchException.usage("--property: expected KEY=VALUE but got '" + p.getKey() + "=" + p.getValue() + "'");
      }
      options.property(p.getKey(), p.getValue());
    }
    Model m = Model.load(path, options.build());
    try {
      StringBuilder description = new StringBuilder(m.id() + " (backend " + m.backend() + ", " + m.device() + ")");
      ServingChain.Builder chain = ServingChain.newBuilder(m.predictor());
      if (batching) {
        chain.batching(b -> {
          if (maxBatch != null) {
            b.maxBatchSize(maxBatch);
          }
          if (maxDelay != null) {
            b.maxQueueDelay(maxDelay);
          }
          if (workers != null) {
            b.workers(workers);
          }
          if (queueSize != null) {
            b.maxQueueSize(queueSize);
          }
          if (adaptiveTarget != null) {
            b.latencyTarget(adaptiveTarget);
          }
        });
        description.append(" + batching");
      }
      if (cache) {
        chain.cache(b -> {
          if (cacheSize != null) {
            b.maximumSize(cacheSize);
          }
          if (cacheTtl != null) {
            b.expireAfterWrite(cacheTtl);
          }
        });
        description.append(" + cache");
      }
      ServingChain built;
      try {
        built = chain.build();
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException((batching ? "--batching: " : "") + e.getMessage(), e);
      }
      return new Opened(new PredictorTarget(built, description.toString()), m);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  private Map<String, Object> settings(Config config) {
    Map<String, Object> s = new LinkedHashMap<>();
    if (config.rates.isEmpty()) {
      s.put("concurrency", config.concurrency);
    } else {
      s.put("rates", config.rates);
      s.put("arrival", config.arrival.name().toLowerCase(Locale.ROOT));
      s.put("maxInFlight", maxInFlight);
    }
    s.put("batchSize", batchSize);
    s.put("warmup", Durations.format(warmup));
    s.put("window", Durations.format(window));
    s.put("maxWindows", maxWindows);
    s.put("stableWindows", stableWindows);
    s.put("stability", stability);
    if (slo != null) {
      s.put("slo", Durations.format(slo));
    }
    s.put("inputs", config.files.isEmpty() ? "generated" : "files");
    if (config.files.isEmpty()) {
      s.put("seed", seed);
      s.put("duplicateRatio", duplicateRatio == null ? 0.0 : duplicateRatio);
    }
    if (backend != null) {
      s.put("backend", backend);
    }
    if (intraOpThreads != null) {
      s.put("intraOpThreads", intraOpThreads);
    }
    if (interOpThreads != null) {
      s.put("interOpThreads", interOpThreads);
    }
    if (batching) {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("maxBatch", maxBatch == null ? 32 : maxBatch);
      if (adaptiveTarget != null) {
        b.put("adaptiveTarget", Durations.format(adaptiveTarget));
      } else {
        b.put("maxDelay", Durations.format(maxDelay == null ? Duration.ofMillis(2) : maxDelay));
      }
      b.put("workers", workers == null ? 1 : workers);
      b.put("queueSize", queueSize == null ? 10_000 : queueSize);
      s.put("batching", b);
    }
    if (cache) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("size", cacheSize == null ? ServingChain.DEFAULT_CACHE_SIZE : cacheSize);
      c.put("ttl", cacheTtl == null ? "none" : Durations.format(cacheTtl));
      s.put("cache", c);
    }
    return s;
  }

  // ------------------------------------------------------------------ errors

  private int report(Throwable e) {
    int code = exitCode(e);
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    boolean verbose = verbose();
    if (code == ExitCode.SOFTWARE) {
      message = "unexpected error: " + e + (verbose ? "" : " (run with --verbose for details)");
    }
    PrintWriter err = spec.commandLine().getErr();
    err.println(spec.qualifiedName() + ": " + message.strip().replaceAll("\\s*\\R\\s*", " "));
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  static int exitCode(Throwable e) {
    if (e instanceof BenchException) {
      return ((BenchException) e).exitCode();
    }
    if (e instanceof InvalidInputException) {
      return ExitCode.INVALID_INPUT;
    }
    if (e instanceof ModelLoadException || e instanceof BackendUnavailableException) {
      return ExitCode.MODEL_LOAD;
    }
    if (e instanceof InferenceException) {
      return ExitCode.INFERENCE;
    }
    if (e instanceof UncheckedIOException) {
      return ExitCode.IO;
    }
    if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
      // a wrapper's builder rejected a setting that passed our checks
      return ExitCode.USAGE;
    }
    return ExitCode.SOFTWARE;
  }

  private boolean verbose() {
    for (CommandSpec s = spec; s != null; s = s.parent()) {
      OptionSpec o = s.findOption("--verbose");
      if (o != null && Boolean.TRUE.equals(o.getValue())) {
        return true;
      }
    }
    return false;
  }
}
