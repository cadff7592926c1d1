package dev.jinfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TensorTest {

  // ------------------------------------------------------------------ factories and typed readers

  @Test
  void ofFloats_copiesValues_withShapeAndDtype() {
    float[] values = {1f, 2f, 3f, 4f, 5f, 6f};
    Tensor t = Tensor.ofFloats(values, 2, 3);
    values[0] = 99f;

    assertThat(t.dtype()).isEqualTo(DType.FLOAT32);
    assertThat(t.shape()).isEqualTo(Shape.of(2, 3));
    assertThat(t.elementCount()).isEqualTo(6);
    assertThat(t.rows()).isEqualTo(2);
    assertThat(t.byteSize()).isEqualTo(24);
    assertThat(t.isDirect()).isTrue();
    assertThat(t.getFloat(0)).isEqualTo(1f);
    assertThat(t.getFloat(5)).isEqualTo(6f);
    assertThat(t.toFloatArray()).containsExactly(1f, 2f, 3f, 4f, 5f, 6f);
    assertThat(t.toFloatMatrix()).isDeepEqualTo(new float[][] {{1f, 2f, 3f}, {4f, 5f, 6f}});
  }

  @Test
  void ofFloats_matrix_takesShapeFromRows() {
    Tensor t = Tensor.ofFloats(new float[][] {{1f, 2f}, {3f, 4f}, {5f, 6f}});

    assertThat(t.shape()).isEqualTo(Shape.of(3, 2));
    assertThat(t.toFloatMatrix()).isDeepEqualTo(new float[][] {{1f, 2f}, {3f, 4f}, {5f, 6f}});
  }

  @Test
  void ofFloats_matrix_rejectsRaggedEmptyOrNullRows_namingTheRow() {
    assertThatThrownBy(() -> Tensor.ofFloats(new float[][] {{1f, 2f}, {3f, 4f, 5f}}))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("tensor data: row 1 expected 2 values but got 3 values");
    assertThatThrownBy(() -> Tensor.ofFloats(new float[][] {{1f, 2f}, null}))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("tensor data: row 1 expected 2 values but got null");
    assertThatThrownBy(() -> Tensor.ofFloats(new float[0][]))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("expected at least one row");
    assertThatThrownBy(() -> Tensor.ofFloats((float[][]) null))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("tensor data: expected a float[][] but got null");
  }

  @Test
  void ofFloat16_roundsToHalf_andReadsBackAsFloatOrRawBits() {
    Tensor t = Tensor.ofFloat16(new float[] {1f, 0.1f, -2.5f, 65504f, 1e6f}, 5);

    assertThat(t.dtype()).isEqualTo(DType.FLOAT16);
    assertThat(t.byteSize()).isEqualTo(10);
    assertThat(t.toShortArray()).containsExactly((short) 0x3c00, (short) 0x2e66, (short) 0xc100, (short) 0x7bff,
        (short) 0x7c00);
    assertThat(t.getFloat(1)).isEqualTo(0.0999755859375f); // the half nearest 0.1
    assertThat(t.toFloatArray()).containsExactly(1f, 0.0999755859375f, -2.5f, 65504f, Float.POSITIVE_INFINITY);
  }

  @Test
  void ofDoubles_copiesValues() {
    Tensor t = Tensor.ofDoubles(new double[] {0.1, -Double.MAX_VALUE, Double.MIN_VALUE}, 3);

    assertThat(t.dtype()).isEqualTo(DType.FLOAT64);
    assertThat(t.byteSize()).isEqualTo(24);
    assertThat(t.getDouble(0)).isEqualTo(0.1);
    assertThat(t.toDoubleArray()).containsExactly(0.1, -Double.MAX_VALUE, Double.MIN_VALUE);
  }

  @Test
  void ofBytes_andOfUnsignedBytes_keepTheBits_andDifferInDtype() {
    byte[] values = {-1, 0, 127, -128};
    Tensor signed = Tensor.ofBytes(values, 4);
    Tensor unsigned = Tensor.ofUnsignedBytes(values, 4);

    assertThat(signed.dtype()).isEqualTo(DType.INT8);
    assertThat(unsigned.dtype()).isEqualTo(DType.UINT8);
    assertThat(signed.toByteArray()).containsExactly(values);
    assertThat(unsigned.toByteArray()).containsExactly(values);
    assertThat(signed.toString()).isEqualTo("Tensor[INT8 [4]: -1, 0, 127, -128]");
    assertThat(unsigned.toString()).isEqualTo("Tensor[UINT8 [4]: 255, 0, 127, 128]");
    assertThat(signed).isNotEqualTo(unsigned);
  }

  @Test
  void ofShorts_ofInts_ofLongs_copyValues() {
    Tensor shorts = Tensor.ofShorts(new short[] {Short.MIN_VALUE, -1, Short.MAX_VALUE}, 3);
    Tensor ints = Tensor.ofInts(new int[] {Integer.MIN_VALUE, -1, Integer.MAX_VALUE}, 1, 3);
    Tensor longs = Tensor.ofLongs(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}, 3, 1);

    assertThat(shorts.dtype()).isEqualTo(DType.INT16);
    assertThat(shorts.toShortArray()).containsExactly(Short.MIN_VALUE, (short) -1, Short.MAX_VALUE);
    assertThat(ints.dtype()).isEqualTo(DType.INT32);
    assertThat(ints.shape()).isEqualTo(Shape.of(1, 3));
    assertThat(ints.getInt(2)).isEqualTo(Integer.MAX_VALUE);
    assertThat(ints.toIntArray()).containsExactly(Integer.MIN_VALUE, -1, Integer.MAX_VALUE);
    assertThat(longs.dtype()).isEqualTo(DType.INT64);
    assertThat(longs.getLong(0)).isEqualTo(Long.MIN_VALUE);
    assertThat(longs.toLongArray()).containsExactly(Long.MIN_VALUE, -1, Long.MAX_VALUE);
  }

  @Test
  void ofBooleans_storesOneByteEach_zeroOrOne() {
    Tensor t = Tensor.ofBooleans(new boolean[] {true, false, true}, 3);

    assertThat(t.dtype()).isEqualTo(DType.BOOL);
    assertThat(t.toBooleanArray()).containsExactly(true, false, true);
    assertThat(t.toByteArray()).containsExactly(1, 0, 1);
    assertThat(t.toString()).isEqualTo("Tensor[BOOL [3]: true, false, true]");
  }

  @Test
  void ofStrings_copiesTheArray_andCountsUtf8Bytes() {
    String[] values = {"a", "é", "日本"};
    Tensor t = Tensor.ofStrings(values, 3);
    values[0] = "changed";

    assertThat(t.dtype()).isEqualTo(DType.STRING);
    assertThat(t.getString(0)).isEqualTo("a");
    assertThat(t.toStringArray()).containsExactly("a", "é", "日本");
    assertThat(t.byteSize()).isEqualTo(1 + 2 + 6);
    assertThat(t.isDirect()).isFalse();
    assertThatThrownBy(t::buffer).isInstanceOf(IllegalStateException.class).hasMessageContaining("toStringArray");
  }

  @Test
  void ofStrings_rejectsNullElement_namingItsIndex() {
    assertThatThrownBy(() -> Tensor.ofStrings(new String[] {"a", null}, 2))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("String[] element 1: expected a string but got null");
  }

  @Test
  void fixedWidthFactories_writeLittleEndian() {
    ByteBuffer b = Tensor.ofInts(new int[] {0x01020304}, 1).buffer();

    assertThat(b.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
    assertThat(new byte[] {b.get(0), b.get(1), b.get(2), b.get(3)}).containsExactly(4, 3, 2, 1);
    assertThat(Tensor.ofDoubles(new double[] {1.0}, 1).buffer().get(7)).isEqualTo((byte) 0x3f);
  }

  // ------------------------------------------------------------------ invalid arguments

  @Test
  void factories_rejectLengthThatDoesNotMatchShape_namingExpectedAndGot() {
    assertThatThrownBy(() -> Tensor.ofFloats(new float[5], 2, 3))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("tensor data: expected 6 FLOAT32 elements for shape [2, 3] but got 5");
    assertThatThrownBy(() -> Tensor.ofLongs(new long[4], 3))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("tensor data: expected 3 INT64 elements for shape [3] but got 4");
    assertThatThrownBy(() -> Tensor.ofStrings(new String[] {"a"}, 2))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("tensor data: expected 2 STRING elements for shape [2] but got 1");
  }

  @Test
  void factories_rejectNegativeDimension_namingIt() {
    assertThatThrownBy(() -> Tensor.ofInts(new int[0], 2, -1))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("tensor shape: expected every dimension >= 0 but dimension 1 of [2, -1] is -1");
    assertThatThrownBy(() -> Tensor.fromBuffer(DType.FLOAT32, ByteBuffer.allocateDirect(0), -3))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("dimension 0 of [-3] is -3");
  }

  @Test
  void factories_rejectNullValuesOrShape() {
    assertThatThrownBy(() -> Tensor.ofFloats((float[]) null, 1))
        .isInstanceOf(InvalidInputException.class).hasMessage("tensor data: expected a float[] but got null");
    assertThatThrownBy(() -> Tensor.ofDoubles(null, 1))
        .isInstanceOf(InvalidInputException.class).hasMessage("tensor data: expected a double[] but got null");
    assertThatThrownBy(() -> Tensor.ofBytes(null, 1))
        .isInstanceOf(InvalidInputException.class).hasMessage("tensor data: expected a byte[] but got null");
    assertThatThrownBy(() -> Tensor.ofStrings(null, 1))
        .isInstanceOf(InvalidInputException.class).hasMessage("tensor data: expected a String[] but got null");
    assertThatThrownBy(() -> Tensor.ofFloats(new float[1], (long[]) null))
        .isInstanceOf(InvalidInputException.class).hasMessage("tensor shape: expected dimensions but got null");
  }

  @Test
  void factories_rejectShapeWhoseElementCountOverflows() {
    assertThatThrownBy(() -> Tensor.ofFloats(new float[1], Long.MAX_VALUE, 2))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("more elements than a long can count");
  }

  // ------------------------------------------------------------------ fromBuffer

  @Test
  void fromBuffer_adoptsDirectBuffer_withoutCopy() {
    ByteBuffer source = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
    source.putFloat(0, 1f).putFloat(4, 2f);
    Tensor t = Tensor.fromBuffer(DType.FLOAT32, source, 2);

    source.putFloat(0, 42f); // the contract says "don't"; this documents that the buffer is adopted

    assertThat(t.isDirect()).isTrue();
    assertThat(t.getFloat(0)).isEqualTo(42f);
    assertThat(t.toFloatArray()).containsExactly(42f, 2f);
  }

  @Test
  void fromBuffer_readsFromPositionToLimit_asLittleEndianWhateverTheBufferOrder() {
    ByteBuffer source = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    source.putInt(0, 7).putInt(4, 8).putInt(8, 9).putInt(12, 10);
    source.order(ByteOrder.BIG_ENDIAN).position(4).limit(12);

    Tensor t = Tensor.fromBuffer(DType.INT32, source, 2);

    assertThat(t.toIntArray()).containsExactly(8, 9);
    assertThat(t.isDirect()).isFalse();
    assertThat(source.position()).isEqualTo(4);
  }

  @Test
  void buffer_isReadOnly_andEachCallIsAFreshView() {
    Tensor t = Tensor.fromBuffer(DType.FLOAT32, ByteBuffer.allocateDirect(8), 2);
    Tensor own = Tensor.ofFloats(new float[] {1f, 2f}, 2);

    assertThat(t.buffer().isReadOnly()).isTrue();
    assertThat(own.buffer().isReadOnly()).isTrue();
    assertThatThrownBy(() -> own.buffer().putFloat(0, 5f)).isInstanceOf(ReadOnlyBufferException.class);
    ByteBuffer first = own.buffer();
    first.position(4);
    assertThat(own.buffer().position()).isZero();
    assertThat(own.buffer().limit()).isEqualTo(8);
    assertThat(own.getFloat(0)).isEqualTo(1f);
  }

  @Test
  void fromBuffer_rejectsWrongSize_namingExpectedAndGotBytes() {
    assertThatThrownBy(() -> Tensor.fromBuffer(DType.FLOAT32, ByteBuffer.allocateDirect(7), 2))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("tensor data: expected 8 bytes (2 FLOAT32 elements for shape [2]) but the buffer holds 7 bytes");
    assertThatThrownBy(() -> Tensor.fromBuffer(DType.FLOAT32, ByteBuffer.allocateDirect(12), 2))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("but the buffer holds 12 bytes");
  }

  @Test
  void fromBuffer_rejectsNullsAndStrings() {
    assertThatThrownBy(() -> Tensor.fromBuffer(null, ByteBuffer.allocate(4), 1))
        .isInstanceOf(InvalidInputException.class).hasMessage("tensor dtype: expected a DType but got null");
    assertThatThrownBy(() -> Tensor.fromBuffer(DType.FLOAT32, null, 1))
        .isInstanceOf(InvalidInputException.class).hasMessage("tensor data: expected a ByteBuffer but got null");
    assertThatThrownBy(() -> Tensor.fromBuffer(DType.STRING, ByteBuffer.allocate(4), 1))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("use ofStrings");
  }

  @Test
  void fromBuffer_rejectsShapeWhoseByteSizeOverflows() {
    // regression: elementCount * byteSize overflows a long, wraps to 0 and matches the empty buffer;
    // the tensor then claims shape [2^31, 2^31] while holding (int) 2^62 == 0 elements
    assertThatThrownBy(() -> Tensor.fromBuffer(DType.FLOAT32, ByteBuffer.allocateDirect(0), 1L << 31, 1L << 31))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("[2147483648, 2147483648]");
    // regression: (2^61 + 1) * 8 wraps to 8, so an 8-byte buffer is accepted for 2^61 + 1 doubles
    assertThatThrownBy(() -> Tensor.fromBuffer(DType.FLOAT64, ByteBuffer.allocateDirect(8), (1L << 61) + 1))
        .isInstanceOf(InvalidInputException.class);
  }

  // ------------------------------------------------------------------ slices and rows

  @Test
  void slice_sharesMemory_withoutCopy() {
    ByteBuffer source = ByteBuffer.allocateDirect(24).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 6; i++) {
      source.putFloat(i * 4, i);
    }
    Tensor t = Tensor.fromBuffer(DType.FLOAT32, source, 3, 2);

    Tensor tail = t.slice(1, 3);
    source.putFloat(5 * 4, 50f);

    assertThat(tail.shape()).isEqualTo(Shape.of(2, 2));
    assertThat(tail.elementCount()).isEqualTo(4);
    assertThat(tail.byteSize()).isEqualTo(16);
    assertThat(tail.isDirect()).isTrue();
    assertThat(tail.toFloatArray()).containsExactly(2f, 3f, 4f, 50f);
    assertThat(tail.slice(1, 2).toFloatArray()).containsExactly(4f, 50f);
    assertThat(tail.buffer().order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void row_isAViewKeepingTheBatchDimension() {
    Tensor t = Tensor.ofInts(new int[] {1, 2, 3, 4, 5, 6}, 3, 2);

    Tensor row = t.row(1);

    assertThat(row.shape()).isEqualTo(Shape.of(1, 2));
    assertThat(row.toIntArray()).containsExactly(3, 4);
    assertThat(row).isEqualTo(Tensor.ofInts(new int[] {3, 4}, 1, 2));
  }

  @Test
  void slice_ofStrings_readsTheRightElements_atEveryDepth() {
    Tensor t = Tensor.ofStrings(new String[] {"a", "b", "c", "d", "e", "f"}, 3, 2);

    Tensor tail = t.slice(1, 3);

    assertThat(tail.shape()).isEqualTo(Shape.of(2, 2));
    assertThat(tail.toStringArray()).containsExactly("c", "d", "e", "f");
    assertThat(tail.getString(0)).isEqualTo("c");
    assertThat(tail.byteSize()).isEqualTo(4);
    assertThat(tail.slice(1, 2).toStringArray()).containsExactly("e", "f");
    assertThat(tail.row(1)).isEqualTo(Tensor.ofStrings(new String[] {"e", "f"}, 1, 2));
    assertThat(tail.toString()).isEqualTo("Tensor[STRING [2, 2]: \"c\", \"d\", \"e\", \"f\"]");
    assertThatThrownBy(() -> tail.getString(4)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void slice_acceptsEmptyRange_andRejectsOutOfBounds() {
    Tensor t = Tensor.ofFloats(new float[6], 3, 2);

    assertThat(t.slice(3, 3).shape()).isEqualTo(Shape.of(0, 2));
    assertThat(t.slice(0, 3)).isEqualTo(t);
    assertThatThrownBy(() -> t.slice(-1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> t.slice(2, 1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> t.slice(0, 4)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> t.row(3)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> t.row(-1)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  // ------------------------------------------------------------------ concat

  @Test
  void concat_joinsSeveralPartsAlongTheFirstDimension_inOrder() {
    Tensor a = Tensor.ofFloats(new float[] {1f, 2f}, 1, 2);
    Tensor b = Tensor.ofFloats(new float[] {3f, 4f, 5f, 6f}, 2, 2);
    Tensor c = Tensor.ofFloats(new float[] {7f, 8f, 9f, 10f, 11f, 12f}, 3, 2).slice(1, 3);

    Tensor joined = Tensor.concat(List.of(a, b, c));

    assertThat(joined.shape()).isEqualTo(Shape.of(5, 2));
    assertThat(joined.isDirect()).isTrue();
    assertThat(joined.toFloatArray()).containsExactly(1f, 2f, 3f, 4f, 5f, 6f, 9f, 10f, 11f, 12f);
    assertThat(joined.slice(1, 3)).isEqualTo(b);
  }

  @Test
  void concat_copies_soLaterWritesToAnAdoptedPartDoNotShow() {
    ByteBuffer source = ByteBuffer.allocateDirect(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1);
    Tensor adopted = Tensor.fromBuffer(DType.INT32, source, 1);

    Tensor joined = Tensor.concat(List.of(adopted, Tensor.ofInts(new int[] {2}, 1)));
    source.putInt(0, 100);

    assertThat(joined.toIntArray()).containsExactly(1, 2);
  }

  @Test
  void concat_joinsStringsIncludingSlices() {
    Tensor t = Tensor.ofStrings(new String[] {"a", "b", "c"}, 3);

    Tensor joined = Tensor.concat(List.of(t.slice(2, 3), t.slice(0, 2), Tensor.ofStrings(new String[] {"z"}, 1)));

    assertThat(joined.shape()).isEqualTo(Shape.of(4));
    assertThat(joined.toStringArray()).containsExactly("c", "a", "b", "z");
  }

  @Test
  void concat_ofOnePart_returnsIt() {
    Tensor t = Tensor.ofInts(new int[] {1}, 1);

    assertThat(Tensor.concat(List.of(t))).isSameAs(t);
  }

  @Test
  void concat_rejectsMismatchedDtypeRankOrDimension_namingThePart() {
    Tensor first = Tensor.ofFloats(new float[] {1f, 2f}, 1, 2);

    assertThatThrownBy(() -> Tensor.concat(List.of(first, first, Tensor.ofInts(new int[] {1, 2}, 1, 2))))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("concat: tensor 2 expected FLOAT32 [-1, 2] but got INT32 [1, 2]");
    assertThatThrownBy(() -> Tensor.concat(List.of(first, Tensor.ofFloats(new float[3], 1, 3))))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("concat: tensor 1 expected FLOAT32 [-1, 2] but got FLOAT32 [1, 3]");
    assertThatThrownBy(() -> Tensor.concat(List.of(first, Tensor.ofFloats(new float[2], 2))))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("concat: tensor 1 expected FLOAT32 [-1, 2] but got FLOAT32 [2]");
  }

  @Test
  void concat_rejectsNoPartsAndScalars() {
    assertThatThrownBy(() -> Tensor.concat(List.of()))
        .isInstanceOf(InvalidInputException.class).hasMessage("concat: expected at least one tensor but got none");
    assertThatThrownBy(() -> Tensor.concat(null))
        .isInstanceOf(InvalidInputException.class).hasMessage("concat: expected at least one tensor but got none");
    Tensor scalar = Tensor.ofFloats(new float[] {1f});
    assertThatThrownBy(() -> Tensor.concat(List.of(scalar, scalar)))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("got a scalar");
  }

  // ------------------------------------------------------------------ equals, hashCode, toString

  @Test
  void equals_comparesDtypeShapeAndBytes_acrossDirectHeapAndViews() {
    Tensor a = Tensor.ofFloats(new float[] {1f, 2f}, 2);
    ByteBuffer heap = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 1f).putFloat(4, 2f);
    Tensor fromHeap = Tensor.fromBuffer(DType.FLOAT32, heap, 2);
    Tensor view = Tensor.ofFloats(new float[] {0f, 1f, 2f}, 3).slice(1, 3);

    assertThat(a).isEqualTo(fromHeap).hasSameHashCodeAs(fromHeap);
    assertThat(a).isEqualTo(view).hasSameHashCodeAs(view);
    assertThat(a).isNotEqualTo(Tensor.ofFloats(new float[] {1f, 2f}, 1, 2));
    assertThat(a).isNotEqualTo(Tensor.ofFloats(new float[] {1f, 3f}, 2));
    int[] sameBits = {Float.floatToIntBits(1f), Float.floatToIntBits(2f)};
    assertThat(a).isNotEqualTo(Tensor.ofInts(sameBits, 2));
    assertThat(a).isNotEqualTo("Tensor");
  }

  @Test
  void equals_isBitwise_soNaNEqualsNaN_andNegativeZeroDiffersFromZero() {
    Tensor nan = Tensor.ofFloats(new float[] {Float.NaN}, 1);

    assertThat(nan).isEqualTo(Tensor.ofFloats(new float[] {Float.NaN}, 1));
    assertThat(nan.hashCode()).isEqualTo(Tensor.ofFloats(new float[] {Float.NaN}, 1).hashCode());
    assertThat(Tensor.ofDoubles(new double[] {-0.0}, 1)).isNotEqualTo(Tensor.ofDoubles(new double[] {0.0}, 1));
    assertThat(Tensor.ofFloats(new float[] {-0f}, 1)).isNotEqualTo(Tensor.ofFloats(new float[] {0f}, 1));
  }

  @Test
  void equals_onStrings_comparesElementsOfViews() {
    Tensor t = Tensor.ofStrings(new String[] {"x", "a", "b"}, 3);
    Tensor fresh = Tensor.ofStrings(new String[] {"a", "b"}, 2);

    assertThat(t.slice(1, 3)).isEqualTo(fresh).hasSameHashCodeAs(fresh);
    assertThat(t.slice(0, 2)).isNotEqualTo(fresh);
  }

  @Test
  void toString_showsAtMostEightElements() {
    float[] ten = new float[10];
    for (int i = 0; i < ten.length; i++) {
      ten[i] = i;
    }

    assertThat(Tensor.ofFloats(ten, 2, 5).toString())
        .isEqualTo("Tensor[FLOAT32 [2, 5]: 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, ...]");
    assertThat(Tensor.ofFloats(Arrays.copyOf(ten, 8), 8).toString())
        .isEqualTo("Tensor[FLOAT32 [8]: 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]");
    assertThat(Tensor.ofFloats(new float[0], 0, 3).toString()).isEqualTo("Tensor[FLOAT32 [0, 3]]");
    assertThat(Tensor.ofLongs(new long[] {-5}, 1).toString()).isEqualTo("Tensor[INT64 [1]: -5]");
  }

  // ------------------------------------------------------------------ scalars, empty tensors, wrong dtype

  @Test
  void scalar_holdsOneElement_andHasNoRows() {
    Tensor scalar = Tensor.ofFloats(new float[] {3f});

    assertThat(scalar.shape().rank()).isZero();
    assertThat(scalar.elementCount()).isEqualTo(1);
    assertThat(scalar.getFloat(0)).isEqualTo(3f);
    assertThat(scalar.toString()).isEqualTo("Tensor[FLOAT32 []: 3.0]");
    assertThatThrownBy(scalar::rows).isInstanceOf(IllegalStateException.class).hasMessage("a scalar tensor has no rows");
    assertThatThrownBy(() -> scalar.slice(0, 1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> Tensor.ofFloats(new float[] {1f, 2f}))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("tensor data: expected 1 FLOAT32 elements for shape [] but got 2");
  }

  @Test
  void emptyTensor_hasZeroRowsAndElements() {
    Tensor empty = Tensor.ofFloats(new float[0], 0, 3);

    assertThat(empty.rows()).isZero();
    assertThat(empty.elementCount()).isZero();
    assertThat(empty.byteSize()).isZero();
    assertThat(empty.toFloatArray()).isEmpty();
  }

  @Test
  void typedReaders_onWrongDtype_throwIllegalState_namingBoth() {
    Tensor ints = Tensor.ofInts(new int[] {1, 2}, 2);
    Tensor floats = Tensor.ofFloats(new float[] {1f, 2f}, 2);

    assertThatThrownBy(() -> ints.getFloat(0))
        .isInstanceOf(IllegalStateException.class).hasMessage("getFloat needs a FLOAT32 tensor but this one is INT32");
    assertThatThrownBy(ints::toFloatArray).isInstanceOf(IllegalStateException.class).hasMessageContaining("INT32");
    assertThatThrownBy(() -> floats.getDouble(0))
        .isInstanceOf(IllegalStateException.class).hasMessage("getDouble needs a FLOAT64 tensor but this one is FLOAT32");
    assertThatThrownBy(() -> floats.getInt(0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> ints.getLong(0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> floats.getString(0))
        .isInstanceOf(IllegalStateException.class).hasMessage("tensor is FLOAT32, not STRING");
    assertThatThrownBy(floats::toStringArray).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(floats::toDoubleArray).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(floats::toIntArray).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(floats::toLongArray).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(floats::toBooleanArray).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(ints::toByteArray).isInstanceOf(IllegalStateException.class).hasMessageContaining("INT32");
    assertThatThrownBy(ints::toShortArray).isInstanceOf(IllegalStateException.class).hasMessageContaining("INT32");
    assertThatThrownBy(floats::toFloatMatrix)
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("rank-2");
  }

  @Test
  void getters_rejectIndexOutOfRange() {
    Tensor floats = Tensor.ofFloats(new float[] {1f, 2f}, 2);

    assertThatThrownBy(() -> floats.getFloat(2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> floats.getFloat(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> Tensor.ofFloat16(new float[1], 1).getFloat(1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> Tensor.ofInts(new int[1], 1).getInt(1)).isInstanceOf(IndexOutOfBoundsException.class);
  }
}
