package dev.jinfer.examples.rest;

import com.google.protobuf.ByteString;
import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Priority;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.examples.rest.oip.InferParameter;
import dev.jinfer.examples.rest.oip.InferTensorContents;
import dev.jinfer.examples.rest.oip.ModelInferRequest;
import dev.jinfer.examples.rest.oip.ModelInferResponse;
import dev.jinfer.examples.rest.oip.ModelMetadataResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The protobuf forms of the Open Inference Protocol over gRPC: a {@link ModelInferRequest} (typed
 * {@code contents} or {@code raw_input_contents}) to {@link NamedTensors}, outputs to a
 * {@link ModelInferResponse}, and signatures to tensor metadata. Raw contents are little-endian, row-major,
 * without padding; a BYTES element is a 4-byte little-endian length then its bytes (UTF-8 for jinfer's
 * STRING tensors). Every problem is an {@link ApiException} 400 naming the tensor, what was expected and what
 * came. Stateless.
 */
final class OipProto {
  /** A parsed inference request; {@code raw} when it carried raw contents, so that the answer does too. */
  record Request(NamedTensors inputs, List<String> outputs, Priority priority, boolean raw) {}

  private OipProto() {}

  /** How messages name an input: {@code input 'x'}. */
  private static String what(String name) {
    return "input '" + name + "'";
  }

  static Request parse(ModelInferRequest req, ModelSignature signature) {
    boolean raw = req.getRawInputContentsCount() > 0;
    if (raw && req.getRawInputContentsCount() != req.getInputsCount()) {
      throw ApiException.badRequest("raw_input_contents: expected one entry per input (" + req.getInputsCount() + ") but got "
          + req.getRawInputContentsCount());
    }
    NamedTensors.Builder b = NamedTensors.newBuilder();
    // the error messages name the tensor ("input 'x'"); that string is made only for an error
    for (int i = 0; i < req.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor t = req.getInputs(i);
      String name = t.getName();
      Optional<TensorSpec> found = signature.input(name);
      if (found.isEmpty()) {
        throw ApiException.badRequest(what(name) + ": not an input of the model; inputs: "
            + signature.inputs().stream().map(TensorSpec::name).toList());
      }
      TensorSpec spec = found.get();
      for (int j = 0; j < i; j++) {
        if (req.getInputs(j).getName().equals(name)) {
          throw ApiException.badRequest(what(name) + ": given twice");
        }
      }
      if (raw && t.hasContents()) {
        throw ApiException.badRequest(what(name) + ": has both contents and raw_input_contents; a request uses one or the other");
      }
      DType dtype = OipDatatype.matches(t.getDatatype(), spec.dtype()) ? spec.dtype()
          : OipDatatype.require(what(name), t.getDatatype(), spec.dtype());
      long[] shape = new long[t.getShapeCount()];
      long count = 1;
      for (int d = 0; d < shape.length; d++) {
        shape[d] = t.getShape(d);
        if (shape[d] < 0) {
          throw ApiException.badRequest(what(name) + ": shape[" + d + "] must be >= 0 but was " + shape[d]);
        }
        try {
          count = Math.multiplyExact(count, shape[d]);
        } catch (ArithmeticException e) {
          throw ApiException.badRequest(what(name) + ": shape " + Arrays.toString(shape) + " holds more values than a long counts");
        }
      }
      if (count > Integer.MAX_VALUE) {
        throw ApiException.badRequest(what(name) + ": shape " + Arrays.toString(shape) + " holds more than " + Integer.MAX_VALUE
            + " values");
      }
      b.put(name, raw ? fromRaw(name, dtype, shape, (int) count, req.getRawInputContents(i))
          : fromContents(name, dtype, shape, (int) count, t.getContents()));
    }
    List<String> outputs = new ArrayList<>();
    for (ModelInferRequest.InferRequestedOutputTensor o : req.getOutputsList()) {
      if (signature.output(o.getName()).isEmpty()) {
        throw ApiException.badRequest("output '" + o.getName() + "': not an output of the model; outputs: " + signature.outputNames());
      }
      if (outputs.contains(o.getName())) {
        throw ApiException.badRequest("output '" + o.getName() + "': requested twice");
      }
      outputs.add(o.getName());
    }
    InferParameter p = req.getParametersMap().get(OipJson.PRIORITY_PARAMETER);
    Priority priority = p == null ? Priority.NORMAL : OipJson.priority(p.getStringParam());
    return new Request(b.build(), outputs, priority, raw);
  }

  private static Tensor fromRaw(String name, DType dtype, long[] shape, int count, ByteString bytes) {
    if (dtype == DType.STRING) {
      return Tensor.ofStrings(strings(name, count, bytes), shape);
    }
    long need = (long) count * dtype.byteSize();
    if (bytes.size() != need) {
      throw ApiException.badRequest(what(name) + ": raw contents of a " + Arrays.toString(shape) + " " + OipDatatype.of(dtype)
          + " tensor must be " + need + " bytes but are " + bytes.size());
    }
    ByteBuffer buf = bytes.asReadOnlyByteBuffer();
    if (dtype == DType.BOOL) {
      for (int i = 0; i < count; i++) {
        byte v = buf.get(buf.position() + i);
        if (v != 0 && v != 1) {
          throw ApiException.badRequest(what(name) + ": raw BOOL element " + i + " must be 0 or 1 but was " + v);
        }
      }
    }
    return Tensor.fromBuffer(dtype, buf, shape);
  }

