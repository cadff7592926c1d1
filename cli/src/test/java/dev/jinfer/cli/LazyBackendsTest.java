package dev.jinfer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backend discovery stays lazy: {@code jinfer predict} on an ONNX model, in a fresh JVM whose class path holds
 * all three backends (this module's test class path), loads none of TensorFlow's, JavaCPP's or DJL/libtorch's
 * classes, so none of their natives. The JVM's class-load log ({@code -Xlog:class+load}) is the witness: a class
 * never loaded was never initialised. (One JVM per test: class loading is per process, and this one has run
 * the TensorFlow and PyTorch tests.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LazyBackendsTest {
  private static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"));
  private static final Pattern LOADED = Pattern.compile("\\[class,load\\] (\\S+) ");

  @TempDir
  Path tmp;

  @Test
  void predictOnAnOnnxModel_loadsNoTensorflowJavacppOrDjlClass() throws Exception {
    List<String> loaded = loadedClasses("predict", FIXTURES.resolve("onnx/fraud.onnx").toString(),
        "--input", "features=" + FIXTURES.resolve("onnx/fraud_input.npy"), "--output-dir", tmp.resolve("out").toString());

    // the witness works: the ONNX path ran, and ServiceLoader did find (and construct) the other two backends
    assertThat(loaded).contains("ai.onnxruntime.OrtSession", "dev.jinfer.onnx.OnnxBackend",
        "dev.jinfer.tensorflow.TensorflowBackend", "dev.jinfer.pytorch.PytorchBackend");
    assertThat(loaded).filteredOn(c -> c.startsWith("org.tensorflow.") || c.startsWith("org.bytedeco.")
        || c.startsWith("ai.djl.")).as("engine classes loaded by an ONNX predict").isEmpty();
    assertThat(loaded).filteredOn(c -> c.startsWith("dev.jinfer.tensorflow.") || c.startsWith("dev.jinfer.pytorch."))
        .as("backend classes beyond the two ServiceLoader constructs")
        .containsOnly("dev.jinfer.tensorflow.TensorflowBackend", "dev.jinfer.pytorch.PytorchBackend");
  }

  private List<String> loadedClasses(String... cliArgs) throws IOException, InterruptedException {
    Path log = tmp.resolve("class-load.log");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xshare:off", "-Xlog:class+load=info:file=" + log, "-cp", System.getProperty("java.class.path"),
        JinferCli.class.getName()));
    cmd.addAll(List.of(cliArgs));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("out.txt").toFile()).start();
    if (!p.waitFor(100, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("jinfer " + String.join(" ", cliArgs) + " did not finish in 100 s");
    }
    String out = Files.readString(tmp.resolve("out.txt"), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    List<String> classes = new ArrayList<>();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      Matcher m = LOADED.matcher(line);
      if (m.find()) {
        classes.add(m.group(1));
      }
    }
    return classes;
  }
}
