package dev.jinfer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@link JinferCli#newCommandLine(String...)} registers only the command a run names, and all of them otherwise. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LazyCommandLineTest {
  private static final String[] ALL = {"inspect", "predict", "bench", "optimize", "quantize", "prune", "compare",
      "distill", "help"};

  @Test
  void aNamedCommand_registersOnlyThatOne_evenAfterTheVerboseFlag() {
    assertThat(JinferCli.newCommandLine("predict", "m.onnx", "-i", "x=y.npy").getSubcommands()).containsOnlyKeys("predict");
    assertThat(JinferCli.newCommandLine("-v", "bench", "m.onnx").getSubcommands()).containsOnlyKeys("bench");
    assertThat(JinferCli.newCommandLine("--version").getSubcommands()).isEmpty();
  }

  @Test
  void noCommand_anUnknownOne_orHelp_registerThemAllInUsageOrder() {
    assertThat(JinferCli.newCommandLine().getSubcommands().keySet()).containsExactly(ALL);
    assertThat(JinferCli.newCommandLine("frobnicate").getSubcommands().keySet()).containsExactly(ALL);
    assertThat(JinferCli.newCommandLine("help", "predict").getSubcommands().keySet()).containsExactly(ALL);
    assertThat(JinferCli.newCommandLine("--version", "predict").getSubcommands().keySet()).containsExactly("predict");
  }

  @Test
  void anUnknownCommand_stillGetsTheOneLineErrorNamingEveryCommand() {
    CommandLine cmd = JinferCli.newCommandLine("frobnicate");
    StringWriter err = new StringWriter();
    cmd.setErr(new PrintWriter(err, true));
    cmd.setOut(new PrintWriter(new StringWriter(), true));

    assertThat(cmd.execute("frobnicate")).isEqualTo(JinferCli.EXIT_USAGE);
    assertThat(err.toString()).contains("frobnicate");
  }

  @Test
  void version_throughTheLazyCommandLine_printsTheVersion() {
    CommandLine cmd = JinferCli.newCommandLine("--version");
    StringWriter out = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));

    assertThat(cmd.execute("--version")).isZero();
    assertThat(out.toString()).startsWith("jinfer ");
  }
}