  private static String[] strings(String name, int count, ByteString bytes) {
    ByteBuffer buf = bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    String[] out = new String[count];
    for (int i = 0; i < count; i++) {
      if (buf.remaining() < 4) {
        throw ApiException.badRequest(what(name) + ": raw BYTES contents end before element " + i + " of " + count
            + " (each element is a 4-byte length then its bytes)");
      }
      int len = buf.getInt();
      if (len < 0 || len > buf.remaining()) {
        throw ApiException.badRequest(what(name) + ": raw BYTES element " + i + " claims " + Integer.toUnsignedString(len) + " bytes but "
            + buf.remaining() + " remain");
      }
      ByteBuffer element = buf.slice();
      element.limit(len);
      buf.position(buf.position() + len);
      try {
        out[i] = decoder.decode(element).toString();
      } catch (CharacterCodingException e) {
        throw ApiException.badRequest(what(name) + ": BYTES element " + i + " is not UTF-8 text, which jinfer's STRING tensors hold");
      }
    }
    if (buf.hasRemaining()) {
      throw ApiException.badRequest(what(name) + ": raw BYTES contents hold " + buf.remaining() + " bytes after the " + count
          + " elements of its shape");
    }
    return out;
  }

  private static Tensor fromContents(String name, DType dtype, long[] shape, int count, InferTensorContents c) {
    OipDatatype datatype = OipDatatype.of(dtype);
    String field = switch (dtype) {
      case BOOL -> "bool_contents";
      case INT8, INT16, INT32 -> "int_contents";
      case INT64 -> "int64_contents";
      case UINT8 -> "uint_contents";
      case FLOAT32 -> "fp32_contents";
      case FLOAT64 -> "fp64_contents";
      case STRING -> "bytes_contents";
      default -> throw ApiException.badRequest(what(name) + ": " + datatype + " has no typed contents field; send it as raw_input_contents");
    };
    int n = -1;
    for (int f = 0; f < CONTENTS_FIELDS.length; f++) {
      int size = contentsCount(c, f);
      if (CONTENTS_FIELDS[f].equals(field)) {
        n = size;
      } else if (size > 0) {
        throw ApiException.badRequest(what(name) + ": " + datatype + " values go in " + field + " but " + CONTENTS_FIELDS[f]
            + " holds " + size);
      }
    }
    if (n != count) {
      throw ApiException.badRequest(what(name) + ": shape " + Arrays.toString(shape) + " holds " + count + " values but " + field + " has " + n);
    }
    switch (dtype) {
      case BOOL: {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) {
          a[i] = c.getBoolContents(i);
        }
        return Tensor.ofBooleans(a, shape);
      }
      case INT8: {
        byte[] a = new byte[n];
        for (int i = 0; i < n; i++) {
          a[i] = (byte) ranged(name, datatype, i, c.getIntContents(i), Byte.MIN_VALUE, Byte.MAX_VALUE);
        }
        return Tensor.ofBytes(a, shape);
      }
      case INT16: {
        short[] a = new short[n];
        for (int i = 0; i < n; i++) {
          a[i] = (short) ranged(name, datatype, i, c.getIntContents(i), Short.MIN_VALUE, Short.MAX_VALUE);
        }
        return Tensor.ofShorts(a, shape);
      }
      case INT32: {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
          a[i] = c.getIntContents(i);
        }
        return Tensor.ofInts(a, shape);
      }
      case INT64: {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
          a[i] = c.getInt64Contents(i);
        }
        return Tensor.ofLongs(a, shape);
      }
      case UINT8: {
        byte[] a = new byte[n];
        for (int i = 0; i < n; i++) {
          a[i] = (byte) ranged(name, datatype, i, Integer.toUnsignedLong(c.getUintContents(i)), 0, 255);
        }
        return Tensor.ofUnsignedBytes(a, shape);
      }
      case FLOAT32: { // straight into the tensor's (heap) bytes: no array to copy, no direct memory per request
        ByteBuffer a = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
          a.putFloat(i * Float.BYTES, c.getFp32Contents(i));
        }
        return Tensor.fromBuffer(DType.FLOAT32, a, shape);
      }
      case FLOAT64: {
        ByteBuffer a = ByteBuffer.allocate(n * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
          a.putDouble(i * Double.BYTES, c.getFp64Contents(i));
        }
        return Tensor.fromBuffer(DType.FLOAT64, a, shape);
      }
      default: { // STRING
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        String[] a = new String[n];
        for (int i = 0; i < n; i++) {
          try {
            a[i] = decoder.decode(c.getBytesContents(i).asReadOnlyByteBuffer()).toString();
          } catch (CharacterCodingException e) {
            throw ApiException.badRequest(what(name) + ": bytes_contents[" + i + "] is not UTF-8 text, which jinfer's STRING tensors hold");
          }
        }
        return Tensor.ofStrings(a, shape);
      }
    }
  }

  /** The typed contents fields, in {@link #contentsCount}'s order. */
  private static final String[] CONTENTS_FIELDS = {"bool_contents", "int_contents", "int64_contents", "uint_contents",
      "uint64_contents", "fp32_contents", "fp64_contents", "bytes_contents"};

  /** @return how many values the {@code f}th of {@link #CONTENTS_FIELDS} holds */
  private static int contentsCount(InferTensorContents c, int f) {
    switch (f) {
      case 0:
        return c.getBoolContentsCount();
      case 1:
        return c.getIntContentsCount();
      case 2:
        return c.getInt64ContentsCount();
      case 3:
        return c.getUintContentsCount();
      case 4:
        return c.getUint64ContentsCount();
      case 5:
        return c.getFp32ContentsCount();
      case 6:
        return c.getFp64ContentsCount();
      default:
        return c.getBytesContentsCount();
    }
  }

  private static long ranged(String name, OipDatatype datatype, int i, long v, long min, long max) {
    if (v < min || v > max) {
      throw ApiException.badRequest(what(name) + ": element " + i + " of a " + datatype + " tensor must be in [" + min + ", " + max
          + "] but was " + v);
    }
    return v;
  }

  /**
   * The response. Raw output contents when the request used raw inputs, or when an output is FP16 (which
   * has no typed field; the protocol has the raw form for all outputs or for none); typed contents otherwise.
   */
  static ModelInferResponse response(String model, String version, String id, NamedTensors outputs, boolean raw) {
    boolean useRaw = raw;
    for (Map.Entry<String, Tensor> e : outputs) {
      useRaw |= e.getValue().dtype() == DType.FLOAT16;
    }
    ModelInferResponse.Builder r = ModelInferResponse.newBuilder().setModelName(model).setModelVersion(version).setId(id);
    for (Map.Entry<String, Tensor> e : outputs) {
      Tensor t = e.getValue();
      ModelInferResponse.InferOutputTensor.Builder o = r.addOutputsBuilder().setName(e.getKey())
          .setDatatype(OipDatatype.of(t.dtype()).name());
      Shape shape = t.shape();
      for (int d = 0; d < shape.rank(); d++) {
        o.addShape(shape.dim(d));
      }
      if (useRaw) {
        r.addRawOutputContents(raw(t));
      } else {
        o.setContents(contents(t));
      }
    }
    return r.build();
  }

  private static ByteString raw(Tensor t) {
    if (t.dtype() != DType.STRING) {
      return ByteString.copyFrom(t.buffer());
    }
    ByteString.Output out = ByteString.newOutput();
    byte[] len = new byte[4];
    for (String s : t.toStringArray()) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).putInt(0, b.length);
      out.write(len, 0, 4);
      out.write(b, 0, b.length);
    }
    return out.toByteString();
  }

  private static InferTensorContents contents(Tensor t) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    switch (t.dtype()) {
      case BOOL:
        for (boolean v : t.toBooleanArray()) {
          c.addBoolContents(v);
        }
        break;
      case INT8:
        for (byte v : t.toByteArray()) {
          c.addIntContents(v);
        }
        break;
      case INT16:
        for (short v : t.toShortArray()) {
          c.addIntContents(v);
        }
        break;
      case INT32:
        for (int v : t.toIntArray()) {
          c.addIntContents(v);
        }
        break;
      case INT64:
        for (long v : t.toLongArray()) {
          c.addInt64Contents(v);
        }
        break;
      case UINT8:
        for (byte v : t.toByteArray()) {
          c.addUintContents(v & 0xFF);
        }
        break;
      case FLOAT32: // element by element: no copy of the values per answer
        for (int i = 0, n = t.elementCount(); i < n; i++) {
          c.addFp32Contents(t.getFloat(i));
        }
        break;
      case FLOAT64:
        for (int i = 0, n = t.elementCount(); i < n; i++) {
          c.addFp64Contents(t.getDouble(i));
        }
        break;
      case STRING:
        for (String v : t.toStringArray()) {
          c.addBytesContents(ByteString.copyFromUtf8(v));
        }
        break;
      default:
        throw new IllegalStateException("output dtype " + t.dtype() + " has no typed contents");
    }
    return c.build();
  }

  /** @return the protocol's metadata of a model's tensors */
  static List<ModelMetadataResponse.TensorMetadata> metadata(List<TensorSpec> specs) {
    List<ModelMetadataResponse.TensorMetadata> out = new ArrayList<>();
    for (TensorSpec s : specs) {
      ModelMetadataResponse.TensorMetadata.Builder m = ModelMetadataResponse.TensorMetadata.newBuilder().setName(s.name())
          .setDatatype(OipDatatype.of(s.dtype()).name());
      for (long d : s.shape().toArray()) {
        m.addShape(d);
      }
      out.add(m.build());
    }
    return out;
  }
}
