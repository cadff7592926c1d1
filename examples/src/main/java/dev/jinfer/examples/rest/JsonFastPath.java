package dev.jinfer.examples.rest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Priority;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The allocation-lean way to read the common predict requests: one pass of Jackson's streaming
 * {@link JsonParser} over the body, numbers straight into a primitive array, no {@code JsonNode} per value.
 * It reads the {@code /v1} forms ({@code {"features": [...]}} with one row or rows, named {@code inputs} with
 * {@code dtype}, {@code shape}, {@code data}, and {@code outputs}) and the Open Inference Protocol's
 * inference request ({@code id}, {@code inputs} with {@code name}, {@code shape}, {@code datatype},
 * {@code data}, and {@code outputs} by name) when every tensor is FLOAT32 or FLOAT64 as the model declares it.
 *
 * <p>It never judges a request: anything else (another dtype, {@code parameters}, a repeated key, an unknown
 * field or name, a count that does not match the shape, a value out of range, malformed JSON) makes it
 * answer {@code null}, and the caller parses the body again with the tree-based {@link TensorJson} or
 * {@link OipJson}, whose answer (the tensors, or the 400 naming the tensor and what was expected) is the
 * contract. So a request gets the same tensors, or the same error, either way; only the common case is
 * cheaper. Thread-safe (a parser per thread, kept from one body to the next: {@link Reader}); the numbers a body
 * holds are read into an array of the calling thread that the thread's next parse reuses, so {@code toRequest} must run on the thread that read the body,
 * before it reads another (as {@link RestHandler} does).
 */
final class JsonFastPath {
  private JsonFastPath() {}

  /**
   * The numbers of one parse, all tensors one after another: one array per thread, reused by every request the
   * thread reads, so that a request's values cost no array until its tensor is made. Not thread-safe: one per thread.
   */
  private static final class Scratch {
    double[] values = new double[256];
    int size;

    /** Strings read lately (names, datatypes): a request naming the same tensors as the one before costs no string. */
    private final String[] recent = new String[8];
    private int next;

    /** @return the parser's current string value, the same instance as a recent equal one */
    String text(JsonParser p) throws IOException {
      char[] c = p.getTextCharacters();
      int off = p.getTextOffset();
      int len = p.getTextLength();
      for (String r : recent) {
        if (r != null && r.length() == len && same(r, c, off)) {
          return r;
        }
      }
      String s = new String(c, off, len);
      recent[next] = s;
      next = (next + 1) & (recent.length - 1);
      return s;
    }

    private static boolean same(String s, char[] c, int off) {
      for (int i = 0; i < s.length(); i++) {
        if (s.charAt(i) != c[off + i]) {
          return false;
        }
      }
      return true;
    }

