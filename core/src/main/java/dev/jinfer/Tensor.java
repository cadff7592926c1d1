package dev.jinfer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An immutable, typed, shaped block of data: what goes into and comes out of a model.
 *
 * <p>Fixed-width tensors are backed by a little-endian {@link ByteBuffer}. Tensors built by the
 * {@code of*} factories and by {@link #concat} use a direct buffer, so engines read them without a
 * copy; {@link #fromBuffer} adopts a direct buffer as it is (zero copy). Output tensors that a backend
 * copies out of native memory may be heap-backed ({@link #isDirect()}), which saves one copy. STRING
 * tensors hold Java strings.
 *
 * <p>The first dimension is the batch (row) dimension: {@link #slice} returns row views that share the
 * buffer, and {@link #concat} joins tensors along it. A tensor is limited to {@link Integer#MAX_VALUE}
 * bytes. Instances are immutable and thread-safe, provided the caller of {@link #fromBuffer} no longer
 * writes to the buffer it handed over.
 */
public final class Tensor {
  private final DType dtype;
  private final Shape shape;
  private final int elements;
  // little-endian, position 0, limit = byte size; never exposed writable
  private final @Nullable ByteBuffer data;
  private final String @Nullable [] strings;
  private final int stringOffset;

  private Tensor(DType dtype, Shape shape, int elements, @Nullable ByteBuffer data, String @Nullable [] strings,
      int stringOffset) {
    this.dtype = dtype;
    this.shape = shape;
    this.elements = elements;
    this.data = data;
    this.strings = strings;
    this.stringOffset = stringOffset;
  }

  // ---------------------------------------------------------------- factories

  /**
   * A FLOAT32 tensor holding a copy of the values.
   *
   * @param values the elements in row-major order
   * @param shape the dimensions; their product must equal {@code values.length}
   * @return the tensor
   * @throws InvalidInputException if values is null or its length does not match the shape
   */
  public static Tensor ofFloats(float[] values, long... shape) {
    requireArray(values, "float[]");
    Shape s = concreteShape(shape, values.length, DType.FLOAT32);
    ByteBuffer b = allocate(values.length * 4L);
    b.asFloatBuffer().put(values);
    return new Tensor(DType.FLOAT32, s, values.length, b, null, 0);
  }

  /**
   * A FLOAT32 matrix {@code [rows.length, rows[0].length]} holding a copy of the values.
   *
   * @param rows the rows, all of one length
   * @return the tensor
   * @throws InvalidInputException if rows is null, empty, or ragged
   */
  public static Tensor ofFloats(float[][] rows) {
    int cols = matrixColumns(rows, "float[][]");
    ByteBuffer b = allocate((long) rows.length * cols * 4L);
    java.nio.FloatBuffer fb = b.asFloatBuffer();
    for (int r = 0; r < rows.length; r++) {
      requireRow(rows[r], r, cols);
      fb.put(rows[r]);
    }
    return new Tensor(DType.FLOAT32, Shape.of(rows.length, cols), rows.length * cols, b, null, 0);
  }

  /**
   * A FLOAT16 tensor: the values are rounded to half precision (nearest even).
   *
   * @param values the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws InvalidInputException if values is null or its length does not match the shape
   */
  public static Tensor ofFloat16(float[] values, long... shape) {
    requireArray(values, "float[]");
    Shape s = concreteShape(shape, values.length, DType.FLOAT16);
    ByteBuffer b = allocate(values.length * 2L);
    for (int i = 0; i < values.length; i++) {
      b.putShort(i * 2, Half.fromFloat(values[i]));
    }
    return new Tensor(DType.FLOAT16, s, values.length, b, null, 0);
  }

  /**
   * A FLOAT64 tensor holding a copy of the values.
   *
   * @param values the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws InvalidInputException if values is null or its length does not match the shape
   */
  public static Tensor ofDoubles(double[] values, long... shape) {
    requireArray(values, "double[]");
    Shape s = concreteShape(shape, values.length, DType.FLOAT64);
    ByteBuffer b = allocate(values.length * 8L);
    b.asDoubleBuffer().put(values);
    return new Tensor(DType.FLOAT64, s, values.length, b, null, 0);
  }

  /**
   * An INT8 tensor holding a copy of the values.
   *
   * @param values the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws InvalidInputException if values is null or its length does not match the shape
   */
  public static Tensor ofBytes(byte[] values, long... shape) {
    return ofRawBytes(DType.INT8, values, shape);
  }

  /**
   * A UINT8 tensor holding a copy of the values (each byte's bits read as 0..255).
   *
   * @param values the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws InvalidInputException if values is null or its length does not match the shape
   */
  public static Tensor ofUnsignedBytes(byte[] values, long... shape) {
    return ofRawBytes(DType.UINT8, values, shape);
  }

  /**
   * An INT16 tensor holding a copy of the values.
   *
   * @param values the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws InvalidInputException if values is null or its length does not match the shape
   */
  public static Tensor ofShorts(short[] values, long... shape) {
    requireArray(values, "short[]");
    Shape s = concreteShape(shape, values.length, DType.INT16);
    ByteBuffer b = allocate(values.length * 2L);
    b.asShortBuffer().put(values);
    return new Tensor(DType.INT16, s, values.length, b, null, 0);
  }

  /**
   * An INT32 tensor holding a copy of the values.
   *
   * @param values the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws InvalidInputException if values is null or its length does not match the shape
   */
  public static Tensor ofInts(int[] values, long... shape) {
    requireArray(values, "int[]");
    Shape s = concreteShape(shape, values.length, DType.INT32);
    ByteBuffer b = allocate(values.length * 4L);
    b.asIntBuffer().put(values);
    return new Tensor(DType.INT32, s, values.length, b, null, 0);
  }

  /**
   * An INT64 tensor holding a copy of the values.
   *
   * @param values the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws InvalidInputException if values is null or its length does not match the shape
   */
  public static Tensor ofLongs(long[] values, long... shape) {
    requireArray(values, "long[]");
    Shape s = concreteShape(shape, values.length, DType.INT64);
    ByteBuffer b = allocate(values.length * 8L);
    b.asLongBuffer().put(values);
    return new Tensor(DType.INT64, s, values.length, b, null, 0);
  }

  /**
   * A BOOL tensor holding a copy of the values.
   *
   * @param values the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws InvalidInputException if values is null or its length does not match the shape
   */
  public static Tensor ofBooleans(boolean[] values, long... shape) {
    requireArray(values, "boolean[]");
    Shape s = concreteShape(shape, values.length, DType.BOOL);
    ByteBuffer b = allocate(values.length);
    for (int i = 0; i < values.length; i++) {
      b.put(i, values[i] ? (byte) 1 : (byte) 0);
    }
    return new Tensor(DType.BOOL, s, values.length, b, null, 0);
  }

  /**
   * A STRING tensor holding a copy of the array (strings themselves are immutable).
   *
   * @param values the elements in row-major order, none null
   * @param shape the dimensions
   * @return the tensor
   * @throws InvalidInputException if values or an element is null, or the length does not match the shape
   */
  public static Tensor ofStrings(String[] values, long... shape) {
    requireArray(values, "String[]");
    Shape s = concreteShape(shape, values.length, DType.STRING);
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        throw new InvalidInputException("String[] element " + i + ": expected a string but got null");
      }
    }
    return new Tensor(DType.STRING, s, values.length, null, values.clone(), 0);
  }

  /**
   * Adopts a buffer as a tensor's data, without a copy: the tensor reads the bytes from the buffer's
   * position to its limit as little-endian, whatever the buffer's own byte order, and the caller must not
   * write to those bytes afterwards. Pass a direct buffer so that engines read it without a copy too (a
   * heap buffer works, but the engine copies it at each call); backends use this for their outputs.
   *
   * @param dtype a fixed-width type
   * @param buffer the data; exactly {@code elementCount * dtype.byteSize()} bytes remaining
   * @param shape the dimensions, all known
   * @return the tensor
   * @throws InvalidInputException if an argument is null, the type is STRING, or the buffer is shorter
   *     or longer than the shape needs
   */
  public static Tensor fromBuffer(DType dtype, ByteBuffer buffer, long... shape) {
    if (dtype == null) {
      throw new InvalidInputException("tensor dtype: expected a DType but got null");
    }
    if (!dtype.isFixedWidth()) {
      throw new InvalidInputException("tensor dtype: expected a fixed-width type for a buffer but got STRING; use ofStrings");
    }
    if (buffer == null) {
      throw new InvalidInputException("tensor data: expected a ByteBuffer but got null");
    }
    Shape s = checkedShape(shape);
    long count = s.elementCount();
    if (count > Integer.MAX_VALUE / dtype.byteSize()) {
      throw new InvalidInputException("tensor data: expected at most " + Integer.MAX_VALUE + " bytes but shape " + s
          + " needs " + count + " " + dtype + " elements");
    }
    long need = count * dtype.byteSize();
    if (buffer.remaining() != need) {
      throw new InvalidInputException("tensor data: expected " + need + " bytes (" + count + " " + dtype + " elements for shape "
          + s + ") but the buffer holds " + buffer.remaining() + " bytes");
    }
    // a view of exactly the data (no slice needed when the buffer holds nothing else: one object less per output)
    boolean exact = buffer.position() == 0 && buffer.limit() == buffer.capacity();
    ByteBuffer data = (exact ? buffer : buffer.slice()).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    return new Tensor(dtype, s, (int) count, data, null, 0);
  }

  // ---------------------------------------------------------------- accessors

  /**
   * The element type.
   *
   * @return the dtype
   */
  public DType dtype() {
    return dtype;
  }

  /**
   * The dimensions (all known).
   *
   * @return the shape
   */
  public Shape shape() {
    return shape;
  }

  /**
   * The number of elements.
   *
   * @return the product of the shape's dimensions
   */
  public int elementCount() {
    return elements;
  }

  /**
   * The number of rows: the first dimension.
   *
   * @return {@code shape().dim(0)}
   * @throws IllegalStateException for a scalar
   */
  public long rows() {
    if (shape.rank() == 0) {
      throw new IllegalStateException("a scalar tensor has no rows");
    }
    return shape.dim(0);
  }

  /**
   * Whether the data lives in a direct (off-heap) buffer that an engine can read without a copy.
   *
   * @return false for heap-backed and STRING tensors
   */
  public boolean isDirect() {
    return data != null && data.isDirect();
  }

  /**
   * The data as a read-only little-endian view, position 0, limit = byte size. Each call returns a new
   * view over the same memory.
   *
   * @return the data
   * @throws IllegalStateException for a STRING tensor
   */
  public ByteBuffer buffer() {
    return bytes().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Size of the data in bytes (for STRING, the sum of the UTF-8 lengths).
   *
   * @return the byte size
   */
  public long byteSize() {
    if (data != null) {
      return data.remaining();
    }
    long n = 0;
    for (int i = 0; i < elements; i++) {
      n += strings()[stringOffset + i].getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
    return n;
  }

  private ByteBuffer bytes() {
    if (data == null) {
      throw new IllegalStateException("a STRING tensor has no byte buffer; use toStringArray()");
    }
    return data;
  }

  private String[] strings() {
    if (strings == null) {
      throw new IllegalStateException("tensor is " + dtype + ", not STRING");
    }
    return strings;
  }

  private void requireType(DType expected, String method) {
    if (dtype != expected) {
      throw new IllegalStateException(method + " needs a " + expected + " tensor but this one is " + dtype);
    }
  }

  /**
   * One element of a FLOAT32 or FLOAT16 tensor as a float.
   *
   * @param index flat row-major index
   * @return the value
   * @throws IllegalStateException if the dtype is another one
   * @throws IndexOutOfBoundsException if the index is out of range
   */
  public float getFloat(int index) {
    Objects.checkIndex(index, elements);
    if (dtype == DType.FLOAT16) {
      return Half.toFloat(bytes().getShort(index * 2));
    }
    requireType(DType.FLOAT32, "getFloat");
    return bytes().getFloat(index * 4);
  }

  /**
   * One element of a FLOAT64 tensor.
   *
   * @param index flat row-major index
   * @return the value
   * @throws IllegalStateException if the dtype is another one
   */
  public double getDouble(int index) {
    requireType(DType.FLOAT64, "getDouble");
    Objects.checkIndex(index, elements);
    return bytes().getDouble(index * 8);
  }

  /**
   * One element of an INT32 tensor.
   *
   * @param index flat row-major index
   * @return the value
   * @throws IllegalStateException if the dtype is another one
   */
  public int getInt(int index) {
    requireType(DType.INT32, "getInt");
    Objects.checkIndex(index, elements);
    return bytes().getInt(index * 4);
  }

  /**
   * One element of an INT64 tensor.
   *
   * @param index flat row-major index
   * @return the value
   * @throws IllegalStateException if the dtype is another one
   */
  public long getLong(int index) {
    requireType(DType.INT64, "getLong");
    Objects.checkIndex(index, elements);
    return bytes().getLong(index * 8);
  }

  /**
   * One element of a STRING tensor.
   *
   * @param index flat row-major index
   * @return the value
   * @throws IllegalStateException if the dtype is another one
   */
  public String getString(int index) {
    Objects.checkIndex(index, elements);
    return strings()[stringOffset + index];
  }

  /**
   * Copies a FLOAT32 or FLOAT16 tensor's elements (FLOAT16 widened exactly).
   *
   * @return a new array
   * @throws IllegalStateException if the dtype is another one
   */
  public float[] toFloatArray() {
    float[] out = new float[elements];
    if (dtype == DType.FLOAT16) {
      ByteBuffer b = bytes();
      for (int i = 0; i < elements; i++) {
        out[i] = Half.toFloat(b.getShort(i * 2));
      }
      return out;
    }
    requireType(DType.FLOAT32, "toFloatArray");
    buffer().asFloatBuffer().get(out);
    return out;
  }

  /**
   * Copies a rank-2 FLOAT32 or FLOAT16 tensor into rows.
   *
   * @return a new {@code [rows][cols]} array
   * @throws IllegalStateException if the dtype is another one or the rank is not 2
   */
  public float[][] toFloatMatrix() {
    if (shape.rank() != 2) {
      throw new IllegalStateException("toFloatMatrix needs a rank-2 tensor but the shape is " + shape);
    }
    float[] flat = toFloatArray();
    int rows = (int) shape.dim(0);
    int cols = (int) shape.dim(1);
    float[][] out = new float[rows][];
    for (int r = 0; r < rows; r++) {
      out[r] = Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
    }
    return out;
  }

  /**
   * Copies a FLOAT64 tensor's elements.
   *
   * @return a new array
   * @throws IllegalStateException if the dtype is another one
   */
  public double[] toDoubleArray() {
    requireType(DType.FLOAT64, "toDoubleArray");
    double[] out = new double[elements];
    buffer().asDoubleBuffer().get(out);
    return out;
  }

  /**
   * Copies the raw bytes of an INT8, UINT8 or BOOL tensor.
   *
   * @return a new array
   * @throws IllegalStateException if the dtype is another one
   */
  public byte[] toByteArray() {
    if (dtype != DType.INT8 && dtype != DType.UINT8 && dtype != DType.BOOL) {
      throw new IllegalStateException("toByteArray needs an INT8, UINT8 or BOOL tensor but this one is " + dtype);
    }
    byte[] out = new byte[elements];
    buffer().get(out);
    return out;
  }

  /**
   * Copies an INT16 tensor's elements, or a FLOAT16 tensor's raw bits.
   *
   * @return a new array
   * @throws IllegalStateException if the dtype is another one
   */
  public short[] toShortArray() {
    if (dtype != DType.INT16 && dtype != DType.FLOAT16) {
      throw new IllegalStateException("toShortArray needs an INT16 or FLOAT16 tensor but this one is " + dtype);
    }
    short[] out = new short[elements];
    buffer().asShortBuffer().get(out);
    return out;
  }

  /**
   * Copies an INT32 tensor's elements.
   *
   * @return a new array
   * @throws IllegalStateException if the dtype is another one
   */
  public int[] toIntArray() {
    requireType(DType.INT32, "toIntArray");
    int[] out = new int[elements];
    buffer().asIntBuffer().get(out);
    return out;
  }

  /**
   * Copies an INT64 tensor's elements.
   *
   * @return a new array
   * @throws IllegalStateException if the dtype is another one
   */
  public long[] toLongArray() {
    requireType(DType.INT64, "toLongArray");
    long[] out = new long[elements];
    buffer().asLongBuffer().get(out);
    return out;
  }

  /**
   * Copies a BOOL tensor's elements (any non-zero byte is true).
   *
   * @return a new array
   * @throws IllegalStateException if the dtype is another one
   */
  public boolean[] toBooleanArray() {
    requireType(DType.BOOL, "toBooleanArray");
    boolean[] out = new boolean[elements];
    ByteBuffer b = bytes();
    for (int i = 0; i < elements; i++) {
      out[i] = b.get(i) != 0;
    }
    return out;
  }

  /**
   * Copies a STRING tensor's elements.
   *
   * @return a new array
   * @throws IllegalStateException if the dtype is another one
   */
  public String[] toStringArray() {
    return Arrays.copyOfRange(strings(), stringOffset, stringOffset + elements);
  }

  // ---------------------------------------------------------------- batch helpers

  /**
   * Rows {@code [from, to)} as a tensor that shares this one's memory (no copy).
   *
   * @param from first row, inclusive
   * @param to last row, exclusive
   * @return the view, with first dimension {@code to - from}
   * @throws IllegalStateException for a scalar
   * @throws IndexOutOfBoundsException if the range is not within {@code [0, rows()]}
   */
  public Tensor slice(long from, long to) {
    long rows = rows();
    Objects.checkFromToIndex(from, to, rows);
    int rowElements = rows == 0 ? 0 : (int) (elements / rows);
    int start = (int) from * rowElements;
    int count = (int) (to - from) * rowElements;
    Shape s = shape.withFirstDim(to - from);
    if (data == null) {
      return new Tensor(dtype, s, count, null, strings, stringOffset + start);
    }
    int w = dtype.byteSize();
    ByteBuffer view = data.slice(start * w, count * w).order(ByteOrder.LITTLE_ENDIAN);
    return new Tensor(dtype, s, count, view, null, 0);
  }

  /**
   * One row, keeping the batch dimension (shape {@code [1, ...]}); a view, no copy.
   *
   * @param index the row
   * @return the row view
   * @throws IndexOutOfBoundsException if the row does not exist
   */
  public Tensor row(long index) {
    return slice(index, index + 1);
  }

  /**
   * Joins tensors along the first dimension into one new direct tensor (one copy).
   *
   * @param parts one or more tensors with the same dtype, rank and non-batch dimensions
   * @return the joined tensor, or the single part itself
   * @throws InvalidInputException if parts is empty or the tensors do not line up
   */
  public static Tensor concat(List<Tensor> parts) {
    if (parts == null || parts.isEmpty()) {
      throw new InvalidInputException("concat: expected at least one tensor but got none");
    }
    Tensor first = parts.get(0);
    if (parts.size() == 1) {
      return first;
    }
    if (first.shape.rank() == 0) {
      throw new InvalidInputException("concat: expected tensors of rank >= 1 but got a scalar");
    }
    long rows = 0;
    long bytes = 0;
    int count = 0;
    for (int i = 0; i < parts.size(); i++) {
      Tensor t = parts.get(i);
      if (t == null) {
        throw new InvalidInputException("concat: tensor " + i + " expected a tensor but got null");
      }
      if (t.dtype != first.dtype || t.shape.rank() != first.shape.rank()
          || !t.shape.withFirstDim(0).equals(first.shape.withFirstDim(0))) {
        throw new InvalidInputException("concat: tensor " + i + " expected " + first.dtype + " "
            + first.shape.withFirstDim(Shape.DYNAMIC) + " but got " + t.dtype + " " + t.shape);
      }
      rows += t.shape.dim(0);
      count += t.elements;
      if (t.data != null) {
        bytes += t.data.remaining();
      }
    }
    Shape s = first.shape.withFirstDim(rows);
    if (first.data == null) {
      String[] all = new String[count];
      int at = 0;
      for (Tensor t : parts) {
        System.arraycopy(t.strings(), t.stringOffset, all, at, t.elements);
        at += t.elements;
      }
      return new Tensor(DType.STRING, s, count, null, all, 0);
    }
    ByteBuffer out = allocate(bytes);
    for (Tensor t : parts) {
      out.put(t.bytes().duplicate());
    }
    out.clear();
    return new Tensor(first.dtype, s, count, out, null, 0);
  }

  // ---------------------------------------------------------------- object methods

  /** Equal when dtype, shape and every element's bytes (or string) are equal. */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Tensor)) {
      return false;
    }
    Tensor t = (Tensor) o;
    if (dtype != t.dtype || !shape.equals(t.shape)) {
      return false;
    }
    if (data != null) {
      return data.equals(t.data);
    }
    return Arrays.equals(strings(), stringOffset, stringOffset + elements, t.strings(), t.stringOffset,
        t.stringOffset + t.elements);
  }

  @Override
  public int hashCode() {
    int h = 31 * dtype.hashCode() + shape.hashCode();
    if (data != null) {
      return 31 * h + data.hashCode();
    }
    for (int i = 0; i < elements; i++) {
      h = 31 * h + strings()[stringOffset + i].hashCode();
    }
    return h;
  }

  /** Formats as {@code Tensor[FLOAT32 [2, 3]: 0.1, 0.2, ...]} with at most 8 elements. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Tensor[").append(dtype).append(' ').append(shape);
    int n = Math.min(elements, 8);
    if (n > 0) {
      sb.append(": ");
    }
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(elementToString(i));
    }
    if (elements > n) {
      sb.append(", ...");
    }
    return sb.append(']').toString();
  }

  private String elementToString(int i) {
    switch (dtype) {
      case FLOAT32:
      case FLOAT16:
        return Float.toString(getFloat(i));
      case FLOAT64:
        return Double.toString(getDouble(i));
      case INT8:
        return Byte.toString(bytes().get(i));
      case UINT8:
        return Integer.toString(Byte.toUnsignedInt(bytes().get(i)));
      case INT16:
        return Short.toString(bytes().getShort(i * 2));
      case INT32:
        return Integer.toString(getInt(i));
      case INT64:
        return Long.toString(getLong(i));
      case BOOL:
        return Boolean.toString(bytes().get(i) != 0);
      case STRING:
        return '"' + getString(i) + '"';
      default:
        throw new AssertionError(dtype);
    }
  }

  // ---------------------------------------------------------------- helpers

  private static Tensor ofRawBytes(DType dtype, byte[] values, long... shape) {
    requireArray(values, "byte[]");
    Shape s = concreteShape(shape, values.length, dtype);
    ByteBuffer b = allocate(values.length);
    b.put(values).clear();
    return new Tensor(dtype, s, values.length, b, null, 0);
  }

  static ByteBuffer allocate(long bytes) {
    if (bytes > Integer.MAX_VALUE) {
      throw new InvalidInputException("tensor data: expected at most " + Integer.MAX_VALUE + " bytes but got " + bytes);
    }
    return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void requireArray(@Nullable Object array, String what) {
    if (array == null) {
      throw new InvalidInputException("tensor data: expected a " + what + " but got null");
    }
  }

  private static Shape checkedShape(long @Nullable [] dims) {
    if (dims == null) {
      throw new InvalidInputException("tensor shape: expected dimensions but got null");
    }
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        throw new InvalidInputException("tensor shape: expected every dimension >= 0 but dimension " + i + " of "
            + Arrays.toString(dims) + " is " + dims[i]);
      }
    }
    Shape s = Shape.of(dims);
    try {
      s.elementCount();
    } catch (ArithmeticException e) {
      throw new InvalidInputException("tensor shape: " + s + " has more elements than a long can count", e);
    }
    return s;
  }

  private static Shape concreteShape(long[] dims, int length, DType dtype) {
    Shape s = checkedShape(dims);
    if (s.elementCount() != length) {
      throw new InvalidInputException("tensor data: expected " + s.elementCount() + " " + dtype + " elements for shape "
          + s + " but got " + length);
    }
    return s;
  }

  private static int matrixColumns(float @Nullable [][] rows, String what) {
    if (rows == null) {
      throw new InvalidInputException("tensor data: expected a " + what + " but got null");
    }
    if (rows.length == 0) {
      throw new InvalidInputException("tensor data: expected at least one row but " + what + " is empty");
    }
    if (rows[0] == null) {
      throw new InvalidInputException("tensor data: row 0 is null");
    }
    return rows[0].length;
  }

  private static void requireRow(float @Nullable [] row, int index, int cols) {
    if (row == null || row.length != cols) {
      throw new InvalidInputException("tensor data: row " + index + " expected " + cols + " values but got "
          + (row == null ? "null" : row.length + " values"));
    }
  }
}
