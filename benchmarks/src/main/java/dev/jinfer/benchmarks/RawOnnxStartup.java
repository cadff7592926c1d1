package dev.jinfer.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cold-start baseline of {@code benchmarks/cold-start.sh}: the least a Java program does to score the fraud
 * model with ONNX Runtime alone (environment, session, one 16-row run, print), to be run as a whole process
 * with nothing but the ONNX Runtime jar and this class on the class path. Its time is the floor that
 * {@code jinfer predict} from the distribution is compared with.
 *
 * <p>It uses the settings {@code jinfer predict} gives ONNX Runtime, so that the two differ only in what jinfer
 * adds: one session ({@code onnx.sessions=1}, the CLI's default), as many intra-op threads as CPUs, one
 * inter-op thread, no spinning, all graph optimizations, the CPU arena and memory patterns on, and the native
 * log at FATAL (jinfer's level when standard error is not a terminal, as under hyperfine).
 *
 * <p>With the environment variable {@code JINFER_STARTUP_TRACE} set it prints the same phase marks as
 * {@code jinfer} (milliseconds since the JVM started) to standard error.
 *
 * <p>{@code java -cp benchmarks/target/classes:onnxruntime-1.23.2.jar dev.jinfer.benchmarks.RawOnnxStartup MODEL}
 */
public final class RawOnnxStartup {
  private static final boolean TRACE = System.getenv("JINFER_STARTUP_TRACE") != null;
  private static final List<String> PHASES = new ArrayList<>();
  private static final List<Long> NANOS = new ArrayList<>();

  private RawOnnxStartup() {}

  /**
   * Loads the model and scores 16 rows of 32 features.
   *
   * @param args the model file
   * @throws OrtException if ONNX Runtime fails
   */
  public static void main(String[] args) throws OrtException {
    long anchorMillis = System.currentTimeMillis();
    long anchorNanos = System.nanoTime();
    mark("main");
    if (args.length != 1) {
      System.err.println("usage: RawOnnxStartup MODEL.onnx");
      System.exit(2);
    }
    float[][] rows = new float[16][32];
    for (int r = 0; r < rows.length; r++) {
      for (int c = 0; c < rows[r].length; c++) {
        rows[r][c] = ((r * 32 + c) % 7 - 3) * 0.25f;
      }
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, OrtEnvironment.DEFAULT_NAME);
    mark("environment");
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(Math.max(1, Runtime.getRuntime().availableProcessors()));
      options.setInterOpNumThreads(1);
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      options.addConfigEntry("session.inter_op.allow_spinning", "0");
      options.setOptimizationLevel(OptLevel.ALL_OPT);
      options.setCPUArenaAllocator(true);
      options.setMemoryPatternOptimization(true);
      options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
      try (OrtSession session = env.createSession(args[0], options)) {
        mark("session");
        try (OnnxTensor input = OnnxTensor.createTensor(env, rows);
            OrtSession.Result result = session.run(Map.of("features", input))) {
          float[][] p = (float[][]) result.get(0).getValue();
          mark("first prediction");
          System.out.println("p(fraud) of row 0: " + p[0][1]);
        }
      }
    }
    mark("done");
    if (TRACE) {
      long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
      double previous = 0;
      for (int i = 0; i < PHASES.size(); i++) {
        double at = anchorMillis - jvmStart + (NANOS.get(i) - anchorNanos) / 1e6;
        System.err.printf(Locale.ROOT, "startup: %8.1f ms  (+%7.1f ms)  %s%n", at, at - previous, PHASES.get(i));
        previous = at;
      }
    }
  }

  private static void mark(String phase) {
    if (TRACE) {
      PHASES.add(phase);
      NANOS.add(System.nanoTime());
    }
  }
}