    void add(double v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /** The thread's scratch, emptied for a new parse (whose values then live there until the thread's next parse). */
  private static Scratch scratch() {
    Scratch s = SCRATCH.get();
    s.size = 0;
    return s;
  }

  /**
   * The calling thread's parser, kept from one body to the next: Jackson's non-blocking parser reads a stream of
   * root values, so each body is fed to it as the next value of one endless stream. A parser per body (with its
   * I/O context, symbol table, text buffer and parsing contexts) cost about 1 KB per request; this one keeps them.
   * A parser is only kept when its body was read whole, as one JSON object with nothing but whitespace after it;
   * anything else (a body the fast path leaves to the tree-based parser, an error, trailing bytes) drops it, and
   * the thread's next body gets a fresh one, so no body ever sees another's bytes. Not thread-safe: one per thread.
   */
  private static final class Reader {
    /** Bodies a parser reads before it is replaced, so that its byte offsets and counters never grow far. */
    private static final int MAX_USES = 1 << 20;
    private static final ThreadLocal<Reader> READERS = new ThreadLocal<>();

    private final JsonFactory factory;
    private @Nullable JsonParser parser;
    private int uses;

    private Reader(JsonFactory factory) {
      this.factory = factory;
    }

    /** @return the calling thread's reader for the factory */
    static Reader of(JsonFactory factory) {
      Reader r = READERS.get();
      if (r == null || r.factory != factory) {
        if (r != null) {
          r.discard();
        }
        r = new Reader(factory);
        READERS.set(r);
      }
      return r;
    }

    /** @return the parser, fed the whole body (its array, no copy); read it to the end of its root object */
    JsonParser feed(ByteBuf body) throws IOException {
      JsonParser p = parser;
      if (p == null || uses >= MAX_USES || !((ByteArrayFeeder) p.getNonBlockingInputFeeder()).needMoreInput()) {
        discard();
        p = factory.createNonBlockingByteArrayParser();
        parser = p;
        uses = 0;
      }
      uses++;
      int from = body.arrayOffset() + body.readerIndex();
      ((ByteArrayFeeder) p.getNonBlockingInputFeeder()).feedInput(body.array(), from, from + body.readableBytes());
      return p;
    }

    /**
     * Keeps the parser for the next body if this one was read whole (its root object ended, and only whitespace
     * came after it), else drops it.
     *
     * @return {@code read}
     */
    <T> @Nullable T done(@Nullable T read) {
      JsonParser p = parser;
      try {
        if (read == null || p == null || !p.getParsingContext().inRoot() || p.nextToken() != JsonToken.NOT_AVAILABLE) {
          discard();
        }
      } catch (IOException | RuntimeException e) { // bytes after the body's object: the next body needs a clean parser
        discard();
      }
      return read;
    }

    /** Drops the parser: the thread's next body gets a new one. */
    void discard() {
      JsonParser p = parser;
      parser = null;
      if (p != null) {
        try {
          p.close();
        } catch (IOException e) {
          // a byte-array parser holds no resource
        }
      }
    }
  }

  /** A tensor as the body gave it, before the model's signature is known: its values are a run of the scratch. */
  private static final class Raw {
    String name;
    /** the {@code dtype} ({@code /v1}, may be null) or {@code datatype} ({@code /v2}) as given */
    @Nullable String type;
    long @Nullable [] shape;
    final Scratch scratch;
    /** where the values start in {@link #scratch}; the tensors of a body never interleave their values */
    final int start;
    /** where the values end in {@link #scratch}, once {@link #end} is called; -1 while they are being read */
    private int end = -1;

    Raw(String name, Scratch scratch) {
      this.name = name;
      this.scratch = scratch;
      this.start = scratch.size;
    }

    void add(double v) {
      scratch.add(v);
    }

    /** The values are all read: the next tensor's go after them. */
    void end() {
      end = scratch.size;
    }

    int count() {
      return (end < 0 ? scratch.size : end) - start;
    }
  }

  /** A {@code /v1} predict body, read but not yet checked against a signature. */
  static final class V1 {
    private final @Nullable Raw features;
    private final @Nullable List<Raw> inputs;
    private final @Nullable List<String> outputs;

    private V1(@Nullable Raw features, @Nullable List<Raw> inputs, @Nullable List<String> outputs) {
      this.features = features;
      this.inputs = inputs;
      this.outputs = outputs;
    }

    /**
     * @param signature the resolved version's signature
     * @return the request, exactly as {@link TensorJson#parse} makes it, or null when that parser must judge it
     */
    TensorJson.@Nullable Request toRequest(ModelSignature signature) {
      List<String> names = outputNames(outputs, signature);
      if (names == null) {
        return null;
      }
      if (features != null) {
        if (signature.inputs().size() != 1) {
          return null;
        }
        TensorSpec spec = signature.inputs().get(0);
        Tensor t = tensor(spec.dtype(), features);
        return t == null ? null : new TensorJson.Request(NamedTensors.of(spec.name(), t), names);
      }
      List<Raw> list = inputs;
      if (list == null) {
        return null;
      }
      NamedTensors.Builder b = NamedTensors.newBuilder();
      for (Raw r : list) {
        Optional<TensorSpec> spec = signature.input(r.name);
        if (spec.isEmpty()) {
          return null;
        }
        DType dtype = spec.get().dtype();
        if (r.type != null && !r.type.equals(dtype.name())) {
          return null;
        }
        Tensor t = tensor(dtype, r);
        if (t == null) {
          return null;
        }
        b.put(r.name, t);
      }
      return new TensorJson.Request(b.build(), names);
    }
  }

  /** An Open Inference Protocol inference request, read but not yet checked against a signature. */
  static final class V2 {
    private final @Nullable String id;
    private final List<Raw> inputs;
    private final @Nullable List<String> outputs;

    private V2(@Nullable String id, List<Raw> inputs, @Nullable List<String> outputs) {
      this.id = id;
      this.inputs = inputs;
      this.outputs = outputs;
    }

    /**
     * @param signature the resolved version's signature
     * @return the request, exactly as {@link OipJson#parse} makes it, or null when that parser must judge it
     */
    OipJson.@Nullable Request toRequest(ModelSignature signature) {
      List<String> names = outputNames(outputs, signature);
      if (names == null) {
        return null;
      }
      NamedTensors.Builder b = NamedTensors.newBuilder();
      for (Raw r : inputs) {
        Optional<TensorSpec> spec = signature.input(r.name);
        if (spec.isEmpty()) {
          return null;
        }
        DType dtype = spec.get().dtype();
        if (!(dtype == DType.FLOAT32 || dtype == DType.FLOAT64) || !OipDatatype.of(dtype).name().equals(r.type)) {
          return null;
        }
        Tensor t = tensor(dtype, r);
        if (t == null) {
          return null;
        }
        b.put(r.name, t);
      }
      return new OipJson.Request(id, b.build(), names, Priority.NORMAL);
    }
  }

  /**
   * Reads a {@code /v1} predict body.
   *
   * @return the request, or null for a body the tree-based parser must read
   */
  static @Nullable V1 v1(JsonFactory factory, ByteBuf body) {
    return read(factory, body, JsonFastPath::v1);
  }

  /** One body's reading with the thread's parser (a method reference to a static method: no object per call). */
  @FunctionalInterface
  private interface Read<T> {
    @Nullable T read(JsonParser p, Scratch scratch) throws IOException;
  }

  /** Feeds the body to the thread's parser and reads it; null for a body the tree-based parser must read. */
  private static <T> @Nullable T read(JsonFactory factory, ByteBuf body, Read<T> read) {
    if (!body.hasArray()) {
      return null;
    }
    Scratch scratch = scratch();
    Reader reader = Reader.of(factory);
    try {
      return reader.done(read.read(reader.feed(body), scratch));
    } catch (IOException | RuntimeException e) {
      reader.discard();
      return null; // malformed or beyond the limits: the tree-based parser says so in the contract's words
    }
  }

  private static @Nullable V1 v1(JsonParser p, Scratch scratch) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    Raw features = null;
    List<Raw> inputs = null;
    List<String> outputs = null;
    boolean outputsSeen = false;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      if (t != JsonToken.FIELD_NAME) {
        return null;
      }
      String field = p.currentName();
      JsonToken v = p.nextToken();
      if (field.equals("features") && features == null && v == JsonToken.START_ARRAY) {
        features = features(p, scratch);
        if (features == null) {
          return null;
        }
      } else if (field.equals("inputs") && inputs == null && v == JsonToken.START_OBJECT) {
        inputs = v1Inputs(p, scratch);
        if (inputs == null) {
          return null;
        }
      } else if (field.equals("outputs") && !outputsSeen) {
        outputsSeen = true;
        if (v != JsonToken.VALUE_NULL) {
          outputs = v1Outputs(p, v, scratch);
          if (outputs == null) {
            return null;
          }
        }
      } else {
        return null;
      }
    }
    if ((features == null) == (inputs == null)) {
      return null;
    }
    return new V1(features, inputs, outputs);
  }

