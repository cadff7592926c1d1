package dev.jinfer.cache;

import dev.jinfer.DType;
import dev.jinfer.InferenceException;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * The binary format of an entry in Redis (no Java serialization), little-endian:
 * <pre>
 * int    magic 0x43464E4A ("JNFC")
 * byte   format version (1)
 * byte[32] SHA-256 of the full key: model name, version and every canonical key word
 * int    number of tensors, then per tensor:
 *          int name length, UTF-8 name, byte dtype code, byte rank, long[rank] dims,
 *          fixed-width: int byte length, the bytes; STRING: per element int length, UTF-8 bytes
 * int    CRC32C of everything before it
 * </pre>
 * A value whose checksum, magic, version or structure is wrong is {@linkplain Corrupt corrupt}; a valid
 * value for another key (two keys with the same 128-bit hash share a Redis key) decodes to a key mismatch,
 * so that neither can produce a false hit. Thread-safe (stateless).
 */
final class ValueCodec {
  static final int MAGIC = 0x43464E4A;
  static final byte FORMAT_VERSION = 1;
  private static final int DIGEST_BYTES = 32;
  private static final int MAX_RANK = 64;

  /** The bytes fail a check. */
  static final class Corrupt extends Exception {
    private static final long serialVersionUID = 1L;

    Corrupt(String message) {
      super(message, null, false, false);
    }
  }

  private ValueCodec() {}

  /** The SHA-256 of a key: model name, version and canonical words. */
  static byte[] digest(ModelId model, long[] words) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform has SHA-256", e);
    }
    byte[] name = model.name().getBytes(StandardCharsets.UTF_8);
    byte[] version = model.version().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + name.length + version.length + 8 * words.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(name.length).put(name).putInt(version.length).put(version);
    b.asLongBuffer().put(words);
    md.update(b.array());
    return md.digest();
  }

  static byte[] encode(byte[] keyDigest, NamedTensors outputs) {
    Out out = new Out();
    out.putInt(MAGIC);
    out.write(FORMAT_VERSION);
    out.write(keyDigest, 0, keyDigest.length);
    out.putInt(outputs.size());
    for (Map.Entry<String, Tensor> e : outputs) {
      Tensor t = e.getValue();
      byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
      out.putInt(name.length);
      out.write(name, 0, name.length);
      out.write(DTypeCodes.code(t.dtype()));
      int rank = t.shape().rank();
      out.write(rank);
      for (int i = 0; i < rank; i++) {
        out.putLong(t.shape().dim(i));
      }
      if (t.dtype() == DType.STRING) {
        for (String s : t.toStringArray()) {
          byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
          out.putInt(utf8.length);
          out.write(utf8, 0, utf8.length);
        }
      } else {
        ByteBuffer data = t.buffer();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        out.putInt(bytes.length);
        out.write(bytes, 0, bytes.length);
      }
    }
    CRC32C crc = new CRC32C();
    crc.update(out.buf(), 0, out.size());
    out.putInt((int) crc.getValue());
    return out.toByteArray();
  }

  /**
   * Decodes a value.
   *
   * @return the tensors, or null if the value is valid but was written for another key
   * @throws Corrupt if the bytes fail a check
   */
  static @Nullable NamedTensors decode(byte[] value, byte[] expectedDigest) throws Corrupt {
    if (value.length < 4 + 1 + DIGEST_BYTES + 4 + 4) {
      throw new Corrupt("value of " + value.length + " bytes is shorter than the header");
    }
    ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
    CRC32C crc = new CRC32C();
    crc.update(value, 0, value.length - 4);
    if ((int) crc.getValue() != b.getInt(value.length - 4)) {
      throw new Corrupt("checksum mismatch");
    }
    if (b.getInt() != MAGIC) {
      throw new Corrupt("bad magic");
    }
    byte version = b.get();
    if (version != FORMAT_VERSION) {
      throw new Corrupt("unknown format version " + version);
    }
    byte[] digest = new byte[DIGEST_BYTES];
    b.get(digest);
    b.limit(value.length - 4);
    try {
      int count = b.getInt();
      if (count < 0 || count > b.remaining()) {
        throw new Corrupt("bad tensor count " + count);
      }
      NamedTensors.Builder out = NamedTensors.newBuilder();
      for (int i = 0; i < count; i++) {
        String name = new String(bytes(b, b.getInt()), StandardCharsets.UTF_8);
        DType dtype = DTypeCodes.dtype(b.get());
        if (dtype == null) {
          throw new Corrupt("unknown dtype code");
        }
        int rank = b.get();
        if (rank < 0 || rank > MAX_RANK) {
          throw new Corrupt("bad rank " + rank);
        }
        long[] dims = new long[rank];
        long n = 1;
        for (int d = 0; d < rank; d++) {
          dims[d] = b.getLong();
          if (dims[d] < 0 || dims[d] > b.remaining()) {
            throw new Corrupt("bad dimension " + dims[d]);
          }
          n = Math.multiplyExact(n, dims[d]);
        }
        if (dtype == DType.STRING) {
          if (n > b.remaining()) {
            throw new Corrupt("bad string count " + n);
          }
          String[] values = new String[(int) n];
          for (int k = 0; k < values.length; k++) {
            values[k] = new String(bytes(b, b.getInt()), StandardCharsets.UTF_8);
          }
          out.put(name, Tensor.ofStrings(values, dims));
        } else {
          int len = b.getInt();
          long need = Math.multiplyExact(n, dtype.byteSize());
          if (len != need) {
            throw new Corrupt("tensor '" + name + "' holds " + len + " bytes, its shape needs " + need);
          }
          ByteBuffer data = ByteBuffer.allocateDirect(len);
          data.put(bytes(b, len)).flip();
          out.put(name, Tensor.fromBuffer(dtype, data, dims));
        }
      }
      if (b.hasRemaining()) {
        throw new Corrupt(b.remaining() + " bytes after the last tensor");
      }
      return MessageDigest.isEqual(digest, expectedDigest) ? out.build() : null;
    } catch (BufferUnderflowException | IllegalArgumentException | ArithmeticException | InferenceException e) {
      throw new Corrupt("malformed value: " + e);
    }
  }

  private static byte[] bytes(ByteBuffer b, int length) throws Corrupt {
    if (length < 0 || length > b.remaining()) {
      throw new Corrupt("bad length " + length);
    }
    byte[] out = new byte[length];
    b.get(out);
    return out;
  }

  /** A byte array stream with little-endian writers. */
  private static final class Out extends ByteArrayOutputStream {
    Out() {
      super(256);
    }

    void putInt(int v) {
      for (int i = 0; i < 4; i++) {
        write(v >>> (8 * i));
      }
    }

    void putLong(long v) {
      for (int i = 0; i < 8; i++) {
        write((int) (v >>> (8 * i)));
      }
    }

    byte[] buf() {
      return buf;
    }
  }
}
