package dev.jinfer.io;

import dev.jinfer.DType;
import dev.jinfer.InvalidInputException;
import dev.jinfer.Tensor;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads and writes tensors in NumPy's {@code .npy} format, so that inputs and reference outputs can be
 * exchanged with Python ({@code np.save} / {@code np.load}) without pickle.
 *
 * <p>Reading accepts format versions 1.0, 2.0 and 3.0 and these dtypes (the {@code descr} of the header):
 * {@code <f4 <f8 <f2 |i1 |u1 <i2 <i4 <i8 |b1} and {@code <U<n>}, NumPy's fixed-width unicode (UTF-32,
 * NUL-padded), which becomes a {@link DType#STRING} tensor with trailing NULs stripped. Big-endian
 * ({@code >}) data is converted to little-endian, {@code =} means this machine's order as in NumPy, and
 * the one-byte types take any byte-order character. Fortran-order arrays are transposed to C (row-major)
 * order. BOOL bytes are normalised to 0 and 1. Tensors read are backed by direct little-endian buffers.
 *
 * <p>Writing uses version 1.0 (2.0 when the header does not fit), C order, little-endian descrs and the
 * same header layout as NumPy, so the data starts at a multiple of 64 bytes. STRING tensors are written
 * as {@code <U<n>} with {@code n} the longest element in code points; because NumPy pads with NUL, a
 * string's own trailing NULs do not survive a round trip.
 *
 * <p>Stateless and thread-safe: any number of threads may call these methods at once (on different
 * streams).
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int ALIGN = 64;
  // NumPy pads the header so the first (growth) dimension can be rewritten in place with up to 21 digits
  private static final int GROWTH_AXIS_MAX_DIGITS = 21;
  // NumPy refuses headers over 10,000 bytes by default; allow more, but never an absurd allocation
  private static final int MAX_HEADER_BYTES = 1 << 20;
  private static final int CHUNK = 1 << 16;
  private static final String SUPPORTED =
      "one of '<f4', '<f8', '<f2', '|i1', '|u1', '<i2', '<i4', '<i8', '|b1' or '<U<n>' (any byte order)";

  private Npy() {}

  // ---------------------------------------------------------------- reading

  /**
   * Reads a {@code .npy} file. The file must hold exactly one array: bytes after the array's data mean the
   * file is not what its header says (a wrong shape or dtype in the header, or two files concatenated),
   * and are refused. To read several arrays saved one after another, use {@link #read(InputStream)}.
   *
   * @param path the file
   * @return the tensor, backed by a direct little-endian buffer (or Java strings for STRING)
   * @throws InvalidInputException if the file is not a supported {@code .npy} array (bad magic, unknown
   *     version, malformed header, unsupported dtype, truncated data, bytes after the data); the message
   *     names the file, what was expected and what came
   * @throws UncheckedIOException if the file cannot be read (missing, not readable, an I/O error)
   */
  public static Tensor read(Path path) {
    if (path == null) {
      throw new InvalidInputException("npy file: expected a path but got null");
    }
    String source = "npy file " + path;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(path), CHUNK)) {
      Tensor t = read(in, source);
      long trailing = in.transferTo(OutputStream.nullOutputStream());
      if (trailing > 0) {
        throw new InvalidInputException(source + ": expected the file to end after the " + t.dtype() + " "
            + Arrays.toString(t.shape().toArray()) + " data its header declares but " + trailing
            + " more bytes follow (is the header's shape or dtype wrong, or are two files concatenated?)");
      }
      return t;
    } catch (IOException e) {
      throw new UncheckedIOException(source + ": expected a readable file but " + describe(e), e);
    }
  }

  /**
   * Reads one {@code .npy} array from a stream. Reads exactly the array's bytes and leaves the stream
   * open, positioned after the array, so several arrays saved one after another can be read in turn.
   *
   * @param in the stream; not closed
   * @return the tensor, backed by a direct little-endian buffer (or Java strings for STRING)
   * @throws InvalidInputException if the stream does not hold a supported {@code .npy} array; the message
   *     says what was expected and what came
   * @throws UncheckedIOException if reading the stream fails
   */
  public static Tensor read(InputStream in) {
    if (in == null) {
      throw new InvalidInputException("npy stream: expected an InputStream but got null");
    }
    try {
      return read(in, "npy stream");
    } catch (IOException e) {
      throw new UncheckedIOException("npy stream: reading failed: " + e.getMessage(), e);
    }
  }

  private static Tensor read(InputStream in, String source) throws IOException {
    byte[] prefix = in.readNBytes(MAGIC.length + 2);
    if (prefix.length > 0 && prefix.length < MAGIC.length && startsWithMagic(prefix)) {
      throw truncated(source, "the 6-byte magic \\x93NUMPY", prefix.length);
    }
    if (prefix.length < MAGIC.length || !startsWithMagic(prefix)) {
      throw new InvalidInputException(source + ": expected the .npy magic \\x93NUMPY but got "
          + (prefix.length == 0 ? "no bytes (empty)" : printable(prefix)) + zipHint(prefix));
    }
    if (prefix.length < MAGIC.length + 2) {
      throw truncated(source, "a 2-byte format version after the magic", prefix.length - MAGIC.length);
    }
    int major = prefix[6] & 0xff;
    int minor = prefix[7] & 0xff;
    if (major < 1 || major > 3 || minor != 0) {
      throw new InvalidInputException(source + ": expected .npy format version 1.0, 2.0 or 3.0 but got " + major + "."
          + minor);
    }
    int lengthBytes = major == 1 ? 2 : 4;
    byte[] len = readExactly(in, lengthBytes, source, "a " + lengthBytes + "-byte header length");
    long headerLength = major == 1
        ? (len[0] & 0xffL) | (len[1] & 0xffL) << 8
        : (len[0] & 0xffL) | (len[1] & 0xffL) << 8 | (len[2] & 0xffL) << 16 | (len[3] & 0xffL) << 24;
    if (headerLength > MAX_HEADER_BYTES) {
      throw new InvalidInputException(source + ": expected a header of at most " + MAX_HEADER_BYTES + " bytes but the file"
          + " declares " + headerLength);
    }
    byte[] headerBytes = readExactly(in, (int) headerLength, source, "a " + headerLength + "-byte header");
    String headerText = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Header header = Header.parse(headerText, source);
    Descr descr = Descr.parse(header.descr, source);
    long count = elementCount(header.shape, source);
    long dataBytes;
    long budget; // '<U0' holds no bytes, but each element is still a String to allocate
    try {
      dataBytes = Math.multiplyExact(count, (long) descr.itemSize);
      budget = Math.multiplyExact(count, (long) Math.max(descr.itemSize, 4));
    } catch (ArithmeticException e) {
      dataBytes = Long.MAX_VALUE;
      budget = Long.MAX_VALUE;
    }
    if (budget > Integer.MAX_VALUE && descr.dtype == DType.STRING && dataBytes <= Integer.MAX_VALUE) {
      throw new InvalidInputException(source + ": expected at most " + Integer.MAX_VALUE / 4 + " string elements but the"
          + " header describes " + count + " for " + header.descr + " " + shapeRepr(header.shape));
    }
    if (dataBytes > Integer.MAX_VALUE) {
      throw new InvalidInputException(source + ": expected at most " + Integer.MAX_VALUE + " data bytes (the tensor limit)"
          + " but the header describes " + (dataBytes == Long.MAX_VALUE ? "more" : Long.toString(dataBytes)) + " for "
          + header.descr + " " + shapeRepr(header.shape));
    }
    String what = (int) dataBytes + " data bytes for " + header.descr + " " + shapeRepr(header.shape);
    if (descr.dtype == DType.STRING) {
      byte[] raw = readExactly(in, (int) dataBytes, source, what);
      String[] strings = decodeUtf32(raw, (int) count, descr, source);
      if (header.fortranOrder) {
        strings = toCOrder(strings, header.shape);
      }
      return Tensor.ofStrings(strings, header.shape);
    }
    ByteBuffer data = readDirect(in, (int) dataBytes, source, what);
    if (descr.order != ByteOrder.LITTLE_ENDIAN && descr.itemSize > 1) {
      swapBytes(data, descr.itemSize);
    }
    if (descr.dtype == DType.BOOL) {
      for (int i = 0; i < data.limit(); i++) {
        if (data.get(i) != 0) {
          data.put(i, (byte) 1);
        }
      }
    }
    if (header.fortranOrder) {
      data = toCOrder(data, header.shape, descr.itemSize);
    }
    return Tensor.fromBuffer(descr.dtype, data, header.shape);
  }

  private static boolean startsWithMagic(byte[] prefix) {
    for (int i = 0; i < Math.min(prefix.length, MAGIC.length); i++) {
      if (prefix[i] != MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  private static byte[] readExactly(InputStream in, int n, String source, String what) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length < n) {
      throw truncated(source, what, b.length);
    }
    return b;
  }

  private static ByteBuffer readDirect(InputStream in, int n, String source, String what) throws IOException {
    ByteBuffer out = ByteBuffer.allocateDirect(n).order(ByteOrder.LITTLE_ENDIAN);
    byte[] chunk = new byte[Math.min(n, CHUNK)];
    int done = 0;
    while (done < n) {
      int r = in.read(chunk, 0, Math.min(chunk.length, n - done));
      if (r < 0) {
        throw truncated(source, what, done);
      }
      out.put(chunk, 0, r);
      done += r;
    }
    return out.flip();
  }

  private static InvalidInputException truncated(String source, String what, int got) {
    return new InvalidInputException(source + ": truncated: expected " + what + " but only " + got + " bytes remain");
  }

  private static long elementCount(long[] shape, String source) {
    long n = 1;
    for (long d : shape) {
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new InvalidInputException(source + ": expected a shape whose element count fits a long but got "
            + shapeRepr(shape), e);
      }
    }
    return n;
  }

  private static void swapBytes(ByteBuffer b, int width) {
    int n = b.limit();
    switch (width) {
      case 2:
        for (int i = 0; i < n; i += 2) {
          b.putShort(i, Short.reverseBytes(b.getShort(i)));
        }
        break;
      case 4:
        for (int i = 0; i < n; i += 4) {
          b.putInt(i, Integer.reverseBytes(b.getInt(i)));
        }
        break;
      case 8:
        for (int i = 0; i < n; i += 8) {
          b.putLong(i, Long.reverseBytes(b.getLong(i)));
        }
        break;
      default:
        throw new AssertionError(width);
    }
  }

  private static String[] decodeUtf32(byte[] raw, int count, Descr descr, String source) {
    ByteBuffer b = ByteBuffer.wrap(raw).order(descr.order);
    String[] out = new String[count];
    StringBuilder sb = new StringBuilder();
    for (int e = 0; e < count; e++) {
      int base = e * descr.itemSize;
      int end = descr.stringLength;
      while (end > 0 && b.getInt(base + (end - 1) * 4) == 0) {
        end--;
      }
      sb.setLength(0);
      for (int c = 0; c < end; c++) {
        int cp = b.getInt(base + c * 4);
        if (!Character.isValidCodePoint(cp)) {
          throw new InvalidInputException(source + ": element " + e + ": expected Unicode code points (0 to 0x10FFFF)"
              + " in " + descr.text + " data but got 0x" + Integer.toHexString(cp).toUpperCase(Locale.ROOT));
        }
        sb.appendCodePoint(cp);
      }
      out[e] = sb.toString();
    }
    return out;
  }

  // A Fortran-order array stores its first index fastest: element (i0..ik) sits at sum(i_j * prod(d_0..d_j-1)).
  private static ByteBuffer toCOrder(ByteBuffer f, long[] shape, int width) {
    if (shape.length < 2) {
      return f;
    }
    ByteBuffer c = ByteBuffer.allocateDirect(f.limit()).order(ByteOrder.LITTLE_ENDIAN);
    forEachFortranOffset(shape, (cIndex, fIndex) -> {
      for (int k = 0; k < width; k++) {
        c.put(cIndex * width + k, f.get(fIndex * width + k));
      }
    });
    return c;
  }

  private static String[] toCOrder(String[] f, long[] shape) {
    if (shape.length < 2) {
      return f;
    }
    String[] c = new String[f.length];
    forEachFortranOffset(shape, (cIndex, fIndex) -> c[cIndex] = f[fIndex]);
    return c;
  }

  private interface IndexPair {
    void accept(int cIndex, int fIndex);
  }

  private static void forEachFortranOffset(long[] shape, IndexPair action) {
    int rank = shape.length;
    long total = 1;
    long[] fStride = new long[rank];
    for (int j = 0; j < rank; j++) {
      fStride[j] = total;
      total *= shape[j];
    }
    long[] idx = new long[rank];
    int fIndex = 0;
    for (int cIndex = 0; cIndex < total; cIndex++) {
      action.accept(cIndex, fIndex);
      // advance the C-order odometer (last index fastest), keeping the Fortran offset in step
      for (int j = rank - 1; j >= 0; j--) {
        if (++idx[j] < shape[j]) {
          fIndex += (int) fStride[j];
          break;
        }
        fIndex -= (int) (fStride[j] * (shape[j] - 1));
        idx[j] = 0;
      }
    }
  }

  // ---------------------------------------------------------------- writing

  /**
   * Writes a tensor to a {@code .npy} file, replacing the file if it exists.
   *
   * @param tensor the tensor
   * @param path the file to create or overwrite
   * @throws InvalidInputException if the tensor or path is null
   * @throws UncheckedIOException if the file cannot be written
   */
  public static void write(Tensor tensor, Path path) {
    if (path == null) {
      throw new InvalidInputException("npy file: expected a path but got null");
    }
    requireTensor(tensor);
    String target = "npy file " + path;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), CHUNK)) {
      writeTo(tensor, out);
    } catch (IOException e) {
      throw new UncheckedIOException(target + ": expected a writable file but " + describe(e), e);
    }
  }

  /**
   * Writes a tensor to a stream in {@code .npy} format and flushes it; the stream is left open.
   *
   * @param tensor the tensor
   * @param out the stream
   * @throws InvalidInputException if the tensor or stream is null
   * @throws UncheckedIOException if writing fails
   */
  public static void write(Tensor tensor, OutputStream out) {
    requireTensor(tensor);
    if (out == null) {
      throw new InvalidInputException("npy stream: expected an OutputStream but got null");
    }
    try {
      writeTo(tensor, out);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("npy stream: writing failed: " + e.getMessage(), e);
    }
  }

  private static void requireTensor(Tensor tensor) {
    if (tensor == null) {
      throw new InvalidInputException("npy: expected a Tensor to write but got null");
    }
  }

  private static void writeTo(Tensor tensor, OutputStream out) throws IOException {
    long[] shape = tensor.shape().toArray();
    if (tensor.dtype() == DType.STRING) {
      String[] strings = tensor.toStringArray();
      int width = 1;
      for (String s : strings) {
        width = Math.max(width, s.codePointCount(0, s.length()));
      }
      out.write(header("<U" + width, shape));
      byte[] row = new byte[width * 4];
      ByteBuffer rb = ByteBuffer.wrap(row).order(ByteOrder.LITTLE_ENDIAN);
      for (String s : strings) {
        java.util.Arrays.fill(row, (byte) 0);
        int[] cps = s.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
          rb.putInt(i * 4, cps[i]);
        }
        out.write(row);
      }
      return;
    }
    out.write(header(descrOf(tensor.dtype()), shape));
    ByteBuffer data = tensor.buffer();
    byte[] chunk = new byte[Math.min(Math.max(data.remaining(), 1), CHUNK)];
    boolean bool = tensor.dtype() == DType.BOOL;
    while (data.hasRemaining()) {
      int n = Math.min(chunk.length, data.remaining());
      data.get(chunk, 0, n);
      if (bool) {
        for (int i = 0; i < n; i++) {
          chunk[i] = chunk[i] != 0 ? (byte) 1 : (byte) 0;
        }
      }
      out.write(chunk, 0, n);
    }
  }

  private static String descrOf(DType dtype) {
    switch (dtype) {
      case FLOAT32:
        return "<f4";
      case FLOAT64:
        return "<f8";
      case FLOAT16:
        return "<f2";
      case INT8:
        return "|i1";
      case UINT8:
        return "|u1";
      case INT16:
        return "<i2";
      case INT32:
        return "<i4";
      case INT64:
        return "<i8";
      case BOOL:
        return "|b1";
      default:
        throw new AssertionError(dtype);
    }
  }

  // The same bytes numpy.lib.format writes: sorted keys, growth-axis padding, spaces and '\n' up to a
  // multiple of 64, version 1.0 unless the header needs a 4-byte length.
  private static byte[] header(String descr, long[] shape) {
    StringBuilder dict = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': ")
        .append(shapeRepr(shape)).append(", }");
    if (shape.length > 0) {
      dict.append(" ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length())));
    }
    int headerLength = dict.length() + 1;
    int major = 1;
    int pad = ALIGN - (MAGIC.length + 2 + 2 + headerLength) % ALIGN;
    if (headerLength + pad > 0xffff) {
      major = 2;
      pad = ALIGN - (MAGIC.length + 2 + 4 + headerLength) % ALIGN;
    }
    String text = dict + " ".repeat(pad) + "\n";
    byte[] body = text.getBytes(StandardCharsets.ISO_8859_1);
    int lengthBytes = major == 1 ? 2 : 4;
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 2 + lengthBytes + body.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) major).put((byte) 0);
    if (major == 1) {
      b.putShort((short) body.length);
    } else {
      b.putInt(body.length);
    }
    return b.put(body).array();
  }

  private static String shapeRepr(long[] shape) {
    if (shape.length == 1) {
      return "(" + shape[0] + ",)";
    }
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return sb.append(')').toString();
  }

  // ---------------------------------------------------------------- messages

  private static String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "it does not exist";
    }
    if (e instanceof AccessDeniedException) {
      return "access was denied";
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  private static String printable(byte[] bytes) {
    StringBuilder sb = new StringBuilder("'");
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
        sb.append((char) c);
      } else {
        sb.append(String.format(Locale.ROOT, "\\x%02X", c));
      }
    }
    return sb.append('\'').toString();
  }

  private static String zipHint(byte[] prefix) {
    boolean zip = prefix.length >= 2 && prefix[0] == 'P' && prefix[1] == 'K';
    return zip ? " (a zip archive: an .npz file holds several .npy files; extract one first)" : "";
  }

  // ---------------------------------------------------------------- header model

  /** The three keys of a .npy header. */
  private static final class Header {
    final String descr;
    final boolean fortranOrder;
    final long[] shape;

    private Header(String descr, boolean fortranOrder, long[] shape) {
      this.descr = descr;
      this.fortranOrder = fortranOrder;
      this.shape = shape;
    }

    static Header parse(String text, String source) {
      Object parsed;
      try {
        parsed = new LiteralParser(text).parseHeader();
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(source + ": expected a header like {'descr': '<f4', 'fortran_order': False,"
            + " 'shape': (2, 3)} but " + e.getMessage() + " in " + abbreviate(text), e);
      }
      if (!(parsed instanceof Map)) {
        throw new InvalidInputException(source + ": expected the header to be a dict but got " + abbreviate(text));
      }
      Map<?, ?> dict = (Map<?, ?>) parsed;
      Object descr = dict.get("descr");
      Object fortran = dict.get("fortran_order");
      Object shape = dict.get("shape");
      if (descr == null || fortran == null || shape == null) {
        throw new InvalidInputException(source + ": expected the header keys 'descr', 'fortran_order' and 'shape' but got "
            + dict.keySet());
      }
      if (!(descr instanceof String)) {
        String kind = descr instanceof List ? "a structured dtype (a list of fields)" : String.valueOf(descr);
        throw new InvalidInputException(source + ": unsupported dtype: expected " + SUPPORTED + " but got " + kind);
      }
      if (!(fortran instanceof Boolean)) {
        throw new InvalidInputException(source + ": expected 'fortran_order' to be True or False but got " + fortran);
      }
      if (!(shape instanceof List)) {
        throw new InvalidInputException(source + ": expected 'shape' to be a tuple of ints but got " + shape);
      }
      List<?> dims = (List<?>) shape;
      long[] s = new long[dims.size()];
      for (int i = 0; i < s.length; i++) {
        Object d = dims.get(i);
        if (!(d instanceof Long) || (Long) d < 0) {
          throw new InvalidInputException(source + ": expected 'shape' to be a tuple of ints >= 0 but got " + dims);
        }
        s[i] = (Long) d;
      }
      return new Header((String) descr, (Boolean) fortran, s);
    }

    private static String abbreviate(String text) {
      String t = text.strip();
      return t.length() > 120 ? t.substring(0, 117) + "..." : t;
    }
  }

  /** A descr resolved to a jinfer dtype, byte order and element width. */
  private static final class Descr {
    final String text;
    final DType dtype;
    final ByteOrder order;
    final int itemSize;
    final int stringLength;

    private Descr(String text, DType dtype, ByteOrder order, int itemSize, int stringLength) {
      this.text = text;
      this.dtype = dtype;
      this.order = order;
      this.itemSize = itemSize;
      this.stringLength = stringLength;
    }

    static Descr parse(String descr, String source) {
      if (descr.length() >= 2 && "<>=|".indexOf(descr.charAt(0)) >= 0) {
        char orderChar = descr.charAt(0);
        String code = descr.substring(1);
        ByteOrder order = orderChar == '>' ? ByteOrder.BIG_ENDIAN
            : orderChar == '=' ? ByteOrder.nativeOrder() : ByteOrder.LITTLE_ENDIAN;
        DType single = singleByte(code);
        if (single != null) {
          return new Descr(descr, single, order, 1, 0);
        }
        if (orderChar != '|') {
          DType multi = multiByte(code);
          if (multi != null) {
            return new Descr(descr, multi, order, multi.byteSize(), 0);
          }
          if (code.length() > 1 && code.charAt(0) == 'U' && code.chars().skip(1).allMatch(Character::isDigit)
              && code.length() <= 10) {
            long n = Long.parseLong(code.substring(1));
            if (n * 4 <= Integer.MAX_VALUE) {
              return new Descr(descr, DType.STRING, order, (int) n * 4, (int) n);
            }
          }
        }
      }
      String hint = descr.endsWith("O") ? " (object arrays need pickle, which jinfer never reads)"
          : descr.length() >= 2 && descr.charAt(0) == '|' && multiByte(descr.substring(1)) != null
              ? " (a multi-byte type needs '<' or '>', not '|')" : "";
      throw new InvalidInputException(source + ": unsupported dtype: expected " + SUPPORTED + " but got '" + descr + "'" + hint);
    }

    private static @Nullable DType singleByte(String code) {
      switch (code) {
        case "i1":
          return DType.INT8;
        case "u1":
          return DType.UINT8;
        case "b1":
          return DType.BOOL;
        default:
          return null;
      }
    }

    private static @Nullable DType multiByte(String code) {
      switch (code) {
        case "f2":
          return DType.FLOAT16;
        case "f4":
          return DType.FLOAT32;
        case "f8":
          return DType.FLOAT64;
        case "i2":
          return DType.INT16;
        case "i4":
          return DType.INT32;
        case "i8":
          return DType.INT64;
        default:
          return null;
      }
    }
  }

  /**
   * Parses the Python literal subset NumPy writes in headers: dicts, tuples, lists, quoted strings,
   * integers, True, False and None.
   */
  private static final class LiteralParser {
    private static final Object NONE = new Object() {
      @Override
      public String toString() {
        return "None";
      }
    };

    private final String text;
    private int pos;

    LiteralParser(String text) {
      this.text = text;
    }

    Object parseHeader() {
      Object v = value();
      skipSpace();
      if (pos != text.length()) {
        throw error("unexpected '" + text.charAt(pos) + "' after the value");
      }
      return v;
    }

    private Object value() {
      skipSpace();
      if (pos >= text.length()) {
        throw error("the header ends early");
      }
      char c = text.charAt(pos);
      switch (c) {
        case '{':
          return dict();
        case '(':
          return sequence(')');
        case '[':
          return sequence(']');
        case '\'':
        case '"':
          return string(c);
        default:
          if (c == '-' || c == '+' || Character.isDigit(c)) {
            return integer();
          }
          if (text.startsWith("True", pos)) {
            pos += 4;
            return Boolean.TRUE;
          }
          if (text.startsWith("False", pos)) {
            pos += 5;
            return Boolean.FALSE;
          }
          if (text.startsWith("None", pos)) {
            pos += 4;
            return NONE;
          }
          throw error("unexpected '" + c + "'");
      }
    }

    private Map<Object, Object> dict() {
      pos++;
      Map<Object, Object> m = new LinkedHashMap<>();
      while (true) {
        skipSpace();
        if (peek() == '}') {
          pos++;
          return m;
        }
        Object key = value();
        skipSpace();
        expect(':');
        m.put(key, value());
        skipSpace();
        if (peek() == ',') {
          pos++;
        } else if (peek() != '}') {
          throw error("expected ',' or '}'");
        }
      }
    }

    private List<Object> sequence(char close) {
      pos++;
      List<Object> items = new ArrayList<>();
      while (true) {
        skipSpace();
        if (peek() == close) {
          pos++;
          return items;
        }
        items.add(value());
        skipSpace();
        if (peek() == ',') {
          pos++;
        } else if (peek() != close) {
          throw error("expected ',' or '" + close + "'");
        }
      }
    }

    private String string(char quote) {
      pos++;
      StringBuilder sb = new StringBuilder();
      while (pos < text.length()) {
        char c = text.charAt(pos++);
        if (c == quote) {
          return sb.toString();
        }
        if (c == '\\' && pos < text.length()) {
          c = text.charAt(pos++);
        }
        sb.append(c);
      }
      throw error("a string is not closed");
    }

    private Long integer() {
      int start = pos;
      if (text.charAt(pos) == '-' || text.charAt(pos) == '+') {
        pos++;
      }
      while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
        pos++;
      }
      String digits = text.substring(start, pos);
      if (pos < text.length() && (text.charAt(pos) == 'L' || text.charAt(pos) == 'l')) {
        pos++; // Python 2 long suffix
      }
      try {
        return Long.parseLong(digits);
      } catch (NumberFormatException e) {
        throw error("'" + digits + "' is not an integer that fits a long");
      }
    }

    private char peek() {
      if (pos >= text.length()) {
        throw error("the header ends early");
      }
      return text.charAt(pos);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      pos++;
    }

    private void skipSpace() {
      while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
        pos++;
      }
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException(what + " at offset " + pos);
    }
  }
}
