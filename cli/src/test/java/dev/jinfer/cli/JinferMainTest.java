package dev.jinfer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Backends;
import dev.jinfer.onnx.OnnxBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@link JinferMain}, the launcher's main class, runs a plain predict without loading any picocli class (issue 20:
 * they are Java 5 class files, which the CDS archive cannot hold), and hands every other command line to picocli.
 * The tool runs in a class loader of its own that defines jinfer's and picocli's classes itself, so which of them a
 * run loaded can be asked; ONNX Runtime's classes come from the test's loader (its natives load once per process).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JinferMainTest {
  private static final Path ONNX = Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx");

  @TempDir
  Path tmp;

  /**
   * Child-first for the classes its own URLs hold (the CLI, core, the ONNX backend, picocli), the parent's for the
   * rest.
   */
  private static final class Probe extends URLClassLoader {
    Probe(URL... urls) {
      super("probe", urls, JinferMainTest.class.getClassLoader());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      synchronized (getClassLoadingLock(name)) {
        Class<?> c = findLoadedClass(name);
        if (c == null && (name.startsWith("dev.jinfer.") || name.startsWith("picocli."))) {
          try {
            c = findClass(name);
          } catch (ClassNotFoundException notHere) {
            c = null;
          }
        }
        if (c == null) {
          return super.loadClass(name, resolve);
        }
        if (resolve) {
          resolveClass(c);
        }
        return c;
      }
    }

    /** jinfer's service files from its own URLs only: the test's class path also holds the other engines' backends. */
    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
      return name.startsWith("META-INF/services/dev.jinfer.") ? findResources(name) : super.getResources(name);
    }

    boolean loaded(String name) {
      return findLoadedClass(name) != null;
    }
  }

  private static URL where(Class<?> c) {
    return c.getProtectionDomain().getCodeSource().getLocation();
  }

  /** Runs {@code JinferMain.run} in a new probe; returns the probe, puts the exit code in {@code code[0]}, the output in {@code out[0]}. */
  private static Probe run(int[] code, String[] out, String... args) throws Exception {
    Probe probe = new Probe(where(JinferMain.class), where(Backends.class), where(OnnxBackend.class), where(CommandLine.class));
    Thread thread = Thread.currentThread();
    ClassLoader context = thread.getContextClassLoader();
    thread.setContextClassLoader(probe); // Backends.discover() uses it, as it uses the application's in bin/jinfer
    try {
      // getDeclaredMethod resolves every type in the signatures of JinferMain's methods, as the java launcher does
      Method run = Class.forName(JinferMain.class.getName(), true, probe)
          .getDeclaredMethod("run", String[].class, PrintWriter.class, PrintWriter.class);
      run.setAccessible(true);
      StringWriter written = new StringWriter();
      code[0] = (int) run.invoke(null, args, new PrintWriter(written, true), new PrintWriter(new StringWriter(), true));
      out[0] = written.toString();
      return probe;
    } finally {
      thread.setContextClassLoader(context);
    }
  }

  @Test
  void aPlainPredict_loadsNoPicocliClass_andAnyOtherCommandLineGoesToPicocli() throws Exception {
    String model = ONNX.resolve("fraud.onnx").toString();
    String input = ONNX.resolve("fraud_input.npy").toString();
    int[] code = new int[1];
    String[] out = new String[1];

    try (Probe plain = run(code, out, "predict", model, "-i", "features=" + input, "-d", tmp.resolve("a").toString())) {
      assertThat(code[0]).isZero();
      assertThat(out[0]).contains("probabilities");
      assertThat(plain.loaded("dev.jinfer.cli.PredictCommand")).isTrue(); // the probe did define the tool's classes
      assertThat(plain.loaded("picocli.CommandLine")).isFalse();
      assertThat(plain.loaded("picocli.CommandLine$TypeConversionException")).isFalse();
      assertThat(plain.loaded("dev.jinfer.cli.JinferCli")).isFalse(); // its static init loads every command class
    }
    // --input=... is not a plain command line: picocli parses it, and runs the same command
    try (Probe declined = run(code, out, "predict", model, "--input=features=" + input, "-d", tmp.resolve("b").toString())) {
      assertThat(code[0]).isZero();
      assertThat(out[0]).contains("probabilities");
      assertThat(declined.loaded("picocli.CommandLine")).isTrue();
    }
  }

  @Test
  void version_loadsNoPicocliClass() throws Exception {
    int[] code = new int[1];
    String[] out = new String[1];

    try (Probe probe = run(code, out, "--version")) {
      assertThat(code[0]).isZero();
      assertThat(out[0]).startsWith("jinfer ");
      assertThat(probe.loaded("picocli.CommandLine")).isFalse();
      assertThat(probe.loaded("dev.jinfer.cli.JinferMain")).isTrue();
    }
  }
}
