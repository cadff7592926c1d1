package dev.jinfer.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.jinfer.Device;
import dev.jinfer.LoadOptions;
import dev.jinfer.OptimizationLevel;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * The engine settings of one load, read and validated from {@link LoadOptions}.
 *
 * @param device where the model runs
 * @param sessions sessions in the pool
 * @param intraOpThreads threads per session: {@link LoadOptions#intraOpThreads()} split across the sessions
 * @param interOpThreads inter-op threads per session; above 1 the session runs in parallel execution mode
 * @param optLevel the graph optimization level
 * @param spinning whether idle intra-op threads spin
 * @param optimizedModelPath where to write the optimized model, or null
 * @param cpuArena whether the CPU memory arena is on
 * @param memoryPattern whether memory pattern optimization is on
 * @param logLevel the level of ONNX Runtime's native logger for the sessions
 */
record OnnxConfig(Device device, int sessions, int intraOpThreads, int interOpThreads, OptLevel optLevel, boolean spinning,
    @Nullable String optimizedModelPath, boolean cpuArena, boolean memoryPattern, OrtLoggingLevel logLevel) {

  private static final List<String> KNOWN = List.of(OnnxBackend.SESSIONS, OnnxBackend.SPINNING,
      OnnxBackend.OPTIMIZED_MODEL_PATH, OnnxBackend.CPU_ARENA, OnnxBackend.MEMORY_PATTERN, OnnxBackend.LOG_LEVEL);

  /**
   * Reads the options, with the native log level from {@link OnnxBackend#LOG_LEVEL} or else from the
   * backend's SLF4J logger ({@link OnnxNativeLog}).
   *
   * @param options the load options
   * @param modelBytes the size of the model file, for the default number of sessions
   * @return the settings
   * @throws IllegalArgumentException naming the property if an {@code onnx.*} property is unknown or invalid
   */
  static OnnxConfig from(LoadOptions options, long modelBytes) {
    return from(options, modelBytes, OnnxNativeLog.level(options.property(OnnxBackend.LOG_LEVEL).orElse(null),
        LoggerFactory.getLogger(OnnxBackend.class), OnnxNativeLog.STDERR_IS_TERMINAL));
  }

  /**
   * Reads the options.
   *
   * @param options the load options
   * @param modelBytes the size of the model file, for the default number of sessions
   * @param logLevel the native log level ({@link OnnxNativeLog})
   * @return the settings
   * @throws IllegalArgumentException naming the property if an {@code onnx.*} property is unknown or invalid
   */
  static OnnxConfig from(LoadOptions options, long modelBytes, OrtLoggingLevel logLevel) {
    for (String key : options.properties().keySet()) {
      if (key.startsWith("onnx.") && !KNOWN.contains(key)) {
        throw new IllegalArgumentException("property " + key + " is not an ONNX backend property; known: " + KNOWN);
      }
    }
    int sessions = options.intProperty(OnnxBackend.SESSIONS, defaultSessions(modelBytes, LoadOptions.availableCpus()), 1);
    String optimizedPath = options.property(OnnxBackend.OPTIMIZED_MODEL_PATH).orElse(null);
    if (optimizedPath != null && optimizedPath.isBlank()) {
      throw new IllegalArgumentException("property " + OnnxBackend.OPTIMIZED_MODEL_PATH + " must be a file path but was blank");
    }
    return new OnnxConfig(
        options.device(),
        sessions,
        Math.max(1, options.intraOpThreads() / sessions),
        options.interOpThreads(),
        optLevel(options.optimizationLevel()),
        options.booleanProperty(OnnxBackend.SPINNING, false),
        optimizedPath,
        options.booleanProperty(OnnxBackend.CPU_ARENA, true),
        options.booleanProperty(OnnxBackend.MEMORY_PATTERN, true),
        logLevel);
  }

  /**
   * One session per CPU up to {@link OnnxBackend#MAX_DEFAULT_SESSIONS}, so that with the intra-op threads
   * split across them no session gets more threads than its share of the CPUs: on the fraud MLP with 2
   * CPUs and 2 callers this gave 1.8x the throughput of one session with 2 intra-op threads, and 1.08x
   * that of one session with 1 thread (backend-onnx/README.md). Big models get one session, because each
   * session holds its own copy of the weights.
   *
   * @param modelBytes the model file's size
   * @param cpus the CPUs available
   * @return the default number of sessions
   */
  static int defaultSessions(long modelBytes, int cpus) {
    if (modelBytes > OnnxBackend.POOL_MAX_MODEL_BYTES) {
      return 1;
    }
    return Math.max(1, Math.min(cpus, OnnxBackend.MAX_DEFAULT_SESSIONS));
  }

  static OptLevel optLevel(OptimizationLevel level) {
    switch (level) {
      case NONE:
        return OptLevel.NO_OPT;
      case BASIC:
        return OptLevel.BASIC_OPT;
      case EXTENDED:
        return OptLevel.EXTENDED_OPT;
      case ALL:
        return OptLevel.ALL_OPT;
      default:
        throw new AssertionError(level);
    }
  }

  /**
   * Builds session options for one session of the pool. The caller closes them (a session keeps its own
   * copy once created).
   *
   * @param exportOptimized whether this session writes {@link #optimizedModelPath} (only the first does)
   * @return new options
   * @throws OrtException if the engine refuses a setting, or has no CUDA provider for a GPU device
   */
  SessionOptions sessionOptions(boolean exportOptimized) throws OrtException {
    SessionOptions so = new SessionOptions();
    try {
      so.setIntraOpNumThreads(intraOpThreads);
      so.setInterOpNumThreads(interOpThreads);
      if (interOpThreads > 1) {
        so.setExecutionMode(ExecutionMode.PARALLEL);
      }
      String spin = spinning ? "1" : "0";
      so.addConfigEntry("session.intra_op.allow_spinning", spin);
      so.addConfigEntry("session.inter_op.allow_spinning", spin);
      so.setOptimizationLevel(optLevel);
      so.setCPUArenaAllocator(cpuArena);
      so.setMemoryPatternOptimization(memoryPattern);
      so.setSessionLogLevel(logLevel);
      if (exportOptimized && optimizedModelPath != null) {
        so.setOptimizedModelFilePath(optimizedModelPath);
      }
      if (device.isGpu()) {
        so.addCUDA(device.index());
      }
      return so;
    } catch (OrtException | RuntimeException e) {
      so.close();
      throw e;
    }
  }

  @Override
  public String toString() {
    return "device " + device + ", " + sessions + " session(s) x " + intraOpThreads + " intra-op thread(s), inter-op "
        + interOpThreads + ", " + optLevel + ", spinning " + spinning + ", cpuArena " + cpuArena + ", memoryPattern "
        + memoryPattern + ", native log " + logLevel + (optimizedModelPath == null ? "" : ", optimized model -> " + optimizedModelPath);
  }
}
