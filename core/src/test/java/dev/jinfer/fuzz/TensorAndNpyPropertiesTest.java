package dev.jinfer.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.DType;
import dev.jinfer.InferenceException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.io.Npy;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Property-based fuzzing (jqwik) of tensor construction and validation and of the NPY reader: random shapes,
 * dtypes and byte strings. The only outcomes allowed are a correct result or a typed
 * {@link InferenceException}; any other exception fails the property (jqwik shrinks it to a small case).
 */
class TensorAndNpyPropertiesTest {
  private static final ModelSignature SIGNATURE = ModelSignature.of(
      List.of(TensorSpec.of("features", DType.FLOAT32, -1, 4)), List.of(TensorSpec.of("y", DType.FLOAT32, -1, 2)));

  @Property(tries = 300)
  void bufferOfAnySizeForAnyShape_isATensorOrATypedError(@ForAll("fixedWidth") DType dtype,
      @ForAll @Size(max = 4) List<@IntRange(min = -3, max = 6) Integer> dims, @ForAll @IntRange(max = 300) int bytes) {
    long[] shape = dims.stream().mapToLong(Integer::longValue).toArray();
    try {
      Tensor t = Tensor.fromBuffer(dtype, ByteBuffer.allocateDirect(bytes), shape);
      assertThat(t.shape().elementCount() * dtype.byteSize()).isEqualTo(bytes);
    } catch (InferenceException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  @Property(tries = 300)
  void anyRequest_isValidOrRefusedWithATypedErrorNamingTheInput(@ForAll("fixedWidth") DType dtype,
      @ForAll @Size(max = 3) List<@IntRange(min = 0, max = 5) Integer> dims, @ForAll("names") String name) {
    long[] shape = dims.stream().mapToLong(Integer::longValue).toArray();
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    Tensor t = Tensor.fromBuffer(dtype, ByteBuffer.allocateDirect((int) count * dtype.byteSize()), shape);
    boolean valid = name.equals("features") && dtype == DType.FLOAT32 && shape.length == 2 && shape[1] == 4;
    try {
      SIGNATURE.validate(NamedTensors.of(name, t), List.of(), false); // a blank name is refused by NamedTensors
      assertThat(valid).as("accepted %s %s as %s", dtype, t.shape(), name).isTrue();
    } catch (InferenceException e) {
      assertThat(valid).as("refused a valid request: %s", e.getMessage()).isFalse();
      assertThat(e.getMessage()).containsAnyOf("input '", "name");
    }
  }

  @Property(tries = 500)
  void randomBytes_areATensorOrATypedError(@ForAll @Size(max = 400) byte[] bytes) {
    readOrTyped(bytes);
  }

  @Property(tries = 500)
  void randomHeaders_areATensorOrATypedError(@ForAll("headers") String header, @ForAll @Size(max = 64) byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer b = ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h).put(data);
    readOrTyped(b.array());
  }

  @Property(tries = 200)
  void writtenTensors_readBackEqual_andEveryTruncationIsATypedError(@ForAll("fixedWidth") DType dtype,
      @ForAll @Size(max = 3) List<@IntRange(min = 0, max = 4) Integer> dims, @ForAll @IntRange(min = 1, max = 40) int cut) {
    long[] shape = dims.stream().mapToLong(Integer::longValue).toArray();
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    ByteBuffer data = ByteBuffer.allocateDirect((int) count * dtype.byteSize());
    for (int i = 0; i < data.capacity(); i++) {
      data.put(i, (byte) (dtype == DType.BOOL ? i & 1 : i * 31));
    }
    Tensor t = Tensor.fromBuffer(dtype, data, shape);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Npy.write(t, out);
    byte[] file = out.toByteArray();
    assertThat(Npy.read(new ByteArrayInputStream(file))).isEqualTo(t);
    if (cut < file.length) {
      byte[] truncated = Arrays.copyOf(file, file.length - cut);
      try {
        Npy.read(new ByteArrayInputStream(truncated));
        assertThat(count).as("a truncated file was read").isZero();
      } catch (InferenceException e) {
        assertThat(e.getMessage()).isNotBlank();
      }
    }
  }

  private static void readOrTyped(byte[] bytes) {
    try {
      Tensor t = Npy.read(new ByteArrayInputStream(bytes));
      assertThat(t.shape().elementCount()).isGreaterThanOrEqualTo(0);
    } catch (InferenceException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  @Provide
  Arbitrary<DType> fixedWidth() {
    return Arbitraries.of(DType.values()).filter(DType::isFixedWidth);
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.of("features", "Features", "x", "");
  }

  @Provide
  Arbitrary<String> headers() {
    Arbitrary<String> descr = Arbitraries.of("<f4", ">f8", "|u1", "|b1", "<U3", "<c8", "|O", "<f", "", "'", "<i8");
    Arbitrary<String> order = Arbitraries.of("False", "True", "0", "None");
    Arbitrary<String> shape = Arbitraries.of("()", "(2,)", "(2, 3)", "(0, 4)", "(-1,)", "(3,", "(1 << 62,)",
        "(99999999999, 99999999999)", "[2]", "(2, 'a')");
    Arbitrary<String> junk = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(12);
    return Combinators.combine(descr, order, shape, junk)
        .as((d, o, s, j) -> "{'descr': '" + d + "', 'fortran_order': " + o + ", 'shape': " + s + ", }" + j + "\n");
  }
}
