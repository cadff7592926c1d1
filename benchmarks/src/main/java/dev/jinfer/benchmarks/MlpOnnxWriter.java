package dev.jinfer.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a seeded multi-layer perceptron as an ONNX model, so that a benchmark can use a model of any
 * width without committing megabytes of weights: {@code x float32[batch, w0] -> Gemm -> Relu -> ... ->
 * Gemm -> y float32[batch, wN]} (ReLU between layers, none after the last), He-normal weights and small
 * uniform biases from {@link Random} with a fixed seed, opset 17, IR version 8. A hand-rolled encoder of
 * the few {@code onnx.proto} fields used (as {@code backend-onnx}'s test {@code TinyOnnx}); deterministic:
 * the same widths and seed give the same bytes.
 */
final class MlpOnnxWriter {
  private static final int FLOAT = 1;

  private MlpOnnxWriter() {}

  /**
   * Writes the model.
   *
   * @param path where
   * @param seed the weights' seed
   * @param widths the layer widths, input first, e.g. {@code 256, 1024, 1024, 128}
   * @return the path
   * @throws IOException if writing fails
   */
  static Path write(Path path, long seed, int... widths) throws IOException {
    if (widths.length < 2) {
      throw new IllegalArgumentException("widths: expected at least an input and an output width");
    }
    Random random = new Random(seed);
    Proto graph = new Proto().string(2, "mlp");
    String previous = "x";
    for (int layer = 0; layer + 1 < widths.length; layer++) {
      int in = widths[layer];
      int out = widths[layer + 1];
      float[] w = new float[in * out];
      double std = Math.sqrt(2.0 / in);
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) (random.nextGaussian() * std);
      }
      float[] b = new float[out];
      for (int i = 0; i < b.length; i++) {
        b[i] = (random.nextFloat() - 0.5f) * 0.2f;
      }
      String wName = "w" + layer;
      String bName = "b" + layer;
      graph.message(5, initializer(wName, w, in, out));
      graph.message(5, initializer(bName, b, out));
      boolean last = layer + 2 == widths.length;
      String gemmOut = last ? "y" : "h" + layer;
      graph.message(1, new Proto().string(1, previous).string(1, wName).string(1, bName).string(2, gemmOut)
          .string(3, "gemm" + layer).string(4, "Gemm"));
      if (!last) {
        String reluOut = "r" + layer;
        graph.message(1, new Proto().string(1, gemmOut).string(2, reluOut).string(3, "relu" + layer).string(4, "Relu"));
        previous = reluOut;
      }
    }
    graph.message(11, valueInfo("x", widths[0]));
    graph.message(12, valueInfo("y", widths[widths.length - 1]));
    Proto model = new Proto()
        .varint(1, 8) // ir_version
        .string(2, "jinfer-benchmarks")
        .string(3, "0.1.0")
        .message(7, graph)
        .message(8, new Proto().string(1, "").varint(2, 17));
    Files.write(path, model.bytes());
    return path;
  }

  private static Proto initializer(String name, float[] values, long... dims) {
    Proto t = new Proto();
    for (long d : dims) {
      t.varint(1, d);
    }
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    return t.varint(2, FLOAT).string(8, name).bytes(9, raw.array());
  }

  private static Proto valueInfo(String name, int width) {
    Proto shape = new Proto().message(1, new Proto().string(2, "batch")).message(1, new Proto().varint(1, width));
    return new Proto().string(1, name).message(2, new Proto().message(1, new Proto().varint(1, FLOAT).message(2, shape)));
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
      return bytes(field, value.out.toByteArray());
    }

    Proto bytes(int field, byte[] value) {
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
