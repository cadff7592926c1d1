package dev.jinfer.cli.bench;

import dev.jinfer.DType;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The requests of a run. Two kinds:
 * <ul>
 *   <li>{@linkplain #generated generated} from the signature: each input gets {@code rows} rows (its first
 *       dimension; other dynamic dimensions are 1) of seeded random values (standard normal floats, integers
 *       in [0, 10), random booleans, short strings). With a duplicate ratio {@code d}, each request is, with
 *       probability {@code d}, a repeat of one of the last {@value #RECENT} distinct requests (chosen
 *       uniformly), so a cache that holds them hits about {@code d} of the time.</li>
 *   <li>{@linkplain #fromTensors from tensors} read from {@code .npy} files: request {@code i} takes rows
 *       {@code [i*rows, (i+1)*rows)} of every input, wrapping around the file.</li>
 * </ul>
 * Thread-safe: {@link #next()} is called by every client; the sequence of requests is fixed by the seed,
 * only which client gets which one varies.
 */
final class RequestSource {
  /** How many recent distinct requests a duplicate is drawn from. */
  static final int RECENT = 1024;

  private final ModelSignature signature;
  private final int rows;
  private final double duplicateRatio;
  private final SplittableRandom random;
  private final NamedTensors[] recent;
  private final Map<String, Tensor> files;
  private final long fileRows;
  // guarded by this
  private long issued;
  private long distinct;

  private RequestSource(ModelSignature signature, int rows, double duplicateRatio, long seed, Map<String, Tensor> files,
      long fileRows) {
    this.signature = signature;
    this.rows = rows;
    this.duplicateRatio = duplicateRatio;
    this.random = new SplittableRandom(seed);
    this.recent = new NamedTensors[RECENT];
    this.files = files;
    this.fileRows = fileRows;
  }

  /**
   * Requests generated from the signature.
   *
   * @param signature the model's signature
   * @param rows rows per request (the first dimension), at least 1
   * @param duplicateRatio the share of requests that repeat a recent one, in [0, 1]
   * @param seed the random seed
   * @return the source
   * @throws BenchException (usage) for rows or a ratio out of range
   * @throws InvalidInputException if an input's first dimension is fixed and differs from {@code rows}
   */
  static RequestSource generated(ModelSignature signature, int rows, double duplicateRatio, long seed) {
    if (rows < 1) {
      throw BenchException.usage("--batch-size: expected rows per request >= 1 but got " + rows);
    }
    if (!(duplicateRatio >= 0 && duplicateRatio <= 1)) {
      throw BenchException.usage("--duplicate-ratio: expected a share in [0, 1] but got " + duplicateRatio);
    }
    for (TensorSpec spec : signature.inputs()) {
      shapeOf(spec, rows);
    }
    return new RequestSource(signature, rows, duplicateRatio, seed, Map.of(), 0);
  }

  /**
   * Requests cut from tensors (read from {@code .npy} files), {@code rows} rows at a time.
   *
   * @param signature the model's signature
   * @param tensors one tensor per model input, each with at least one row and the same number of rows
   * @param rows rows per request, at least 1
   * @return the source
   * @throws InvalidInputException naming the input when one is missing, unknown, of the wrong dtype or
   *     shape, or when the files' row counts differ
   */
  static RequestSource fromTensors(ModelSignature signature, Map<String, Tensor> tensors, int rows) {
    if (rows < 1) {
      throw BenchException.usage("--batch-size: expected rows per request >= 1 but got " + rows);
    }
    for (String name : tensors.keySet()) {
      if (signature.input(name).isEmpty()) {
        throw new InvalidInputException("--input '" + name + "': expected one of the model's inputs "
            + signature.inputs().stream().map(TensorSpec::name).toList() + " but the model has no input '" + name + "'");
      }
    }
    long fileRows = -1;
    String first = "";
    Map<String, Tensor> ordered = new LinkedHashMap<>();
    for (TensorSpec spec : signature.inputs()) {
      Tensor t = tensors.get(spec.name());
      if (t == null) {
        throw new InvalidInputException("--input: expected a file for every model input but '" + spec.name()
            + "' (" + spec.dtype() + " " + spec.shape() + ") has none; give --input " + spec.name() + "=FILE.npy");
      }
      if (t.shape().rank() == 0 || t.shape().dim(0) < 1) {
        throw new InvalidInputException("--input '" + spec.name() + "': expected at least one row but got "
            + t.dtype() + " " + t.shape());
      }
      Shape oneRow = t.shape().withFirstDim(1);
      if (t.dtype() != spec.dtype() || !spec.shape().accepts(oneRow)) {
        throw new InvalidInputException("--input '" + spec.name() + "': expected " + spec.dtype() + " " + spec.shape()
            + " but got " + t.dtype() + " " + t.shape());
      }
      if (fileRows >= 0 && t.shape().dim(0) != fileRows) {
        throw new InvalidInputException("--input '" + spec.name() + "': expected the same number of rows as '" + first
            + "' (" + fileRows + ") but got " + t.shape().dim(0));
      }
      if (fileRows < 0) {
        fileRows = t.shape().dim(0);
        first = spec.name();
      }
      ordered.put(spec.name(), t);
    }
    if (signature.inputs().stream().anyMatch(s -> s.shape().rank() > 0 && s.shape().dim(0) != Shape.DYNAMIC
        && s.shape().dim(0) != rows)) {
      throw new InvalidInputException("--batch-size: the model's inputs have a fixed first dimension "
          + signature.inputs() + " but requests would carry " + rows + " rows");
    }
    return new RequestSource(signature, rows, 0, 0, Map.copyOf(ordered), fileRows);
  }

  /** Rows per request. */
  int rows() {
    return rows;
  }

  /**
   * Whether a client may cycle through a ring of requests drawn once, before the loop, instead of drawing one
   * per call: generated requests without duplicates, whose only property is their values.
   */
  boolean ringSafe() {
    return files.isEmpty() && duplicateRatio == 0;
  }

  /** Whether the requests come from files. */
  boolean fromFiles() {
    return !files.isEmpty();
  }

  /**
   * The next request.
   *
   * @return the inputs, valid for the signature
   */
  synchronized NamedTensors next() {
    long i = issued++;
    if (!files.isEmpty()) {
      return slice(i);
    }
    if (distinct > 0 && duplicateRatio > 0 && random.nextDouble() < duplicateRatio) {
      long window = Math.min(distinct, RECENT);
      long pick = distinct - 1 - random.nextLong(window);
      return recent[(int) (pick % RECENT)];
    }
    NamedTensors fresh = generate();
    recent[(int) (distinct % RECENT)] = fresh;
    distinct++;
    return fresh;
  }

  private NamedTensors slice(long request) {
    NamedTensors.Builder b = NamedTensors.newBuilder();
    for (Map.Entry<String, Tensor> e : files.entrySet()) {
      List<Tensor> parts = new ArrayList<>();
      long start = (request * rows) % fileRows;
      long left = rows;
      while (left > 0) {
        long take = Math.min(left, fileRows - start);
        parts.add(e.getValue().slice(start, start + take));
        left -= take;
        start = 0;
      }
      b.put(e.getKey(), parts.size() == 1 ? parts.get(0) : Tensor.concat(parts));
    }
    return b.build();
  }

  private NamedTensors generate() {
    NamedTensors.Builder b = NamedTensors.newBuilder();
    for (TensorSpec spec : signature.inputs()) {
      b.put(spec.name(), randomTensor(spec.dtype(), shapeOf(spec, rows), random));
    }
    return b.build();
  }

  /** The concrete shape of a generated input: {@code rows} in the first dimension, 1 in other dynamic ones. */
  static long[] shapeOf(TensorSpec spec, int rows) {
    long[] dims = spec.shape().toArray();
    for (int a = 0; a < dims.length; a++) {
      if (a == 0) {
        if (dims[0] == Shape.DYNAMIC) {
          dims[0] = rows;
        } else if (dims[0] != rows) {
          throw new InvalidInputException("input '" + spec.name() + "': its first dimension is fixed at " + dims[0]
              + " (" + spec.shape() + ") but --batch-size asks for " + rows + " rows per request");
        }
      } else if (dims[a] == Shape.DYNAMIC) {
        dims[a] = 1;
      }
    }
    return dims;
  }

  static Tensor randomTensor(DType dtype, long[] shape, SplittableRandom random) {
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    int n = Math.toIntExact(count);
    switch (dtype) {
      case STRING: {
        String[] s = new String[n];
        for (int i = 0; i < n; i++) {
          s[i] = "s" + random.nextInt(1_000_000);
        }
        return Tensor.ofStrings(s, shape);
      }
      case BOOL: {
        boolean[] v = new boolean[n];
        for (int i = 0; i < n; i++) {
          v[i] = random.nextBoolean();
        }
        return Tensor.ofBooleans(v, shape);
      }
      case FLOAT16: {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = (float) gaussian(random);
        }
        return Tensor.ofFloat16(v, shape);
      }
      default:
        break;
    }
    ByteBuffer buf = ByteBuffer.allocateDirect(n * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (dtype) {
        case FLOAT32 -> buf.putFloat((float) gaussian(random));
        case FLOAT64 -> buf.putDouble(gaussian(random));
        case INT8, UINT8 -> buf.put((byte) random.nextInt(10));
        case INT16 -> buf.putShort((short) random.nextInt(10));
        case INT32 -> buf.putInt(random.nextInt(10));
        case INT64 -> buf.putLong(random.nextInt(10));
        default -> throw new IllegalStateException("unhandled dtype " + dtype);
      }
    }
    buf.flip();
    return Tensor.fromBuffer(dtype, buf, shape);
  }

  private static double gaussian(SplittableRandom random) {
    // Box-Muller; SplittableRandom has no nextGaussian on Java 17
    double u = 1.0 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
