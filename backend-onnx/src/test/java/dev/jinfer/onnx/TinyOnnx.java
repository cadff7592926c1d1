package dev.jinfer.onnx;

import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.kit.BackendCompatibilityKit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes tiny single-node ONNX models for tests that need a model the committed fixtures do not have
 * (a sequence output, an unsupported element type, custom metadata). A hand-rolled protobuf encoder of
 * the few {@code onnx.proto} fields used; deterministic.
 */
final class TinyOnnx {
  static final int FLOAT = 1;
  static final int UINT16 = 4;

  private TinyOnnx() {}

  /**
   * A model {@code y = op(x)} with x of {@code elemType} [batch, 3].
   *
   * @param path where to write
   * @param op the operator type, e.g. {@code Identity} or {@code SequenceConstruct}
   * @param elemType the ONNX element type of x
   * @param sequenceOutput whether y is declared as a sequence of tensors rather than a tensor
   * @param metadata custom metadata_props
   * @return the path
   * @throws IOException if writing fails
   */
  static Path write(Path path, String op, int elemType, boolean sequenceOutput, Map<String, String> metadata)
      throws IOException {
    Proto node = new Proto().string(1, "x").string(2, "y").string(3, "node").string(4, op);
    Proto xType = new Proto().message(1, tensorType(elemType, true));
    Proto yType = sequenceOutput
        ? new Proto().message(4, new Proto().message(1, new Proto().message(1, tensorType(elemType, false))))
        : new Proto().message(1, tensorType(elemType, true));
    Proto graph = new Proto()
        .message(1, node)
        .string(2, "tiny_graph")
        .string(10, "a graph for tests")
        .message(11, new Proto().string(1, "x").message(2, xType))
        .message(12, new Proto().string(1, "y").message(2, yType));
    Proto model = new Proto()
        .varint(1, 8) // ir_version
        .string(2, "jinfer-tests")
        .string(3, "0.0.1")
        .string(4, "dev.jinfer.test")
        .varint(5, 3) // model_version
        .string(6, "tiny test model")
        .message(7, graph)
        .message(8, new Proto().string(1, "").varint(2, 17));
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      model.message(14, new Proto().string(1, e.getKey()).string(2, e.getValue()));
    }
    Files.write(path, model.bytes());
    return path;
  }

  /**
   * A deliberately slow model for deadline tests: {@code y = x W W ... W} ({@code nodes} MatMul nodes in a
   * chain), x and y FLOAT [batch, size], W a [size, size] initializer of 1/size everywhere (so values stay
   * bounded: each product replaces every element by its row's mean). A batch of {@code size} rows costs
   * {@code nodes * size^3} multiply-adds; ONNX Runtime can stop it between any two nodes.
   *
   * @param path where to write
   * @param size the width of x and W
   * @param nodes how many MatMul nodes
   * @return the path
   * @throws IOException if writing fails
   */
  static Path matMulChain(Path path, int size, int nodes) throws IOException {
    java.nio.ByteBuffer w = java.nio.ByteBuffer.allocate(size * size * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < size * size; i++) {
      w.putFloat(1f / size);
    }
    Proto weights = new Proto().varint(1, size).varint(1, size).varint(2, FLOAT).string(8, "W");
    weights.bytes(9, w.array());
    Proto graph = new Proto();
    for (int i = 0; i < nodes; i++) {
      String in = i == 0 ? "x" : "h" + (i - 1);
      String out = i == nodes - 1 ? "y" : "h" + i;
      graph.message(1, new Proto().string(1, in).string(1, "W").string(2, out).string(3, "matmul" + i).string(4, "MatMul"));
    }
    Proto shape = new Proto().message(1, new Proto().string(2, "batch")).message(1, new Proto().varint(1, size));
    Proto type = new Proto().message(1, new Proto().varint(1, FLOAT).message(2, shape));
    graph.string(2, "matmul_chain")
        .message(5, weights)
        .message(11, new Proto().string(1, "x").message(2, type))
        .message(12, new Proto().string(1, "y").message(2, type));
    Proto model = new Proto()
        .varint(1, 8)
        .string(2, "jinfer-tests")
        .message(7, graph)
        .message(8, new Proto().string(1, "").varint(2, 17));
    Files.write(path, model.bytes());
    return path;
  }

  /**
   * The kit's slow call: a {@link #matMulChain} of 384 MatMul nodes on a [512, 512] batch (52 G
   * multiply-adds), about half a second on two cores with AVX-512, longer on slower machines.
   *
   * @param dir where to write the model
   * @return the model and its request
   * @throws IOException if writing fails
   */
  static BackendCompatibilityKit.SlowCall slowCall(Path dir) throws IOException {
    int size = 512;
    float[] x = new float[size * size];
    for (int i = 0; i < x.length; i++) {
      x[i] = i % 7;
    }
    Path model = matMulChain(dir.resolve("matmul_chain.onnx"), size, 384);
    return new BackendCompatibilityKit.SlowCall(model, NamedTensors.of("x", Tensor.ofFloats(x, size, size)));
  }

  private static Proto tensorType(int elemType, boolean withShape) {
    Proto t = new Proto().varint(1, elemType);
    if (withShape) {
      t.message(2, new Proto().message(1, new Proto().string(2, "batch")).message(1, new Proto().varint(1, 3)));
    }
    return t;
  }

  /** A protobuf message being written. */
  private static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Proto varint(int field, long value) {
      rawVarint((long) field << 3);
      rawVarint(value);
      return this;
    }

    Proto string(int field, String value) {
      return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    Proto message(int field, Proto value) {
      return bytes(field, value.bytes());
    }

    private Proto bytes(int field, byte[] value) {
      rawVarint((long) field << 3 | 2);
      rawVarint(value.length);
      out.writeBytes(value);
      return this;
    }

    private void rawVarint(long value) {
      long v = value;
      while ((v & ~0x7fL) != 0) {
        out.write((int) ((v & 0x7f) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
