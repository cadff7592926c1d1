package dev.jinfer.tensorflow;

import dev.jinfer.DType;
import dev.jinfer.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.jspecify.annotations.Nullable;
import org.tensorflow.RawTensor;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.ndarray.buffer.DataBuffer;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.buffer.DataStorageVisitor;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * Converts between jinfer tensors and TensorFlow tensors, and between their element types. Fixed-width
 * data is copied once each way (TensorFlow Java allocates every tensor itself, so it cannot adopt a
 * jinfer buffer); both sides are little-endian on every platform TensorFlow ships natives for.
 */
final class TensorflowTensors {
  /** The jinfer dtypes TensorFlow Java 1.1 has a tensor class for, with that class. */
  private static final Map<DType, Class<? extends TType>> CLASSES = new EnumMap<>(DType.class);
  private static final Map<DType, DataType> TF_TYPES = new EnumMap<>(DType.class);

  static {
    put(DType.FLOAT32, TFloat32.class, DataType.DT_FLOAT);
    put(DType.FLOAT64, TFloat64.class, DataType.DT_DOUBLE);
    put(DType.FLOAT16, TFloat16.class, DataType.DT_HALF);
    put(DType.UINT8, TUint8.class, DataType.DT_UINT8);
    put(DType.INT32, TInt32.class, DataType.DT_INT32);
    put(DType.INT64, TInt64.class, DataType.DT_INT64);
    put(DType.BOOL, TBool.class, DataType.DT_BOOL);
    put(DType.STRING, TString.class, DataType.DT_STRING);
  }

  /**
   * Views a TensorFlow tensor's native data as a direct buffer, for a single bulk copy; null if the
   * buffer does not expose its address. The view must not outlive the tensor.
   */
  private static final DataStorageVisitor<@Nullable ByteBuffer> NATIVE_VIEW = new DataStorageVisitor<>() {
    @Override
    public @Nullable ByteBuffer visit(long address, long length, long scale) {
      if (address == 0 || scale != 1 || length > Integer.MAX_VALUE) {
        return null;
      }
      return new NativeBytes(address, length).asByteBuffer();
    }

    @Override
    public @Nullable ByteBuffer fallback() {
      return null;
    }
  };

  private TensorflowTensors() {}

  /**
   * A direct buffer over a TensorFlow tensor's native data.
   *
   * @param t a fixed-width tensor, which must outlive the returned view
   * @return the view, or null if TensorFlow Java does not expose the address
   */
  static @Nullable ByteBuffer nativeView(org.tensorflow.Tensor t) {
    return t.asRawTensor().data().accept(NATIVE_VIEW);
  }

  /** A JavaCPP pointer to memory TensorFlow owns: no deallocator, so nothing is freed through it. */
  private static final class NativeBytes extends BytePointer {
    NativeBytes(long address, long bytes) {
      this.address = address;
      this.position = 0;
      this.limit = bytes;
      this.capacity = bytes;
    }
  }

  private static void put(DType dtype, Class<? extends TType> type, DataType tfType) {
    CLASSES.put(dtype, type);
    TF_TYPES.put(dtype, tfType);
  }

  /**
   * The jinfer dtypes this backend passes: every {@link DType} except INT8 and INT16, which TensorFlow
   * Java 1.1 has no tensor class for.
   *
   * @return the supported dtypes
   */
  static List<DType> supported() {
    return List.copyOf(CLASSES.keySet());
  }

  /**
   * The jinfer dtype of a TensorFlow element type.
   *
   * @param type a TensorFlow type
   * @return the dtype, or null if this backend cannot pass it
   */
  static @Nullable DType dtype(DataType type) {
    for (Map.Entry<DType, DataType> e : TF_TYPES.entrySet()) {
      if (e.getValue() == type) {
        return e.getKey();
      }
    }
    return null;
  }