  /** {@code [n, n, ...]} (one row) or {@code [[..], [..]]} (rows of one width); the parser is at the array. */
  private static @Nullable Raw features(JsonParser p, Scratch scratch) throws IOException {
    Raw r = new Raw("features", scratch);
    JsonToken t = p.nextToken();
    if (isNumber(t)) {
      do {
        r.add(p.getDoubleValue());
        t = p.nextToken();
      } while (isNumber(t));
      if (t != JsonToken.END_ARRAY) {
        return null;
      }
      r.end();
      r.shape = new long[] {1, r.count()};
      return r;
    }
    int rows = 0;
    int width = -1;
    for (; t == JsonToken.START_ARRAY; t = p.nextToken()) {
      int before = r.count();
      for (t = p.nextToken(); isNumber(t); t = p.nextToken()) {
        r.add(p.getDoubleValue());
      }
      int w = r.count() - before;
      if (t != JsonToken.END_ARRAY || w == 0 || (width >= 0 && w != width)) {
        return null;
      }
      width = w;
      rows++;
    }
    if (t != JsonToken.END_ARRAY || rows == 0) {
      return null;
    }
    r.end();
    r.shape = new long[] {rows, width};
    return r;
  }

  /** {@code {"name": {"dtype", "shape", "data"}, ...}}; the parser is at the object. */
  private static @Nullable List<Raw> v1Inputs(JsonParser p, Scratch scratch) throws IOException {
    List<Raw> list = new ArrayList<>(2);
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      if (t != JsonToken.FIELD_NAME) {
        return null;
      }
      String name = p.currentName();
      for (Raw r : list) {
        if (r.name.equals(name)) {
          return null;
        }
      }
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      Raw r = new Raw(name, scratch);
      boolean dtypeSeen = false;
      boolean dataSeen = false;
      for (JsonToken f = p.nextToken(); f != JsonToken.END_OBJECT; f = p.nextToken()) {
        if (f != JsonToken.FIELD_NAME) {
          return null;
        }
        String field = p.currentName();
        JsonToken v = p.nextToken();
        if (field.equals("dtype") && !dtypeSeen && (v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NULL)) {
          dtypeSeen = true;
          r.type = v == JsonToken.VALUE_NULL ? null : scratch.text(p);
        } else if (field.equals("shape") && r.shape == null && v == JsonToken.START_ARRAY) {
          r.shape = shape(p);
          if (r.shape == null) {
            return null;
          }
        } else if (field.equals("data") && !dataSeen && v == JsonToken.START_ARRAY) {
          dataSeen = true;
          if (!data(p, r)) {
            return null;
          }
        } else {
          return null;
        }
      }
      if (r.shape == null || !dataSeen) {
        return null;
      }
      list.add(r);
    }
    return list;
  }

  /** {@code ["name", ...]}; the parser is at its first token {@code v}. */
  private static @Nullable List<String> v1Outputs(JsonParser p, JsonToken v, Scratch scratch) throws IOException {
    if (v != JsonToken.START_ARRAY) {
      return null;
    }
    List<String> names = new ArrayList<>(2);
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.VALUE_STRING) {
        return null;
      }
      names.add(scratch.text(p));
    }
    return names;
  }

  /**
   * Reads an Open Inference Protocol inference request.
   *
   * @return the request, or null for a body the tree-based parser must read
   */
  static @Nullable V2 v2(JsonFactory factory, ByteBuf body) {
    return read(factory, body, JsonFastPath::v2);
  }

  private static @Nullable V2 v2(JsonParser p, Scratch scratch) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    String id = null;
    boolean idSeen = false;
    List<Raw> inputs = null;
    List<String> outputs = null;
    boolean outputsSeen = false;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      if (t != JsonToken.FIELD_NAME) {
        return null;
      }
      String field = p.currentName();
      JsonToken v = p.nextToken();
      if (field.equals("id") && !idSeen && (v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NULL)) {
        idSeen = true;
        id = v == JsonToken.VALUE_NULL ? null : p.getText();
      } else if (field.equals("inputs") && inputs == null && v == JsonToken.START_ARRAY) {
        inputs = v2Inputs(p, scratch);
        if (inputs == null) {
          return null;
        }
      } else if (field.equals("outputs") && !outputsSeen) {
        outputsSeen = true;
        if (v != JsonToken.VALUE_NULL) {
          outputs = v2Outputs(p, v, scratch);
          if (outputs == null) {
            return null;
          }
        }
      } else {
        return null; // parameters (a priority), an unknown field, a repeated one: the tree-based parser decides
      }
    }
    return inputs == null ? null : new V2(id, inputs, outputs);
  }

  /** {@code [{"name", "shape", "datatype", "data"}, ...]}; the parser is at the array. */
  private static @Nullable List<Raw> v2Inputs(JsonParser p, Scratch scratch) throws IOException {
    List<Raw> list = new ArrayList<>(2);
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.START_OBJECT) {
        return null;
      }
      String name = null;
      Raw r = new Raw("", scratch);
      boolean dataSeen = false;
      for (JsonToken f = p.nextToken(); f != JsonToken.END_OBJECT; f = p.nextToken()) {
        if (f != JsonToken.FIELD_NAME) {
          return null;
        }
        String field = p.currentName();
        JsonToken v = p.nextToken();
        if (field.equals("name") && name == null && v == JsonToken.VALUE_STRING) {
          name = scratch.text(p);
        } else if (field.equals("datatype") && r.type == null && v == JsonToken.VALUE_STRING) {
          r.type = scratch.text(p);
        } else if (field.equals("shape") && r.shape == null && v == JsonToken.START_ARRAY) {
          r.shape = shape(p);
          if (r.shape == null) {
            return null;
          }
        } else if (field.equals("data") && !dataSeen && v == JsonToken.START_ARRAY) {
          dataSeen = true;
          if (!data(p, r)) {
            return null;
          }
        } else {
          return null;
        }
      }
      if (name == null || r.type == null || r.shape == null || !dataSeen) {
        return null;
      }
      for (Raw other : list) {
        if (other.name.equals(name)) {
          return null;
        }
      }
      r.name = name;
      list.add(r);
    }
    return list;
  }

  /** {@code [{"name": "..."}, ...]}; the parser is at its first token {@code v}. */
  private static @Nullable List<String> v2Outputs(JsonParser p, JsonToken v, Scratch scratch) throws IOException {
    if (v != JsonToken.START_ARRAY) {
      return null;
    }
    List<String> names = new ArrayList<>(2);
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.START_OBJECT || p.nextToken() != JsonToken.FIELD_NAME || !p.currentName().equals("name")
          || p.nextToken() != JsonToken.VALUE_STRING) {
        return null;
      }
      String name = scratch.text(p);
      if (p.nextToken() != JsonToken.END_OBJECT || names.contains(name)) {
        return null;
      }
      names.add(name);
    }
    return names;
  }

  /** Whole numbers >= 0 that fit a long; the parser is at the array. */
  private static long @Nullable [] shape(JsonParser p) throws IOException {
    long[] dims = new long[4];
    int n = 0;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
        return null;
      }
      long d = p.getLongValue();
      if (d < 0) {
        return null;
      }
      if (n == dims.length) {
        dims = Arrays.copyOf(dims, n * 2);
      }
      dims[n++] = d;
    }
    return Arrays.copyOf(dims, n);
  }

  /** Numbers in arrays nested to any depth, flattened row-major into {@code r}; the parser is at the outer array. */
  private static boolean data(JsonParser p, Raw r) throws IOException {
    int depth = 1;
    while (depth > 0) {
      JsonToken t = p.nextToken();
      if (isNumber(t)) {
        r.add(p.getDoubleValue());
      } else if (t == JsonToken.START_ARRAY) {
        depth++;
      } else if (t == JsonToken.END_ARRAY) {
        depth--;
      } else {
        return false;
      }
    }
    r.end();
    return true;
  }

  private static boolean isNumber(@Nullable JsonToken t) {
    return t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT;
  }

  /** The output names: none (all outputs), or each an output of the model, none twice; null to let the tree decide. */
  private static @Nullable List<String> outputNames(@Nullable List<String> names, ModelSignature signature) {
    if (names == null) {
      return List.of();
    }
    for (int i = 0; i < names.size(); i++) {
      if (signature.output(names.get(i)).isEmpty() || names.subList(0, i).contains(names.get(i))) {
        return null;
      }
    }
    return names;
  }

  /**
   * The FLOAT32 or FLOAT64 tensor of the values, or null when another dtype, a count that does not match the
   * shape, or a value beyond the dtype's finite range needs the tree-based parser's judgement.
   */
  private static @Nullable Tensor tensor(DType dtype, Raw r) {
    long[] shape = r.shape;
    if (shape == null) {
      return null;
    }
    long count = 1;
    for (long d : shape) {
      if (d != 0 && count > Long.MAX_VALUE / d) {
        return null; // more values than a long counts
      }
      count *= d;
    }
    int n = r.count();
    if (count != n || !(dtype == DType.FLOAT32 || dtype == DType.FLOAT64)) {
      return null;
    }
    // one loop for both dtypes: the values narrowed to the dtype (FLOAT32 rounds to float), each finite in it,
    // straight into the tensor's own (heap) bytes: no array of values to copy, no direct memory per request
    boolean single = dtype == DType.FLOAT32;
    double[] v = r.scratch.values;
    ByteBuffer bytes = ByteBuffer.allocate(n * (single ? Float.BYTES : Double.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0, at = r.start; i < n; i++, at++) {
      double d = single ? (float) v[at] : v[at];
      if (!Double.isFinite(d)) {
        return null; // beyond the dtype's finite range (a float overflows to infinity at 3.4e38)
      }
      if (single) {
        bytes.putFloat(i * Float.BYTES, (float) d);
      } else {
        bytes.putDouble(i * Double.BYTES, d);
      }
    }
    return Tensor.fromBuffer(dtype, bytes, shape);
  }
}
