package dev.jinfer.optimize;

import com.google.protobuf.UnsafeByteOperations;
import dev.jinfer.InvalidInputException;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import dev.jinfer.optimize.proto.Onnx.TensorShapeProto;
import dev.jinfer.optimize.proto.Onnx.TypeProto;
import dev.jinfer.optimize.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Builds and reads the {@link TensorProto} initializers and {@link ValueInfoProto} declarations of ONNX graphs.
 * Tensors are written as little-endian {@code raw_data}, as exporters do.
 *
 * <p>All methods are static, pure and thread-safe.
 */
public final class OnnxTensors {
  private OnnxTensors() {}

  /**
   * A FLOAT initializer.
   *
   * @param name the initializer's name
   * @param values the values in row-major order
   * @param dims the shape
   * @return the tensor
   * @throws IllegalArgumentException if the shape does not hold {@code values.length} elements
   */
  public static TensorProto floats(String name, float[] values, long... dims) {
    checkCount(name, values.length, dims);
    ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    return tensor(name, TensorProto.DataType.FLOAT, raw.array(), dims);
  }

  /**
   * An INT8 initializer.
   *
   * @param name the initializer's name
   * @param values the values in row-major order
   * @param dims the shape
   * @return the tensor
   * @throws IllegalArgumentException if the shape does not hold {@code values.length} elements
   */
  public static TensorProto int8s(String name, byte[] values, long... dims) {
    checkCount(name, values.length, dims);
    return tensor(name, TensorProto.DataType.INT8, values.clone(), dims); // wrapped, not copied: the clone is ours
  }

  /**
   * An INT64 initializer.
   *
   * @param name the initializer's name
   * @param values the values in row-major order
   * @param dims the shape
   * @return the tensor
   * @throws IllegalArgumentException if the shape does not hold {@code values.length} elements
   */
  public static TensorProto int64s(String name, long[] values, long... dims) {
    checkCount(name, values.length, dims);
    ByteBuffer raw = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    raw.asLongBuffer().put(values);
    return tensor(name, TensorProto.DataType.INT64, raw.array(), dims);
  }

  /**
   * The values of a FLOAT tensor, from {@code raw_data} or {@code float_data}.
   *
   * @param tensor the tensor
   * @return a new array of its values
   * @throws InvalidInputException if the tensor is not FLOAT or its data does not match its shape
   */
  public static float[] toFloats(TensorProto tensor) {
    if (tensor.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      throw new InvalidInputException("tensor '" + tensor.getName() + "': expected FLOAT but got "
          + dataTypeName(tensor.getDataType()));
    }
    long count = elementCount(tensor.getDimsList().stream().mapToLong(Long::longValue).toArray());
    float[] values;
    if (tensor.hasRawData()) {
      ByteBuffer raw = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      values = new float[raw.remaining() / Float.BYTES];
      raw.asFloatBuffer().get(values);
    } else {
      values = new float[tensor.getFloatDataCount()];
      for (int i = 0; i < values.length; i++) {
        values[i] = tensor.getFloatData(i);
      }
    }
    if (values.length != count) {
      throw new InvalidInputException("tensor '" + tensor.getName() + "': expected " + count + " values for shape "
          + tensor.getDimsList() + " but got " + values.length);
    }
    return values;
  }

  /**
   * A graph input or output declaration of a tensor.
   *
   * @param name the value's name
   * @param elemType the element type
   * @param dims each a {@link Number} (a fixed size) or a {@link String} (a symbolic dimension such as
   *     {@code "batch"})
   * @return the declaration
   * @throws IllegalArgumentException if a dimension is neither a number nor a string
   */
  public static ValueInfoProto valueInfo(String name, TensorProto.DataType elemType, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      if (d instanceof Number n) {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(n.longValue()));
      } else if (d instanceof String s) {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(s));
      } else {
        throw new IllegalArgumentException("dimension of '" + name + "' must be a Number or a String but was " + d);
      }
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(
            TypeProto.Tensor.newBuilder().setElemType(elemType.getNumber()).setShape(shape)))
        .build();
  }

  /**
   * The name of an ONNX element type number, e.g. {@code FLOAT} for 1.
   *
   * @param dataType the {@code TensorProto.DataType} number
   * @return its name, or {@code type <n>} for a number this schema does not know
   */
  public static String dataTypeName(int dataType) {
    TensorProto.DataType t = TensorProto.DataType.forNumber(dataType);
    return t == null ? "type " + dataType : t.name();
  }

  private static TensorProto tensor(String name, TensorProto.DataType type, byte[] raw, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
        .setRawData(UnsafeByteOperations.unsafeWrap(raw));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static void checkCount(String name, int count, long... dims) {
    if (elementCount(dims) != count) {
      throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(dims) + " holds "
          + elementCount(dims) + " elements but " + count + " values were given");
    }
  }

  private static long elementCount(long[] dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }
}