  /**
   * Why a TensorFlow element type cannot be passed, for load errors.
   *
   * @param type the unsupported type
   * @return a short explanation
   */
  static String whyUnsupported(DataType type) {
    switch (type) {
      case DT_INT8:
      case DT_INT16:
        return "TensorFlow Java 1.1 has no tensor class for " + type + ", so it can neither feed nor fetch it; cast to "
            + "DT_INT32 at the model's boundary (tf.cast) and re-export";
      default:
        return "jinfer has no matching DType; supported: " + TF_TYPES.values();
    }
  }

  /**
   * Copies a jinfer tensor into a new TensorFlow tensor, which the caller closes.
   *
   * @param tensor the input
   * @return the TensorFlow tensor
   * @throws IllegalArgumentException if the dtype has no TensorFlow counterpart (the signature check at load
   *     makes this unreachable for validated requests)
   */
  static org.tensorflow.Tensor toTensorflow(Tensor tensor) {
    org.tensorflow.ndarray.Shape shape = org.tensorflow.ndarray.Shape.of(tensor.shape().toArray());
    if (tensor.dtype() == DType.STRING) {
      String[] values = tensor.toStringArray();
      byte[][] bytes = new byte[values.length][];
      for (int i = 0; i < values.length; i++) {
        bytes[i] = values[i].getBytes(StandardCharsets.UTF_8);
      }
      return TString.tensorOfBytes(shape, DataBuffers.ofObjects(bytes));
    }
    Class<? extends TType> type = CLASSES.get(tensor.dtype());
    if (type == null) {
      throw new IllegalArgumentException("dtype " + tensor.dtype() + " has no TensorFlow Java tensor class");
    }
    org.tensorflow.Tensor t = org.tensorflow.Tensor.of(type, shape);
    try {
      ByteBuffer src = tensor.buffer();
      ByteDataBuffer dst = t.asRawTensor().data();
      ByteBuffer target = nativeView(t);
      if (target != null && target.capacity() == src.remaining()) {
        target.put(src); // one memcpy into the tensor's native memory
      } else {
        // ndarray copies element by element from a ByteBuffer (0.8 GB/s measured) but in bulk from a byte[]
        byte[] bytes = new byte[src.remaining()];
        src.get(bytes);
        dst.write(bytes);
      }
      return t;
    } catch (RuntimeException | Error e) {
      t.close();
      throw e;
    }
  }

  /**
   * Copies a TensorFlow tensor out of native memory into a heap-backed jinfer tensor.
   *
   * @param name the output's name, for errors
   * @param expected the dtype the signature declares
   * @param tensor the TensorFlow tensor; the caller closes it
   * @return the detached tensor
   * @throws IllegalStateException if TensorFlow returned another dtype than the signature declares
   */
  static Tensor fromTensorflow(String name, DType expected, org.tensorflow.Tensor tensor) {
    DType actual = dtype(tensor.dataType());
    if (actual != expected) {
      throw new IllegalStateException("output '" + name + "': the signature declares " + expected + " but TensorFlow returned "
          + tensor.dataType());
    }
    long[] dims = tensor.shape().asArray();
    if (expected == DType.STRING) {
      NdArray<byte[]> bytes = ((TString) tensor).asBytes();
      long count = bytes.size();
      DataBuffer<byte[]> buffer = DataBuffers.ofObjects(byte[].class, count);
      bytes.copyTo(buffer);
      String[] values = new String[Math.toIntExact(count)];
      for (int i = 0; i < values.length; i++) {
        values[i] = new String(buffer.getObject(i), StandardCharsets.UTF_8);
      }
      return Tensor.ofStrings(values, dims);
    }
    RawTensor raw = tensor.asRawTensor();
    ByteDataBuffer data = raw.data();
    byte[] copy = new byte[Math.toIntExact(raw.numBytes())];
    data.read(copy);
    return Tensor.fromBuffer(expected, ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN), dims);
  }
}
