package dev.jinfer.onnx;

import ai.onnxruntime.OrtLoggingLevel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * The level of ONNX Runtime's own (native) logger, which writes straight to the process's standard error
 * and cannot be routed to SLF4J from Java. By default it follows the backend's SLF4J logger: nothing below
 * WARNING unless that logger is at DEBUG or TRACE. ONNX Runtime colours every line it writes with ANSI codes
 * and its Java API has no switch for that, so when standard error is not a terminal (a log file, a
 * container's log collector) the default is FATAL: the errors it would print reach the caller anyway, as
 * the message of the typed exception. The property {@link OnnxBackend#LOG_LEVEL} overrides both. Stateless.
 */
final class OnnxNativeLog {
  /** Whether standard error was a terminal when the class was loaded. */
  static final boolean STDERR_IS_TERMINAL = stderrIsTerminal();

  private OnnxNativeLog() {}

  /**
   * The native level for one session.
   *
   * @param property the value of {@link OnnxBackend#LOG_LEVEL}, if set
   * @param logger the backend's SLF4J logger
   * @param stderrIsTerminal whether standard error is a terminal
   * @return the level
   * @throws IllegalArgumentException naming the property if its value is not a level
   */
  static OrtLoggingLevel level(@Nullable String property, Logger logger, boolean stderrIsTerminal) {
    if (property != null) {
      return parse(property);
    }
    return level(mostVerbose(logger), stderrIsTerminal);
  }

  /**
   * The default native level.
   *
   * @param enabled the most verbose level the SLF4J logger has enabled, or null if it logs nothing
   * @param stderrIsTerminal whether standard error is a terminal
   * @return the level
   */
  static OrtLoggingLevel level(@Nullable Level enabled, boolean stderrIsTerminal) {
    if (enabled == Level.TRACE) {
      return OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE;
    }
    if (enabled == Level.DEBUG) {
      return OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO;
    }
    if (!stderrIsTerminal || enabled == null) {
      return OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
    }
    return enabled == Level.ERROR ? OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR : OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING;
  }

  static @Nullable Level mostVerbose(Logger logger) {
    if (logger.isTraceEnabled()) {
      return Level.TRACE;
    }
    if (logger.isDebugEnabled()) {
      return Level.DEBUG;
    }
    if (logger.isInfoEnabled()) {
      return Level.INFO;
    }
    if (logger.isWarnEnabled()) {
      return Level.WARN;
    }
    return logger.isErrorEnabled() ? Level.ERROR : null;
  }

  private static OrtLoggingLevel parse(String value) {
    switch (value.trim().toUpperCase(Locale.ROOT)) {
      case "VERBOSE":
        return OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE;
      case "INFO":
        return OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO;
      case "WARNING":
        return OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING;
      case "ERROR":
        return OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
      case "FATAL":
        return OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
      default:
        throw new IllegalArgumentException("property " + OnnxBackend.LOG_LEVEL
            + " must be one of VERBOSE, INFO, WARNING, ERROR, FATAL but was '" + value + "'");
    }
  }

  /**
   * Whether file descriptor 2 is a terminal: on Linux, {@code /proc/self/fd/2} links to a {@code /dev/pts}
   * or {@code /dev/tty} device; elsewhere, whether the JVM has a console.
   */
  private static boolean stderrIsTerminal() {
    Path fd = Path.of("/proc/self/fd/2");
    try {
      if (Files.isSymbolicLink(fd)) {
        String target = Files.readSymbolicLink(fd).toString();
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
      }
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      // fall through to the console check
    }
    return System.console() != null;
  }
}
