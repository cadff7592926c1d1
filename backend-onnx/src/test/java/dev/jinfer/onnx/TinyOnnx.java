package dev.jinfer.onnx;

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
