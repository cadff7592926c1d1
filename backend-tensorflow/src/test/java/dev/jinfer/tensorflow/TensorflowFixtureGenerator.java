package dev.jinfer.tensorflow;

import com.google.protobuf.CodedOutputStream;
import dev.jinfer.DType;
import dev.jinfer.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Builds the TensorFlow fixture SavedModels with TensorFlow Java itself (no Python), into
 * {@code <fixtures>/tensorflow/}:
 * <ul>
 *   <li>{@code fraud/}: the MLP of {@code onnx/fraud.onnx} (Linear 32-256, ReLU, Linear 256-256, ReLU,
 *       Linear 256-2, softmax) holding exactly the weights of {@code onnx/fraud_weights.npz} as variables
 *       ({@code fc1/weight} ... {@code fc3/bias}, in PyTorch's [out, in] layout, multiplied transposed);
 *       signatures {@code serving_default} (features FLOAT32 [-1, 32] to probabilities FLOAT32 [-1, 2]) and
 *       {@code logits} (features to the pre-softmax logits);</li>
 *   <li>{@code multi_io/}: a, b FLOAT32 [-1, 4] to sum = a + b, dot = row-wise a.b [-1, 1], argmax_a INT64 [-1];</li>
 *   <li>{@code dtype_<type>/}: x [-1, 3] to y = identity(x) for each jinfer dtype, int8 and int16 included
 *       (which the backend refuses at load: TensorFlow Java has no tensor class for them).</li>
 * </ul>
 * Run it (see backend-tensorflow/README.md):
 * <pre>
 * mvn -B -pl backend-tensorflow -am -Pgenerate-fixtures -DskipTests package
 * </pre>
 * Tests also call {@link #slowChain} to write a slow model into a temporary directory.
 */
public final class TensorflowFixtureGenerator {
  private TensorflowFixtureGenerator() {}

  /**
   * Writes every fixture.
   *
   * @param args the fixtures directory (holding {@code onnx/fraud_weights.npz}); the SavedModels go to its
   *     {@code tensorflow/} subdirectory
   * @throws IOException if reading the weights or writing a model fails
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: TensorflowFixtureGenerator <fixtures dir>");
    }
    Path fixtures = Path.of(args[0]);
    Path out = fixtures.resolve("tensorflow");
    Files.createDirectories(out);
    fraud(fixtures.resolve("onnx").resolve("fraud_weights.npz"), replace(out.resolve("fraud")));
    multiIo(replace(out.resolve("multi_io")));
    for (DataType type : List.of(DataType.DT_FLOAT, DataType.DT_DOUBLE, DataType.DT_HALF, DataType.DT_INT8, DataType.DT_UINT8,
        DataType.DT_INT16, DataType.DT_INT32, DataType.DT_INT64, DataType.DT_BOOL, DataType.DT_STRING)) {
      identity(type, replace(out.resolve("dtype_" + jinferName(type))));
    }
    writeManifest(out);
    System.out.println("wrote the TensorFlow fixtures and MANIFEST.sha256 to " + out);
  }

  /** Writes {@code MANIFEST.sha256} ({@code sha256sum -c} format) over every file under {@code out}. */
  private static void writeManifest(Path out) throws IOException {
    StringBuilder manifest = new StringBuilder();
    try (Stream<Path> files = Files.walk(out)) {
      for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
        String name = out.relativize(p).toString().replace('\\', '/');
        if (name.equals("MANIFEST.sha256") || name.equals(".gitattributes")) {
          continue;
        }
        try {
          byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
          manifest.append(java.util.HexFormat.of().formatHex(digest)).append("  ").append(name).append('\n');
        } catch (java.security.NoSuchAlgorithmException e) {
          throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
      }
    }
    Files.writeString(out.resolve("MANIFEST.sha256"), manifest.toString(), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static String jinferName(DataType type) {
    DType dtype = TensorflowTensors.dtype(type);
    if (dtype != null) {
      return dtype.name().toLowerCase(Locale.ROOT);
    }
    return type == DataType.DT_INT8 ? "int8" : "int16";
  }

  /** Deletes a previous export (the exporter refuses to overwrite) and returns the directory. */
  private static Path replace(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    return dir;
  }

  /**
   * The fraud MLP with the weights of the npz, as variables.
   *
   * @param weightsNpz {@code fraud_weights.npz}
   * @param dir where to export
   * @throws IOException if reading or writing fails
   */
  static void fraud(Path weightsNpz, Path dir) throws IOException {
    Map<String, dev.jinfer.Tensor> weights = readNpz(weightsNpz);
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> features = tf.withName("features").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 32)));
      Map<Placeholder<TFloat32>, dev.jinfer.Tensor> assignFeeds = new HashMap<>();
      Operand<TFloat32> h = features;
      Operand<TFloat32> logits = null;
      String[] layers = {"fc1", "fc2", "fc3"};
      for (int i = 0; i < layers.length; i++) {
        String layer = layers[i];
        Ops scope = tf.withSubScope(layer);
        dev.jinfer.Tensor w = weights.get(layer + ".weight");
        dev.jinfer.Tensor b = weights.get(layer + ".bias");
        Variable<TFloat32> wv = scope.withName("weight").variable(Shape.of(w.shape().toArray()), TFloat32.class);
        Variable<TFloat32> bv = scope.withName("bias").variable(Shape.of(b.shape().toArray()), TFloat32.class);
        Placeholder<TFloat32> wIn = scope.withName("weight_value").placeholder(TFloat32.class);
        Placeholder<TFloat32> bIn = scope.withName("bias_value").placeholder(TFloat32.class);
        scope.withName("assign_weight").assign(wv, wIn);
        scope.withName("assign_bias").assign(bv, bIn);
        assignFeeds.put(wIn, w);
        assignFeeds.put(bIn, b);
        // PyTorch keeps Linear weights as [out, in]: y = x W^T + b
        Operand<TFloat32> z = scope.math.add(scope.linalg.matMul(h, wv, MatMul.transposeB(true)), bv);
        if (i < layers.length - 1) {
          h = scope.nn.relu(z);
        } else {
          logits = scope.withName("logits").identity(z);
        }
      }
      Operand<TFloat32> probabilities = tf.withName("probabilities").nn.softmax(logits);
      try (Session s = new Session(g)) {
        Session.Runner assign = s.runner();
        List<TFloat32> values = new java.util.ArrayList<>();
        try {
          for (Map.Entry<Placeholder<TFloat32>, dev.jinfer.Tensor> e : assignFeeds.entrySet()) {
            TFloat32 t = (TFloat32) TensorflowTensors.toTensorflow(e.getValue());
            values.add(t);
            assign.feed(e.getKey(), t);
          }
          for (String layer : layers) {
            assign.addTarget(layer + "/assign_weight").addTarget(layer + "/assign_bias");
          }
          assign.run().close();
        } finally {
          values.forEach(TFloat32::close);
        }
        SavedModelBundle.exporter(dir.toString()).withSession(s).withSignatures(
            Signature.builder().key(Signature.DEFAULT_KEY).methodName("tensorflow/serving/predict")
                .input("features", features).output("probabilities", probabilities).build(),
            Signature.builder().key("logits").methodName("tensorflow/serving/predict")
                .input("features", features).output("logits", logits).build()).export();
      }
      canonicalize(dir);
    }
  }

  private static Map<String, dev.jinfer.Tensor> readNpz(Path npz) throws IOException {
    Map<String, dev.jinfer.Tensor> arrays = new HashMap<>();
    try (ZipFile zip = new ZipFile(npz.toFile())) {
      for (ZipEntry entry : java.util.Collections.list(zip.entries())) {
        String name = entry.getName();
        try (InputStream in = zip.getInputStream(entry)) {
          arrays.put(name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name, Npy.read(in));
        }
      }
    }
    for (String layer : List.of("fc1", "fc2", "fc3")) {
      for (String part : List.of(".weight", ".bias")) {
        if (!arrays.containsKey(layer + part)) {
          throw new IOException(npz + ": expected an array " + layer + part + " but found " + arrays.keySet());
        }
      }
    }
    return arrays;
  }

  /**
   * The multi-input, multi-output model of the compatibility kit.
   *
   * @param dir where to export
   * @throws IOException if writing fails
   */
  static void multiIo(Path dir) throws IOException {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> a = tf.withName("a").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 4)));
      Placeholder<TFloat32> b = tf.withName("b").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 4)));
      Operand<TFloat32> sum = tf.withName("sum").math.add(a, b);
      Operand<TFloat32> dot = tf.withName("dot").sum(tf.math.mul(a, b), tf.constant(1),
          org.tensorflow.op.core.Sum.keepDims(true));
      Operand<TInt64> argmax = tf.withName("argmax_a").math.argMax(a, tf.constant(1), TInt64.class);
      export(g, dir, Signature.builder().key(Signature.DEFAULT_KEY).input("a", a).input("b", b)
          .output("sum", sum).output("dot", dot).output("argmax_a", argmax).build());
    }
  }

  /**
   * An identity model of one element type, built with raw ops so that types without a Java tensor class
   * (int8, int16) can be exported too.
   *
   * @param type the element type
   * @param dir where to export
   * @throws IOException if writing fails
   */
  static void identity(DataType type, Path dir) throws IOException {
    try (Graph g = new Graph()) {
      GraphOperation x = g.opBuilder("Placeholder", "x", g.baseScope()).setAttr("dtype", type)
          .setAttr("shape", Shape.of(-1, 3)).build();
      GraphOperation y = g.opBuilder("Identity", "y", g.baseScope()).addInput(x.output(0)).build();
      Output<?> in = x.output(0);
      Output<?> out = y.output(0);
      export(g, dir, Signature.builder().key(Signature.DEFAULT_KEY).input("x", in).output("y", out).build());
    }
  }

  /**
   * A slow model for the deadline tests: {@code y = x W W ... W} with {@code matmuls} MatMuls of a
   * 512 x 512 constant, fed x FLOAT32 [-1, 512]. About 2.5 ms per MatMul for a 512-row x on 2 vCPUs.
   *
   * @param dir where to export (must not exist yet)
   * @param matmuls the chain's length
   * @throws IOException if writing fails
   */
  static void slowChain(Path dir, int matmuls) throws IOException {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 512)));
      float[][] w = new float[512][512];
      for (float[] row : w) {
        Arrays.fill(row, 1f / 512);
      }
      Operand<TFloat32> weight = tf.constant(StdArrays.ndCopyOf(w));
      Operand<TFloat32> y = x;
      for (int i = 0; i < matmuls; i++) {
        y = tf.linalg.matMul(y, weight);
      }
      y = tf.withName("y").identity(y);
      export(g, dir, Signature.builder().key(Signature.DEFAULT_KEY).input("x", x).output("y", y).build());
    }
  }

  private static void export(Graph g, Path dir, Signature signature) throws IOException {
    try (Session s = new Session(g)) {
      SavedModelBundle.exporter(dir.toString()).withSession(s).withSignature(signature).export();
    }
    canonicalize(dir);
  }

  /**
   * Rewrites {@code saved_model.pb} with protobuf's deterministic serialization (map entries, such as a
   * node's attributes, sorted by key): the exporter writes them in hash order, which differs between runs.
   * The variables files are already identical between runs.
   *
   * @param dir an exported SavedModel
   * @throws IOException if reading or writing fails
   */
  static void canonicalize(Path dir) throws IOException {
    Path pb = dir.resolve(TensorflowBackend.SAVED_MODEL_PB);
    SavedModel model = SavedModel.parseFrom(Files.readAllBytes(pb));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.useDeterministicSerialization();
    model.writeTo(out);
    out.flush();
    Files.write(pb, bytes.toByteArray());
  }
}
