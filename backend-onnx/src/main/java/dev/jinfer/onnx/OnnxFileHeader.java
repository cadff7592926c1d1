package dev.jinfer.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Reads the top-level fields of a serialized ONNX {@code ModelProto} straight from the file: enough to
 * recognise one by its first bytes, and to report what ONNX Runtime's metadata API leaves out (IR version,
 * producer version, opsets). Skips the graph without reading it. Never throws.
 */
final class OnnxFileHeader {
  private static final int WIRE_VARINT = 0;
  private static final int WIRE_I64 = 1;
  private static final int WIRE_LEN = 2;
  private static final int WIRE_I32 = 5;
  private static final int MAX_FIELDS = 256;
  private static final int MAX_STRING = 4096;

  private OnnxFileHeader() {}

  /**
   * Whether the file starts like a {@code ModelProto}: field 1 ({@code ir_version}) as a small varint,
   * followed by the tag of another known top-level field.
   *
   * @param path a regular file
   * @return false for text, random bytes, an unreadable file or anything else
   */
  static boolean looksLikeModel(Path path) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer head = ByteBuffer.allocate(16);
      while (head.hasRemaining() && ch.read(head) > 0) {
        // read up to 16 bytes
      }
      head.flip();
      return looksLikeModel(head);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  static boolean looksLikeModel(ByteBuffer head) {
    if (head.remaining() < 4 || head.get() != 0x08) {
      return false;
    }
    long irVersion = varint(head, 2);
    if (irVersion < 1 || irVersion > 100) {
      return false;
    }
    long tag = varint(head, 3);
    if (tag < 0) {
      return false;
    }
    long field = tag >>> 3;
    int wire = (int) (tag & 7);
    return field == 5 ? wire == WIRE_VARINT : wire == WIRE_LEN && field >= 2 && field <= 25;
  }

  /** A varint of at most maxBytes bytes, or -1 if there is none. */
  private static long varint(ByteBuffer b, int maxBytes) {
    long value = 0;
    for (int i = 0; i < maxBytes && b.hasRemaining(); i++) {
      int x = b.get() & 0xff;
      value |= (long) (x & 0x7f) << (7 * i);
      if ((x & 0x80) == 0) {
        return value;
      }
    }
    return -1;
  }

  /**
   * The IR version, producer version and operator sets, under {@code onnx.*} keys; the entries that
   * could not be read are left out.
   *
   * @param path the model file
   * @return an ordered map, possibly empty
   */
  static Map<String, String> read(Path path) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      return read(ch);
    } catch (IOException | RuntimeException e) {
      return new LinkedHashMap<>(); // a header we cannot read only costs metadata
    }
  }

  /**
   * As {@link #read(Path)}, from a model file's bytes in memory.
   *
   * @param contents the model file's bytes
   * @return an ordered map, possibly empty
   */
  static Map<String, String> read(byte[] contents) {
    return read(new BytesChannel(contents));
  }

  private static Map<String, String> read(SeekableByteChannel ch) {
    Map<String, String> out = new LinkedHashMap<>();
    try {
      Reader r = new Reader(ch);
      StringJoiner opsets = new StringJoiner(", ");
      for (int i = 0; i < MAX_FIELDS && !r.atEnd(); i++) {
        long tag = r.varint();
        int field = (int) (tag >>> 3);
        int wire = (int) (tag & 7);
        if (field == 1 && wire == WIRE_VARINT) {
          out.put("onnx.ir_version", Long.toString(r.varint()));
        } else if (field == 3 && wire == WIRE_LEN) {
          putIfNotEmpty(out, "onnx.producer_version", r.string());
        } else if (field == 8 && wire == WIRE_LEN) {
          opsets.add(opset(r));
        } else {
          r.skip(wire);
        }
      }
      if (opsets.length() > 0) {
        out.put("onnx.opset_import", opsets.toString());
      }
    } catch (IOException | RuntimeException e) {
      // a header we cannot read only costs metadata; ONNX Runtime decides whether the model loads
    }
    return out;
  }

  private static String opset(Reader r) throws IOException {
    long end = r.position() + r.varint();
    String domain = "";
    long version = -1;
    while (r.position() < end) {
      long tag = r.varint();
      if (tag == (1 << 3 | WIRE_LEN)) {
        domain = r.string();
      } else if (tag == (2 << 3 | WIRE_VARINT)) {
        version = r.varint();
      } else {
        r.skip((int) (tag & 7));
      }
    }
    return (domain.isEmpty() ? "ai.onnx" : domain) + ":" + version;
  }

  private static void putIfNotEmpty(Map<String, String> map, String key, String value) {
    if (!value.isEmpty()) {
      map.put(key, value);
    }
  }

  /** A read-only channel over bytes in memory, so one reader serves files and bytes. */
  private static final class BytesChannel implements SeekableByteChannel {
    private final byte[] bytes;
    private long position;

    BytesChannel(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public int read(ByteBuffer dst) {
      if (position >= bytes.length) {
        return -1;
      }
      int n = (int) Math.min(dst.remaining(), bytes.length - position);
      dst.put(bytes, (int) position, n);
      position += n;
      return n;
    }

    @Override
    public int write(ByteBuffer src) {
      throw new UnsupportedOperationException("read-only");
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
      position = newPosition;
      return this;
    }

    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public SeekableByteChannel truncate(long size) {
      throw new UnsupportedOperationException("read-only");
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {
      // nothing to release
    }
  }

  /** Sequential protobuf reading over a channel, with skips that seek instead of reading. */
  private static final class Reader {
    private final SeekableByteChannel ch;
    private final ByteBuffer buf = ByteBuffer.allocate(8192);
    private long bufStart;

    Reader(SeekableByteChannel ch) {
      this.ch = ch;
      buf.limit(0);
    }

    long position() {
      return bufStart + buf.position();
    }

    boolean atEnd() throws IOException {
      return !fill();
    }

    private boolean fill() throws IOException {
      if (buf.hasRemaining()) {
        return true;
      }
      bufStart += buf.position();
      buf.clear();
      ch.position(bufStart);
      int n = ch.read(buf);
      buf.flip();
      return n > 0;
    }

    byte next() throws IOException {
      if (!fill()) {
        throw new IOException("unexpected end of file");
      }
      return buf.get();
    }

    long varint() throws IOException {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int x = next() & 0xff;
        value |= (long) (x & 0x7f) << shift;
        if ((x & 0x80) == 0) {
          return value;
        }
      }
      throw new IOException("malformed varint");
    }

    String string() throws IOException {
      long len = varint();
      if (len < 0 || len > MAX_STRING) {
        seek(position() + len);
        return "";
      }
      byte[] bytes = new byte[(int) len];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = next();
      }
      return new String(bytes, StandardCharsets.UTF_8);
    }

    void skip(int wire) throws IOException {
      switch (wire) {
        case WIRE_VARINT:
          varint();
          break;
        case WIRE_I64:
          seek(position() + 8);
          break;
        case WIRE_LEN:
          long len = varint();
          if (len < 0) {
            throw new IOException("negative length");
          }
          seek(position() + len);
          break;
        case WIRE_I32:
          seek(position() + 4);
          break;
        default:
          throw new IOException("unsupported wire type " + wire);
      }
    }

    private void seek(long target) {
      long relative = target - bufStart;
      if (relative >= 0 && relative <= buf.limit()) {
        buf.position((int) relative);
      } else {
        bufStart = target;
        buf.limit(0);
      }
    }
  }
}
