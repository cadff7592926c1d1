package dev.jinfer.examples.custombackend;

import dev.jinfer.DType;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import dev.jinfer.kit.BackendCompatibilityKit.SlowCall;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Writes the compatibility kit's fixture models as {@code .jmodel.json} files, derived from the committed
 * ONNX fixtures' data ({@code fixtures/onnx/fraud_weights.npz} and the formulas in
 * {@code fixtures/README.md}), so nothing generated is committed.
 */
final class JsonModelFixtures {
  private JsonModelFixtures() {}

  /**
   * Writes one fixture model (and, for {@code fraud}, its weight files) into a directory.
   *
   * @param fixtures the committed fixtures directory
   * @param name {@code fraud}, {@code multi_io} or {@code dtype_<type>}
   * @param dir where to write
   * @return the {@code .jmodel.json} file
   */
  static Path write(Path fixtures, String name, Path dir) {
    try {
      Path model = dir.resolve(name + JsonModelBackend.SUFFIX);
      if (Files.exists(model)) {
        return model;
      }
      String json;
      if (name.equals("fraud")) {
        unpackWeights(fixtures.resolve("onnx").resolve("fraud_weights.npz"), dir);
        json = fraud();
      } else if (name.equals("multi_io")) {
        json = multiIo();
      } else if (name.startsWith("dtype_")) {
        json = identity(DType.valueOf(name.substring("dtype_".length()).toUpperCase(Locale.ROOT)));
      } else {
        throw new IllegalArgumentException("fixture: expected fraud, multi_io or dtype_<type> but got " + name);
      }
      Files.writeString(model, json, StandardCharsets.UTF_8);
      return model;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A chain of 12 dense 512x512 layers (one weight file shared by all) and a 256-row request: about
   * 800 million multiply-adds, a few hundred milliseconds, for the kit's deadline test.
   *
   * @param dir where to write
   * @return the model and request
   */
  static SlowCall slowCall(Path dir) {
    int width = 512;
    int layers = 12;
    int rows = 256;
    Random random = new Random(3);
    float[] w = new float[width * width];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (random.nextGaussian() / Math.sqrt(width));
    }
    Npy.write(Tensor.ofFloats(w, width, width), dir.resolve("slow.weight.npy"));
    Npy.write(Tensor.ofFloats(new float[width], width), dir.resolve("slow.bias.npy"));
    StringBuilder ops = new StringBuilder();
    for (int l = 0; l < layers; l++) {
      ops.append(l == 0 ? "" : ",\n    ").append("{\"op\": \"dense\", \"inputs\": [\"")
          .append(l == 0 ? "x" : "h" + (l - 1)).append("\"], \"output\": \"").append(l == layers - 1 ? "y" : "h" + l)
          .append("\", \"weight\": \"slow.weight.npy\", \"bias\": \"slow.bias.npy\"}");
    }
    String json = """
        {
          "format": "jmodel/1",
          "inputs": [{"name": "x", "dtype": "FLOAT32", "shape": [-1, %1$d]}],
          "outputs": [{"name": "y", "dtype": "FLOAT32", "shape": [-1, %1$d]}],
          "ops": [
            %2$s
          ]
        }
        """.formatted(width, ops);
    Path model = dir.resolve("slow" + JsonModelBackend.SUFFIX);
    try {
      Files.writeString(model, json, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    float[] x = new float[rows * width];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return new SlowCall(model, NamedTensors.of("x", Tensor.ofFloats(x, rows, width)));
  }

  /** Each {@code <key>.npy} entry of the npz becomes a file of the same name (re-written through {@link Npy}). */
  private static void unpackWeights(Path npz, Path dir) throws IOException {
    try (InputStream file = Files.newInputStream(npz); ZipInputStream zip = new ZipInputStream(file)) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        Npy.write(Npy.read(zip), dir.resolve(e.getName()));
      }
    }
  }

  private static String fraud() {
    return """
        {
          "format": "jmodel/1",
          "description": "fixtures/onnx/fraud.onnx: softmax(fc3(relu(fc2(relu(fc1(features))))))",
          "inputs": [{"name": "features", "dtype": "FLOAT32", "shape": [-1, 32]}],
          "outputs": [{"name": "probabilities", "dtype": "FLOAT32", "shape": [-1, 2]}],
          "ops": [
            {"op": "dense", "inputs": ["features"], "output": "h1", "weight": "fc1.weight.npy", "bias": "fc1.bias.npy"},
            {"op": "relu", "inputs": ["h1"], "output": "r1"},
            {"op": "dense", "inputs": ["r1"], "output": "h2", "weight": "fc2.weight.npy", "bias": "fc2.bias.npy"},
            {"op": "relu", "inputs": ["h2"], "output": "r2"},
            {"op": "dense", "inputs": ["r2"], "output": "logits", "weight": "fc3.weight.npy", "bias": "fc3.bias.npy"},
            {"op": "softmax", "inputs": ["logits"], "output": "probabilities"}
          ]
        }
        """;
  }

  private static String multiIo() {
    return """
        {
          "format": "jmodel/1",
          "inputs": [
            {"name": "a", "dtype": "FLOAT32", "shape": [-1, 4]},
            {"name": "b", "dtype": "FLOAT32", "shape": [-1, 4]}
          ],
          "outputs": [
            {"name": "sum", "dtype": "FLOAT32", "shape": [-1, 4]},
            {"name": "dot", "dtype": "FLOAT32", "shape": [-1, 1]},
            {"name": "argmax_a", "dtype": "INT64", "shape": [-1]}
          ],
          "ops": [
            {"op": "add", "inputs": ["a", "b"], "output": "sum"},
            {"op": "rowdot", "inputs": ["a", "b"], "output": "dot"},
            {"op": "argmax", "inputs": ["a"], "output": "argmax_a"}
          ]
        }
        """;
  }

  private static String identity(DType dtype) {
    return """
        {
          "format": "jmodel/1",
          "inputs": [{"name": "x", "dtype": "%1$s", "shape": [-1, 3]}],
          "outputs": [{"name": "y", "dtype": "%1$s", "shape": [-1, 3]}],
          "ops": [{"op": "identity", "inputs": ["x"], "output": "y"}]
        }
        """.formatted(dtype.name());
  }
}
