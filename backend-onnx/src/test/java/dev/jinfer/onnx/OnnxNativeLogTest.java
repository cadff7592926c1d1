package dev.jinfer.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtLoggingLevel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;
import org.slf4j.helpers.NOPLogger;

/** ONNX Runtime's native log level follows the backend's SLF4J logger, and stays off a non-terminal stderr. */
class OnnxNativeLogTest {
  @Test
  void defaultLevel_followsTheSlf4jLogger_neverBelowWarning_andIsFatalWhenStderrIsNotATerminal() {
    assertThat(OnnxNativeLog.level(Level.TRACE, true)).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE);
    assertThat(OnnxNativeLog.level(Level.DEBUG, true)).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO);
    assertThat(OnnxNativeLog.level(Level.INFO, true)).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING);
    assertThat(OnnxNativeLog.level(Level.WARN, true)).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING);
    assertThat(OnnxNativeLog.level(Level.ERROR, true)).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
    assertThat(OnnxNativeLog.level(null, true)).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);

    assertThat(OnnxNativeLog.level(Level.TRACE, false)).as("asked for explicitly").isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE);
    assertThat(OnnxNativeLog.level(Level.DEBUG, false)).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO);
    for (Level l : List.of(Level.INFO, Level.WARN, Level.ERROR)) {
      assertThat(OnnxNativeLog.level(l, false)).as(l.toString()).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
    }
    assertThat(OnnxNativeLog.mostVerbose(NOPLogger.NOP_LOGGER)).isNull();
  }

  @Test
  void property_overridesTheDefault_andAWrongValueNamesTheProperty() {
    assertThat(OnnxNativeLog.level("error", NOPLogger.NOP_LOGGER, false)).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
    assertThat(OnnxNativeLog.level(" VERBOSE ", NOPLogger.NOP_LOGGER, false)).isEqualTo(OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE);
    assertThatThrownBy(() -> OnnxNativeLog.level("loud", NOPLogger.NOP_LOGGER, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("property onnx.logLevel must be one of VERBOSE, INFO, WARNING, ERROR, FATAL but was 'loud'");
  }

  @Test
  void aFailedRun_isATypedError_andWritesNothingToANonTerminalStderr_unlessALevelIsAskedFor() throws Exception {
    Path model = Fixtures.bad("models/runtime_failure.onnx");

    Run quiet = probe(model.toString());
    assertThat(quiet.out).as(quiet.err).contains("typed BACKEND_FAILURE");
    assertThat(quiet.err).doesNotContain("\u001b[").doesNotContain("onnxruntime");

    Run loud = probe(model.toString(), "ERROR");
    assertThat(loud.out).as(loud.err).contains("typed BACKEND_FAILURE");
    assertThat(loud.err).as("ONNX Runtime's own line, coloured by ONNX Runtime").contains("[E:onnxruntime")
        .contains("\u001b[");
  }

  private record Run(String out, String err) {}

  private static Run probe(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), NativeLogProbe.class.getName()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).start();
    p.getOutputStream().close();
    byte[] err = p.getErrorStream().readAllBytes();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    return new Run(new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }
}
