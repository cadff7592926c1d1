package dev.jinfer.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.TensorInfo.OnnxTensorType;
import dev.jinfer.DType;
import dev.jinfer.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jspecify.annotations.Nullable;

/** Conversions between jinfer tensors and ONNX Runtime tensors, and between their element types. */
final class OnnxTensors {
  private OnnxTensors() {}

  /**
   * The jinfer type of an ONNX element type.
   *
   * @param type the ONNX type
   * @return the dtype, or null if jinfer has none (unsigned 16/32/64-bit, bfloat16, complex, float8)
   */
  static @Nullable DType dtype(OnnxTensorType type) {
    switch (type) {
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
        return DType.FLOAT32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
        return DType.FLOAT64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
        return DType.FLOAT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
        return DType.INT8;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
        return DType.UINT8;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
        return DType.INT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
        return DType.INT32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
        return DType.INT64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
        return DType.BOOL;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING:
        return DType.STRING;
      default:
        return null;
    }
  }

  static OnnxJavaType javaType(DType dtype) {
    switch (dtype) {
      case FLOAT32:
        return OnnxJavaType.FLOAT;
      case FLOAT64:
        return OnnxJavaType.DOUBLE;
      case FLOAT16:
        return OnnxJavaType.FLOAT16;
      case INT8:
        return OnnxJavaType.INT8;
      case UINT8:
        return OnnxJavaType.UINT8;
      case INT16:
        return OnnxJavaType.INT16;
      case INT32:
        return OnnxJavaType.INT32;
      case INT64:
        return OnnxJavaType.INT64;
      case BOOL:
        return OnnxJavaType.BOOL;
      case STRING:
        return OnnxJavaType.STRING;
      default:
        throw new AssertionError(dtype);
    }
  }

  /**
   * An ONNX Runtime tensor over a jinfer tensor's data. A direct tensor is wrapped without a copy (ONNX
   * Runtime reads the read-only little-endian view in place); a heap-backed one is first copied into a
   * direct buffer; strings are encoded by ONNX Runtime. The caller closes the result.
   *
   * @param env the environment
   * @param tensor the input
   * @return a new ONNX Runtime tensor
   * @throws OrtException if the engine refuses it
   */
  static OnnxTensor toOnnx(OrtEnvironment env, Tensor tensor) throws OrtException {
    return toOnnx(env, tensor, null);
  }

  /**
   * Whether {@link #toOnnx(OrtEnvironment, Tensor, ByteBuffer)} needs a direct buffer to copy this tensor into.
   *
   * @param tensor the input
   * @return true for a heap-backed fixed-width tensor
   */
  static boolean needsStaging(Tensor tensor) {
    return tensor.dtype() != DType.STRING && !tensor.isDirect();
  }

  /**
   * An ONNX Runtime tensor over a jinfer tensor's data, as {@link #toOnnx(OrtEnvironment, Tensor)}, copying a
   * heap-backed tensor into {@code staging} (a direct buffer of exactly its byte size, position 0) instead of a
   * new one. The caller closes the result before it reuses {@code staging}.
   *
   * @param env the environment
   * @param tensor the input
   * @param staging where a heap-backed tensor goes; null to allocate one
   * @return a new ONNX Runtime tensor
   * @throws OrtException if the engine refuses it
   */
  static OnnxTensor toOnnx(OrtEnvironment env, Tensor tensor, @Nullable ByteBuffer staging) throws OrtException {
    long[] shape = tensor.shape().toArray();
    if (tensor.dtype() == DType.STRING) {
      return OnnxTensor.createTensor(env, tensor.toStringArray(), shape);
    }
    ByteBuffer data = tensor.buffer();
    if (!data.isDirect()) {
      // ONNX Runtime would copy a heap buffer too, but into a new direct buffer per call, and only a typed one
      // (a heap ByteBuffer of floats fails)
      ByteBuffer direct = staging != null ? staging : ByteBuffer.allocateDirect(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
      direct.put(data).flip();
      data = direct;
    }
    return OnnxTensor.createTensor(env, data, shape, javaType(tensor.dtype()));
  }

  /**
   * Copies an ONNX Runtime tensor out of native memory into a jinfer tensor (one copy, into a heap buffer
   * the new tensor adopts).
   *
   * @param name the output's name, for messages
   * @param value the engine's output
   * @return a tensor detached from native memory
   * @throws OrtException if the engine cannot read it out
   * @throws IllegalStateException if the element type has no jinfer dtype
   */
  static Tensor fromOnnx(String name, OnnxTensor value) throws OrtException {
    TensorInfo info = value.getInfo();
    DType dtype = dtype(info.onnxType);
    if (dtype == null) {
      throw new IllegalStateException("output '" + name + "': ONNX element type " + info.onnxType + " has no jinfer dtype");
    }
    long[] shape = info.getShape();
    if (dtype == DType.STRING) {
      int count = Math.toIntExact(info.getNumElements());
      String[] flat = new String[count];
      int filled = flatten(value.getValue(), flat, 0);
      if (filled != count) {
        throw new IllegalStateException("output '" + name + "': expected " + count + " strings but read " + filled);
      }
      return Tensor.ofStrings(flat, shape);
    }
    // getByteBuffer() copies native memory into a heap buffer in native (little-endian) order
    return Tensor.fromBuffer(dtype, value.getByteBuffer(), shape);
  }

  /** Writes the strings of a (nested) String array or a scalar String in row-major order. */
  private static int flatten(@Nullable Object value, String[] out, int at) {
    if (value instanceof String) {
      out[at] = (String) value;
      return at + 1;
    }
    if (value instanceof Object[]) {
      int next = at;
      for (Object o : (Object[]) value) {
        next = flatten(o, out, next);
      }
      return next;
    }
    throw new IllegalStateException("expected a String or String array but got " + value);
  }
}
