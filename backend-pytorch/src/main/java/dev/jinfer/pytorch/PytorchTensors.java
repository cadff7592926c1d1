package dev.jinfer.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.jinfer.DType;
import dev.jinfer.Tensor;
import dev.jinfer.spi.StagingBuffers;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Conversions between jinfer tensors and DJL PyTorch arrays, and between their element types. */
final class PytorchTensors {
  /**
   * The jinfer dtypes this backend passes: every one but STRING (PyTorch has no string tensors) and INT16
   * (libtorch has int16, but DJL 0.36's JNI maps no element type to it: creating such a tensor aborts the
   * JVM, and an int16 output comes back as UNKNOWN).
   */
  static final Set<DType> SUPPORTED = java.util.Collections.unmodifiableSet(
      EnumSet.complementOf(EnumSet.of(DType.STRING, DType.INT16)));

  private PytorchTensors() {}

  static DataType dataType(DType dtype) {
    switch (dtype) {
      case FLOAT32:
        return DataType.FLOAT32;
      case FLOAT64:
        return DataType.FLOAT64;
      case FLOAT16:
        return DataType.FLOAT16;
      case INT8:
        return DataType.INT8;
      case UINT8:
        return DataType.UINT8;
      case INT32:
        return DataType.INT32;
      case INT64:
        return DataType.INT64;
      case BOOL:
        return DataType.BOOLEAN;
      default: // INT16 included: DJL 0.36's JNI aborts the JVM on it
        throw new IllegalArgumentException("dtype " + dtype + " has no PyTorch equivalent");
    }
  }

  /**
   * The jinfer type of a DJL element type.
   *
   * @param type the DJL type
   * @return the dtype, or null if this backend cannot return it (int16, bfloat16, unsigned 16/32/64-bit, complex)
   */
  static @Nullable DType dtype(DataType type) {
    switch (type) {
      case FLOAT32:
        return DType.FLOAT32;
      case FLOAT64:
        return DType.FLOAT64;
      case FLOAT16:
        return DType.FLOAT16;
      case INT8:
        return DType.INT8;
      case UINT8:
        return DType.UINT8;
      case INT32:
        return DType.INT32;
      case INT64:
        return DType.INT64;
      case BOOLEAN:
        return DType.BOOL;
      default:
        return null;
    }
  }

  /**
   * A PyTorch tensor over a jinfer tensor's data, owned by {@code scope}. A direct tensor is wrapped without a copy
   * (libtorch reads the little-endian bytes in place, so a model must not modify its inputs in place); a
   * heap-backed one is first copied into a buffer from {@code staging}, which the caller gives back once
   * {@code scope} is closed.
   *
   * @param scope the per-call manager that will close it
   * @param tensor the input, not STRING
   * @param staging the pool a heap-backed input is copied into
   * @param staged where the staging buffer taken, if any, is put at {@code index}
   * @param index the input's position
   * @return the array
   */
  static NDArray toTorch(NDManager scope, Tensor tensor, StagingBuffers staging, ByteBuffer[] staged, int index) {
    ByteBuffer data = tensor.buffer();
    if (!data.isDirect()) {
      ByteBuffer direct = staging.acquire(data.remaining());
      staged[index] = direct;
      direct.put(data).flip();
      data = direct;
    }
    return scope.create(data, new ai.djl.ndarray.types.Shape(tensor.shape().toArray()), dataType(tensor.dtype()));
  }

  /**
   * Copies a PyTorch tensor out of native memory into a new heap buffer that a jinfer tensor adopts (one copy, as
   * the ONNX Runtime and TensorFlow backends do; a heap buffer costs the allocator and the GC less than a direct
   * one). The array stays owned by its manager.
   *
   * @param name the output's name, for messages
   * @param array the engine's output
   * @return a tensor detached from native memory
   * @throws IllegalStateException if the element type has no jinfer dtype
   */
  static Tensor fromTorch(String name, NDArray array) {
    DType dtype = dtype(array.getDataType());
    if (dtype == null) {
      throw new IllegalStateException("output '" + name + "': the model returned a " + array.getDataType()
          + " tensor (DJL reports int16, bfloat16 and other types it cannot map as UNKNOWN), which this backend cannot "
          + "return; convert it in the model (e.g. .to(torch.int32)) to one of " + SUPPORTED);
    }
    long[] shape = array.getShape().getShape();
    // a view of the native memory (made contiguous first if needed), valid until the array closes
    ByteBuffer view = array.toByteBuffer(true);
    ByteBuffer copy = ByteBuffer.allocate(view.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    copy.put(view).flip();
    return Tensor.fromBuffer(dtype, copy, shape);
  }
}
