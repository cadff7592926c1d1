package dev.jinfer.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jinfer.DType;
import dev.jinfer.InvalidInputException;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class NpyTest {
  private static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures")).resolve("onnx");

  @TempDir
  Path tmp;

  // ---------------------------------------------------------------- round trips

  static Stream<Arguments> everyDtype() {
    return Stream.of(
        Arguments.of(Tensor.fromBuffer(DType.FLOAT32, le(4, 0x80000000, 0x7FC00000, 0x7F800000, 0xFF800000, 0x7F7FFFFF,
            0x00800000, 0x7FC00001, 0xFFC00000, 0x00000001), 3, 3)),
        Arguments.of(Tensor.fromBuffer(DType.FLOAT64, le(8, 0x8000000000000000L, 0x7FF8000000000000L, 0x7FF0000000000000L,
            0xFFF0000000000000L, 0x7FEFFFFFFFFFFFFFL, 0x7FF8000000000123L), 2, 3)),
        Arguments.of(Tensor.fromBuffer(DType.FLOAT16, le(2, 0x8000, 0x7E00, 0x7C00, 0xFC00, 0x7BFF, 0x0400, 0x7E01, 0x0001), 8)),
        Arguments.of(Tensor.ofBytes(new byte[] {-128, -1, 0, 1, 42, 127}, 2, 3)),
        Arguments.of(Tensor.ofUnsignedBytes(new byte[] {0, 1, 127, (byte) 128, 42, (byte) 255}, 2, 3)),
        Arguments.of(Tensor.ofShorts(new short[] {Short.MIN_VALUE, -1, 0, 1, 42, Short.MAX_VALUE}, 3, 2)),
        Arguments.of(Tensor.ofInts(new int[] {Integer.MIN_VALUE, -1, 0, 1, 42, Integer.MAX_VALUE}, 1, 2, 3)),
        Arguments.of(Tensor.ofLongs(new long[] {Long.MIN_VALUE, -1, 0, 1, 42, Long.MAX_VALUE}, 6)),
        Arguments.of(Tensor.ofBooleans(new boolean[] {true, false, true, false, false, true}, 2, 3)),
        Arguments.of(Tensor.ofStrings(new String[] {"", "hello", "héllo ✓", "ONNX", "日本語", "tab\tnewline\n", "emoji 😀🎉",
            "a\0b"}, 4, 2)));
  }

  @ParameterizedTest
  @MethodSource("everyDtype")
  void write_thenRead_returnsBitIdenticalTensor_forEveryDtype(Tensor tensor) throws IOException {
    Path file = tmp.resolve("t.npy");
    Npy.write(tensor, file);

    Tensor back = Npy.read(file);

    assertThat(back.dtype()).isEqualTo(tensor.dtype());
    assertThat(back.shape()).isEqualTo(tensor.shape());
    assertThat(back).isEqualTo(tensor); // compares raw bytes: NaN payloads and -0.0 included
    if (tensor.dtype().isFixedWidth()) {
      assertThat(back.isDirect()).isTrue();
      assertThat(back.buffer().order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
    }
  }

  @ParameterizedTest
  @MethodSource("everyDtype")
  void write_alignsDataTo64Bytes_withVersion1Header(Tensor tensor) {
    byte[] bytes = toBytes(tensor);

    assertThat(Arrays.copyOf(bytes, 8)).containsExactly(0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0);
    int headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
    assertThat((10 + headerLength) % 64).isZero();
    assertThat(bytes[10 + headerLength - 1]).isEqualTo((byte) '\n');
    String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
    assertThat(header).startsWith("{'descr': '").contains("'fortran_order': False");
  }

  @Test
  void write_usesStringWidthOfLongestElement_inCodePoints() {
    byte[] bytes = toBytes(Tensor.ofStrings(new String[] {"a", "😀😀😀"}, 2));

    assertThat(headerOf(bytes)).contains("'descr': '<U3'");
    assertThat(bytes.length - dataOffset(bytes)).isEqualTo(2 * 3 * 4);
  }

  @Test
  void write_stringsAllEmpty_usesWidthOne_asNumpyDoes() {
    Tensor t = Tensor.ofStrings(new String[] {"", ""}, 2);

    byte[] bytes = toBytes(t);

    assertThat(headerOf(bytes)).contains("'descr': '<U1'");
    assertThat(Npy.read(new ByteArrayInputStream(bytes))).isEqualTo(t);
  }

  @Test
  void writeThenRead_scalar_keepsEmptyShape() {
    Tensor scalar = Tensor.ofDoubles(new double[] {Math.PI});

    byte[] bytes = toBytes(scalar);
    Tensor back = Npy.read(new ByteArrayInputStream(bytes));

    assertThat(headerOf(bytes)).contains("'shape': ()");
    assertThat(back.shape().rank()).isZero();
    assertThat(back.getDouble(0)).isEqualTo(Math.PI);
  }

  @Test
  void writeThenRead_stringScalar_andZeroRowTensor() {
    Tensor s = Tensor.ofStrings(new String[] {"ünï"});
    Tensor empty = Tensor.ofFloats(new float[0], 0, 3);

    assertThat(Npy.read(new ByteArrayInputStream(toBytes(s)))).isEqualTo(s);
    Tensor back = Npy.read(new ByteArrayInputStream(toBytes(empty)));
    assertThat(back.shape()).isEqualTo(Shape.of(0, 3));
    assertThat(back.elementCount()).isZero();
  }

  static Stream<Tensor> emptyTensors() {
    return Stream.of(DType.values()).flatMap(d -> Stream.of(new long[] {0}, new long[] {0, 4}).map(shape ->
        d == DType.STRING ? Tensor.ofStrings(new String[0], shape) : Tensor.fromBuffer(d, ByteBuffer.allocateDirect(0), shape)));
  }

  @ParameterizedTest
  @MethodSource("emptyTensors")
  void writeThenRead_zeroRowTensor_roundTripsShapeAndDType(Tensor empty) throws IOException {
    byte[] bytes = toBytes(empty);
    String shape = empty.shape().rank() == 1 ? "(0,)" : "(0, 4)";

    assertThat(headerOf(bytes)).contains("'shape': " + shape);
    assertThat(bytes.length % 64).isZero(); // header only: no data bytes follow
    Tensor back = Npy.read(new ByteArrayInputStream(bytes));
    assertThat(back.dtype()).isEqualTo(empty.dtype());
    assertThat(back.shape()).isEqualTo(empty.shape());
    assertThat(back.elementCount()).isZero();
    assertThat(back).isEqualTo(empty);
  }

  @ParameterizedTest
  @ValueSource(strings = {"(0,)", "(0, 4)", "(0,4)"})
  void read_zeroRowArrayAsNumpyWritesIt(String shape) {
    // np.save of np.zeros((0, 4), '<f4'): a version 1.0 header padded to 64 bytes and no data
    String dict = dict("<f4", shape);
    byte[] bytes = npy(1, dict + " ".repeat(63 - (10 + dict.length()) % 64), new byte[0]);
    assertThat(bytes.length % 64).isZero();
    Tensor back = Npy.read(new ByteArrayInputStream(bytes));
    assertThat(back.dtype()).isEqualTo(DType.FLOAT32);
    assertThat(back.shape()).isEqualTo(shape.contains("4") ? Shape.of(0, 4) : Shape.of(0));
    assertThat(back.elementCount()).isZero();
  }

  @Test
  void write_boolTensorWithNonCanonicalBytes_writesZeroAndOne() {
    Tensor odd = Tensor.fromBuffer(DType.BOOL, ByteBuffer.wrap(new byte[] {0, 2, (byte) 0xff}), 3);

    byte[] bytes = toBytes(odd);

    assertThat(Arrays.copyOfRange(bytes, dataOffset(bytes), bytes.length)).containsExactly(0, 1, 1);
  }

  @Test
  void write_readsSlicedHeapTensor_fromItsOwnRowsOnly() {
    Tensor all = Tensor.fromBuffer(DType.INT32, ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN)
        .putInt(1).putInt(2).putInt(3).putInt(4).putInt(5).putInt(6).flip(), 3, 2);

    Tensor back = Npy.read(new ByteArrayInputStream(toBytes(all.slice(1, 3))));

    assertThat(back.toIntArray()).containsExactly(3, 4, 5, 6);
    assertThat(back.shape()).isEqualTo(Shape.of(2, 2));
  }

  @Test
  void write_longHeader_switchesToVersion2_andReadsBack() {
    long[] dims = new long[23_000]; // "1, " per dimension: the header no longer fits 65,535 bytes
    Arrays.fill(dims, 1);
    Tensor t = Tensor.ofInts(new int[] {7}, dims);

    byte[] bytes = toBytes(t);
    Tensor back = Npy.read(new ByteArrayInputStream(bytes));

    assertThat(bytes[6]).isEqualTo((byte) 2);
    assertThat(dataOffset(bytes) % 64).isZero();
    assertThat(back.shape().rank()).isEqualTo(23_000);
    assertThat(back.toIntArray()).containsExactly(7);
  }

  @Test
  void write_toStream_leavesItOpen_andTwoArraysReadBackInTurn() {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    boolean[] closed = {false};
    OutputStream out = new OutputStream() {
      @Override
      public void write(int b) {
        bos.write(b);
      }

      @Override
      public void close() {
        closed[0] = true;
      }
    };
    Tensor a = Tensor.ofFloats(new float[] {1, 2}, 2);
    Tensor b = Tensor.ofStrings(new String[] {"x"}, 1);

    Npy.write(a, out);
    Npy.write(b, out);
    InputStream in = new ByteArrayInputStream(bos.toByteArray());

    assertThat(closed[0]).isFalse();
    assertThat(Npy.read(in)).isEqualTo(a);
    assertThat(Npy.read(in)).isEqualTo(b);
  }

  // ---------------------------------------------------------------- committed fixtures

  static Stream<Path> fixtureFiles() throws IOException {
    try (Stream<Path> files = Files.list(FIXTURES)) {
      return files.filter(p -> p.toString().endsWith(".npy")).sorted().toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("fixtureFiles")
  void write_reproducesNumpysBytes_forEveryCommittedFixture(Path file) throws IOException {
    byte[] original = Files.readAllBytes(file);

    byte[] rewritten = toBytes(Npy.read(file));

    assertThat(rewritten).as(file.getFileName().toString()).isEqualTo(original);
  }

  @Test
  void read_fixtureFloat32_keepsNegativeZeroNanAndInfinityBits() {
    Tensor t = Npy.read(FIXTURES.resolve("dtype_float32_input.npy"));

    assertThat(t.dtype()).isEqualTo(DType.FLOAT32);
    assertThat(t.shape()).isEqualTo(Shape.of(2, 3));
    assertThat(t.isDirect()).isTrue();
    assertThat(intBits(t)).containsExactly(0x80000000, 0x7FC00000, 0x7F800000, 0xFF800000,
        Float.floatToRawIntBits(3.4028235e38f), Float.floatToRawIntBits(1.1754944e-38f));
  }

  @Test
  void read_fixtureFloat64_keepsSpecialValueBits() {
    Tensor t = Npy.read(FIXTURES.resolve("dtype_float64_input.npy"));

    assertThat(t.dtype()).isEqualTo(DType.FLOAT64);
    assertThat(t.shape()).isEqualTo(Shape.of(2, 3));
    long[] bits = new long[6];
    for (int i = 0; i < 6; i++) {
      bits[i] = Double.doubleToRawLongBits(t.getDouble(i));
    }
    assertThat(bits).containsExactly(0x8000000000000000L, 0x7FF8000000000000L, 0x7FF0000000000000L, 0xFFF0000000000000L,
        Double.doubleToRawLongBits(Double.MAX_VALUE), Double.doubleToRawLongBits(Double.MIN_NORMAL));
  }

  @Test
  void read_fixtureFloat16_keepsRawHalfBits() {
    Tensor t = Npy.read(FIXTURES.resolve("dtype_float16_input.npy"));

    assertThat(t.dtype()).isEqualTo(DType.FLOAT16);
    assertThat(t.shape()).isEqualTo(Shape.of(2, 3));
    ByteBuffer b = t.buffer();
    short[] bits = new short[6];
    for (int i = 0; i < 6; i++) {
      bits[i] = b.getShort(i * 2);
    }
    assertThat(bits).containsExactly((short) 0x8000, (short) 0x7E00, (short) 0x7C00, (short) 0xFC00, (short) 0x7BFF,
        (short) 0x0400);
    assertThat(t.toFloatArray()[4]).isEqualTo(65504f);
  }

  @Test
  void read_fixtureIntegers_haveTheirExtremes() {
    Tensor i8 = Npy.read(FIXTURES.resolve("dtype_int8_input.npy"));
    Tensor u8 = Npy.read(FIXTURES.resolve("dtype_uint8_input.npy"));
    Tensor i16 = Npy.read(FIXTURES.resolve("dtype_int16_input.npy"));
    Tensor i32 = Npy.read(FIXTURES.resolve("dtype_int32_input.npy"));
    Tensor i64 = Npy.read(FIXTURES.resolve("dtype_int64_input.npy"));

    assertThat(i8.dtype()).isEqualTo(DType.INT8);
    assertThat(i8.toByteArray()).containsExactly(-128, -1, 0, 1, 42, 127);
    assertThat(u8.dtype()).isEqualTo(DType.UINT8);
    assertThat(u8.toByteArray()).containsExactly(0, 1, 127, 128, 42, 255);
    assertThat(i16.dtype()).isEqualTo(DType.INT16);
    assertThat(i16.toShortArray()).containsExactly(Short.MIN_VALUE, (short) -1, (short) 0, (short) 1, (short) 42,
        Short.MAX_VALUE);
    assertThat(i32.dtype()).isEqualTo(DType.INT32);
    assertThat(i32.toIntArray()).containsExactly(Integer.MIN_VALUE, -1, 0, 1, 42, Integer.MAX_VALUE);
    assertThat(i64.dtype()).isEqualTo(DType.INT64);
    assertThat(i64.toLongArray()).containsExactly(Long.MIN_VALUE, -1, 0, 1, 42, Long.MAX_VALUE);
    for (Tensor t : new Tensor[] {i8, u8, i16, i32, i64}) {
      assertThat(t.shape()).isEqualTo(Shape.of(2, 3));
    }
  }

  @Test
  void read_fixtureBool_hasItsPattern() {
    Tensor t = Npy.read(FIXTURES.resolve("dtype_bool_input.npy"));

    assertThat(t.dtype()).isEqualTo(DType.BOOL);
    assertThat(t.shape()).isEqualTo(Shape.of(2, 3));
    assertThat(t.toBooleanArray()).containsExactly(true, false, true, false, false, true);
  }

  @Test
  void read_fixtureString_decodesUtf32AndStripsNulPadding() {
    Tensor t = Npy.read(FIXTURES.resolve("dtype_string_input.npy"));

    assertThat(t.dtype()).isEqualTo(DType.STRING);
    assertThat(t.shape()).isEqualTo(Shape.of(2, 3));
    assertThat(t.toStringArray()).containsExactly("", "hello", "héllo ✓", "ONNX", "日本語", "tab\tnewline\n");
  }

  @Test
  void read_fixtureFraudInput_isFloat32With16RowsOf32Features() {
    Tensor t = Npy.read(FIXTURES.resolve("fraud_input.npy"));

    assertThat(t.dtype()).isEqualTo(DType.FLOAT32);
    assertThat(t.shape()).isEqualTo(Shape.of(16, 32));
    assertThat(t.isDirect()).isTrue();
    float[] v = t.toFloatArray();
    assertThat(Arrays.copyOf(v, 4)).containsExactly(0.6479061841964722f, 0.46932080388069153f, -0.6430206298828125f,
        -1.1782586574554443f);
    assertThat(Arrays.copyOfRange(v, 510, 512)).containsExactly(-0.454464316368103f, -0.3138430118560791f);
  }

  // ---------------------------------------------------------------- other writers' headers

  @Test
  void read_version2And3Headers() {
    byte[] data = leBytes(4, 1, 2, 3);
    String header = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";

    Tensor v2 = Npy.read(new ByteArrayInputStream(npy(2, header, data)));
    Tensor v3 = Npy.read(new ByteArrayInputStream(npy(3, header, data)));

    assertThat(v2.toIntArray()).containsExactly(1, 2, 3);
    assertThat(v3.toIntArray()).containsExactly(1, 2, 3);
  }

  @Test
  void read_toleratesOtherKeyOrderQuotesAndSpacing() {
    String header = "{\"shape\":(2,),\"fortran_order\":False,\"descr\":\"<f8\"}";

    Tensor t = Npy.read(new ByteArrayInputStream(npy(1, header, leBytes(8, Double.doubleToRawLongBits(1.5),
        Double.doubleToRawLongBits(-2.0)))));

    assertThat(t.toDoubleArray()).containsExactly(1.5, -2.0);
  }

  @Test
  void read_bigEndianTypes_convertsToLittleEndian() {
    Tensor f4 = Npy.read(new ByteArrayInputStream(npy(1, dict(">f4", "(2,)"), beBytes(4,
        Float.floatToRawIntBits(1.25f), 0x7FC00001))));
    Tensor i8 = Npy.read(new ByteArrayInputStream(npy(1, dict(">i8", "(1,)"), beBytes(8, -2L))));
    Tensor f2 = Npy.read(new ByteArrayInputStream(npy(1, dict(">f2", "(1,)"), beBytes(2, 0x3C00))));
    Tensor i2 = Npy.read(new ByteArrayInputStream(npy(1, dict(">i2", "(1,)"), beBytes(2, 0x1234))));
    Tensor f8 = Npy.read(new ByteArrayInputStream(npy(1, dict(">f8", "()"), beBytes(8, Double.doubleToRawLongBits(-0.0)))));
    Tensor u = Npy.read(new ByteArrayInputStream(npy(1, dict(">U2", "(2,)"), beBytes(4, 'h', 0x1F600, 'i', 0))));

    assertThat(f4.getFloat(0)).isEqualTo(1.25f);
    assertThat(Float.floatToRawIntBits(f4.getFloat(1))).isEqualTo(0x7FC00001);
    assertThat(f4.isDirect()).isTrue();
    assertThat(i8.toLongArray()).containsExactly(-2L);
    assertThat(f2.toFloatArray()).containsExactly(1.0f);
    assertThat(i2.toShortArray()).containsExactly((short) 0x1234);
    assertThat(Double.doubleToRawLongBits(f8.getDouble(0))).isEqualTo(0x8000000000000000L);
    assertThat(u.toStringArray()).containsExactly("h😀", "i");
  }

  @ParameterizedTest
  @ValueSource(strings = {"|i1", "<i1", ">i1", "=i1"})
  void read_oneByteTypes_acceptAnyByteOrderChar(String descr) {
    Tensor t = Npy.read(new ByteArrayInputStream(npy(1, dict(descr, "(2,)"), new byte[] {-5, 7})));

    assertThat(t.dtype()).isEqualTo(DType.INT8);
    assertThat(t.toByteArray()).containsExactly(-5, 7);
  }

  @Test
  void read_nativeOrderChar_meansThisMachinesOrder() {
    ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0x01020304);

    Tensor t = Npy.read(new ByteArrayInputStream(npy(1, dict("=i4", "(1,)"), b.array())));

    assertThat(t.toIntArray()).containsExactly(0x01020304);
  }

  @Test
  void read_boolBytesOtherThanZeroAndOne_normalisesToOne() {
    Tensor t = Npy.read(new ByteArrayInputStream(npy(1, dict("|b1", "(3,)"), new byte[] {0, 2, (byte) 0xff})));

    assertThat(t.buffer().get(1)).isEqualTo((byte) 1);
    assertThat(t.buffer().get(2)).isEqualTo((byte) 1);
    assertThat(t.toBooleanArray()).containsExactly(false, true, true);
  }

  @Test
  void read_fortranOrder_transposesToRowMajor() {
    // C-order [[0, 1, 2], [3, 4, 5]] stored column by column
    String header = "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }";

    Tensor t = Npy.read(new ByteArrayInputStream(npy(1, header, leBytes(4, 0, 3, 1, 4, 2, 5))));

    assertThat(t.shape()).isEqualTo(Shape.of(2, 3));
    assertThat(t.toIntArray()).containsExactly(0, 1, 2, 3, 4, 5);
  }

  @Test
  void read_fortranOrderRank3AndStrings_transposesToRowMajor() {
    // element (i, j, k) = 100i + 10j + k for shape (2, 3, 4); Fortran order varies i fastest
    long[] f = new long[24];
    int n = 0;
    for (int k = 0; k < 4; k++) {
      for (int j = 0; j < 3; j++) {
        for (int i = 0; i < 2; i++) {
          f[n++] = 100 * i + 10 * j + k;
        }
      }
    }
    Tensor t = Npy.read(new ByteArrayInputStream(npy(1,
        "{'descr': '<i8', 'fortran_order': True, 'shape': (2, 3, 4), }", leBytes(8, f))));
    Tensor s = Npy.read(new ByteArrayInputStream(npy(1,
        "{'descr': '<U1', 'fortran_order': True, 'shape': (2, 2), }", leBytes(4, 'a', 'c', 'b', 'd'))));

    long[] c = t.toLongArray();
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        for (int k = 0; k < 4; k++) {
          assertThat(c[i * 12 + j * 4 + k]).isEqualTo(100L * i + 10 * j + k);
        }
      }
    }
    assertThat(s.toStringArray()).containsExactly("a", "b", "c", "d");
  }

  @Test
  void read_strings_stripOnlyTrailingNuls() {
    Tensor t = Npy.read(new ByteArrayInputStream(npy(1, dict("<U4", "(1,)"), leBytes(4, 'a', 0, 'b', 0))));

    assertThat(t.toStringArray()).containsExactly("a\0b");
  }

  @Test
  void read_ignoresBytesAfterTheArray() {
    byte[] one = toBytes(Tensor.ofInts(new int[] {9}, 1));
    byte[] padded = Arrays.copyOf(one, one.length + 5);

    assertThat(Npy.read(new ByteArrayInputStream(padded)).toIntArray()).containsExactly(9);
  }

  // ---------------------------------------------------------------- bad input

  @Test
  void read_rejectsTruncatedFile_namingTheFile() throws IOException {
    byte[] full = Files.readAllBytes(FIXTURES.resolve("fraud_input.npy"));
    Path file = tmp.resolve("cut.npy");
    Files.write(file, Arrays.copyOf(full, full.length - 100));

    assertThatThrownBy(() -> Npy.read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("truncated: expected 2048 data bytes for <f4 (16, 32) but only 1948 bytes remain");
  }

  @Test
  void read_rejectsAFileWithBytesAfterItsData_namingHowMany() throws IOException {
    byte[] full = Files.readAllBytes(FIXTURES.resolve("fraud_input.npy"));
    Path file = tmp.resolve("long.npy");
    Files.write(file, Arrays.copyOf(full, full.length + 12));

    assertThatThrownBy(() -> Npy.read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("FLOAT32 [16, 32]")
        .hasMessageContaining("12 more bytes follow");
    try (var in = Files.newInputStream(file)) {
      assertThat(Npy.read(in).shape().toArray()).as("a stream may hold more after the array").containsExactly(16, 32);
    }
  }

  @Test
  void read_rejectsFileCutInsideTheHeader() throws IOException {
    Path file = tmp.resolve("cut.npy");
    Files.write(file, Arrays.copyOf(Files.readAllBytes(FIXTURES.resolve("fraud_input.npy")), 40));

    assertThatThrownBy(() -> Npy.read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("truncated: expected a 118-byte header but only 30 bytes remain");
  }

  @Test
  void read_rejectsBadMagic_showingTheBytes() throws IOException {
    Path file = tmp.resolve("text.npy");
    Files.writeString(file, "hello, world");

    assertThatThrownBy(() -> Npy.read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("npy file " + file + ": expected the .npy magic \\x93NUMPY but got 'hello, w'");
  }

  @Test
  void read_rejectsNpzArchive_withAHint() {
    byte[] zip = {'P', 'K', 3, 4, 20, 0, 0, 0};

    assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(zip)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("npy stream: expected the .npy magic")
        .hasMessageContaining("an .npz file holds several .npy files");
  }

  @Test
  void read_rejectsEmptyStream() {
    assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(new byte[0])))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("npy stream: expected the .npy magic \\x93NUMPY but got no bytes (empty)");
  }

  @Test
  void read_rejectsUnknownVersion() {
    byte[] bytes = npy(1, dict("<f4", "(0,)"), new byte[0]);
    bytes[6] = 4;

    assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(bytes)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("expected .npy format version 1.0, 2.0 or 3.0 but got 4.0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"<c8", "|O", "<u4", "<M8[ns]", "|S5", "|V8", "|f4", "f4", "<U", "<Ux"})
  void read_rejectsUnsupportedDescr_namingIt(String descr) {
    byte[] bytes = npy(1, dict(descr, "(1,)"), new byte[16]);

    assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(bytes)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("npy stream: unsupported dtype: expected one of '<f4'")
        .hasMessageEndingWith(descr.equals("|O") ? "(object arrays need pickle, which jinfer never reads)"
            : descr.equals("|f4") ? "(a multi-byte type needs '<' or '>', not '|')" : "but got '" + descr + "'");
  }

  @Test
  void read_rejectsStructuredDtype() {
    String header = "{'descr': [('x', '<f4'), ('y', '<i4')], 'fortran_order': False, 'shape': (1,), }";

    assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(npy(1, header, new byte[8]))))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("unsupported dtype")
        .hasMessageContaining("a structured dtype");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{'descr': '<f4', 'shape': (1,), }",
      "{'descr': '<f4', 'fortran_order': 'no', 'shape': (1,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': 3, }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ",
      "['descr', '<f4']",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
  })
  void read_rejectsMalformedHeader(String header) {
    assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(npy(1, header, new byte[4]))))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("npy stream: expected");
  }

  @Test
  void read_rejectsInvalidCodePointInStringData() {
    byte[] bytes = npy(1, dict("<U1", "(2,)"), leBytes(4, 'a', 0x110000));

    assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(bytes)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("element 1: expected Unicode code points")
        .hasMessageContaining("0x110000");
  }

  @Test
  void read_rejectsArrayOverTheTensorLimit_beforeAllocating() {
    byte[] bytes = npy(1, dict("<f8", "(65536, 65536)"), new byte[0]);

    assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(bytes)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("expected at most 2147483647 data bytes");
  }

  @Test
  void read_rejectsHugeArrayOfEmptyStrings_beforeAllocating() {
    byte[] bytes = npy(1, dict("<U0", "(1000000000,)"), new byte[0]);

    assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(bytes)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("expected at most 536870911 string elements but the header describes 1000000000");
  }

  @Test
  void read_zeroWidthStrings_areEmpty() {
    Tensor t = Npy.read(new ByteArrayInputStream(npy(1, dict("<U0", "(2,)"), new byte[0])));

    assertThat(t.toStringArray()).containsExactly("", "");
  }

  @Test
  void read_missingFile_throwsUncheckedIo_namingTheFile() {
    Path missing = tmp.resolve("nope.npy");

    assertThatThrownBy(() -> Npy.read(missing))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessage("npy file " + missing + ": expected a readable file but it does not exist");
  }

  @Test
  void write_intoMissingDirectory_throwsUncheckedIo_namingTheFile() {
    Path target = tmp.resolve("no/such/dir/x.npy");

    assertThatThrownBy(() -> Npy.write(Tensor.ofInts(new int[] {1}, 1), target))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(target.toString());
  }

  @Test
  void nullArguments_areInvalidInput() {
    assertThatThrownBy(() -> Npy.read((Path) null)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> Npy.read((InputStream) null)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> Npy.write(null, new ByteArrayOutputStream())).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> Npy.write(Tensor.ofInts(new int[] {1}, 1), (OutputStream) null))
        .isInstanceOf(InvalidInputException.class);
  }

  // ---------------------------------------------------------------- helpers

  private static byte[] toBytes(Tensor t) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Npy.write(t, out);
    return out.toByteArray();
  }

  private static int dataOffset(byte[] npy) {
    return npy[6] == 1
        ? 10 + ((npy[8] & 0xff) | (npy[9] & 0xff) << 8)
        : 12 + ByteBuffer.wrap(npy, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  private static String headerOf(byte[] npy) {
    int start = npy[6] == 1 ? 10 : 12;
    return new String(npy, start, dataOffset(npy) - start, StandardCharsets.ISO_8859_1);
  }

  private static String dict(String descr, String shape) {
    return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  }

  /** A .npy image with an unpadded header, as a minimal third-party writer might produce. */
  private static byte[] npy(int major, String header, byte[] data) {
    byte[] h = (header + "\n").getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    int lengthBytes = major == 1 ? 2 : 4;
    ByteBuffer b = ByteBuffer.allocate(8 + lengthBytes + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
    if (major == 1) {
      b.putShort((short) h.length);
    } else {
      b.putInt(h.length);
    }
    return b.put(h).put(data).array();
  }

  private static ByteBuffer le(int width, long... values) {
    return ByteBuffer.wrap(leBytes(width, values));
  }

  private static byte[] leBytes(int width, long... values) {
    return pack(ByteOrder.LITTLE_ENDIAN, width, values);
  }

  private static byte[] beBytes(int width, long... values) {
    return pack(ByteOrder.BIG_ENDIAN, width, values);
  }

  private static byte[] pack(ByteOrder order, int width, long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * width).order(order);
    for (long v : values) {
      switch (width) {
        case 2:
          b.putShort((short) v);
          break;
        case 4:
          b.putInt((int) v);
          break;
        case 8:
          b.putLong(v);
          break;
        default:
          throw new IllegalArgumentException("width " + width);
      }
    }
    return b.array();
  }

  private static int[] intBits(Tensor t) {
    int[] bits = new int[t.elementCount()];
    for (int i = 0; i < bits.length; i++) {
      bits[i] = Float.floatToRawIntBits(t.getFloat(i));
    }
    return bits;
  }
}
