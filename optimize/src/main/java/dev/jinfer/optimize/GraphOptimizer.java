package dev.jinfer.optimize;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.jinfer.ModelLoadException;
import dev.jinfer.OptimizationLevel;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.SortedMap;

/**
 * ONNX Runtime's offline graph optimization: the session's optimizer (constant folding, redundant node
 * elimination, and from {@link OptimizationLevel#EXTENDED} on, fusions such as Gemm+Activation, MatMul+Add,
 * attention and layer norm) applied once and the result written to a file, so that a served model skips the
 * work at load time.
 *
 * <p>A model optimized at {@link OptimizationLevel#EXTENDED} or {@link OptimizationLevel#ALL} may hold
 * ONNX Runtime contrib operators ({@code com.microsoft.*}) and, at {@code ALL}, layouts specific to this
 * machine's CPU: it runs in ONNX Runtime (and so through jinfer's ONNX backend), not in other ONNX engines, and
 * should be optimized on the kind of machine that serves it. {@link OptimizationLevel#BASIC} stays standard ONNX.
 *
 * <pre>{@code
 * GraphOptimizer.Result r = GraphOptimizer.newBuilder().level(OptimizationLevel.EXTENDED).build()
 *     .optimize(Path.of("model.onnx"), Path.of("model.opt.onnx"));
 * }</pre>
 *
 * <p>Immutable and thread-safe; each {@link #optimize} call uses its own session.
 */
public final class GraphOptimizer {
  private final OptimizationLevel level;

  private GraphOptimizer(Builder builder) {
    this.level = builder.level;
  }

  /**
   * A builder with level {@link OptimizationLevel#EXTENDED}.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * The optimization level.
   *
   * @return the level
   */
  public OptimizationLevel level() {
    return level;
  }

  /**
   * Optimizes {@code input} and writes the result atomically to {@code output}; the input is never modified.
   *
   * @param input the ONNX model
   * @param output where to write the optimized model (not the input)
   * @return the node counts by operator before and after, and the file sizes
   * @throws ModelLoadException if the input is not an ONNX model or ONNX Runtime rejects it
   * @throws dev.jinfer.InvalidInputException if {@code output} is the input
   * @throws UncheckedIOException if writing the output fails
   */
  public Result optimize(Path input, Path output) {
    OnnxModels.requireDistinct(input, output);
    ModelProto before = OnnxModels.read(input);
    Path dir = output.toAbsolutePath().getParent();
    Path tmp;
    try {
      tmp = Files.createTempFile(dir, "." + output.getFileName(), ".ort.tmp");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write model " + output + ": " + e.getMessage(), e);
    }
    try {
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.setOptimizationLevel(ortLevel(level));
        options.setOptimizedModelFilePath(tmp.toString());
        try (OrtSession session = env.createSession(input.toString(), options)) {
          Objects.requireNonNull(session);
        }
      } catch (OrtException e) {
        throw new ModelLoadException("model " + input + ": ONNX Runtime could not optimize it: " + e.getMessage(), e);
      }
      ModelProto after = OnnxModels.read(tmp);
      try {
        long bytesBefore = Files.size(input);
        OnnxModels.write(after, output);
        return new Result(level, OnnxModels.opCounts(before), OnnxModels.opCounts(after), bytesBefore,
            Files.size(output));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot size " + output + ": " + e.getMessage(), e);
      }
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort: a leftover hidden temporary file is harmless and the real outcome is reported
      }
    }
  }

  private static OrtSession.SessionOptions.OptLevel ortLevel(OptimizationLevel level) {
    return switch (level) {
      case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
      case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
      case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
      case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
    };
  }

  /**
   * What an optimization did.
   *
   * @param level the level applied
   * @param opsBefore node counts by operator of the input
   * @param opsAfter node counts by operator of the output
   * @param bytesBefore the input's file size
   * @param bytesAfter the output's file size
   */
  public record Result(OptimizationLevel level, SortedMap<String, Integer> opsBefore,
      SortedMap<String, Integer> opsAfter, long bytesBefore, long bytesAfter) {
    /**
     * The total node count before.
     *
     * @return the number of nodes of the input's main graph
     */
    public int nodesBefore() {
      return opsBefore.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * The total node count after.
     *
     * @return the number of nodes of the output's main graph
     */
    public int nodesAfter() {
      return opsAfter.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  /** Builds a {@link GraphOptimizer}. Not thread-safe. */
  public static final class Builder {
    private OptimizationLevel level = OptimizationLevel.EXTENDED;

    private Builder() {}

    /**
     * The ONNX Runtime optimization level.
     *
     * @param level the level; {@link OptimizationLevel#NONE} only rewrites the model as ONNX Runtime reads it
     * @return this builder
     */
    public Builder level(OptimizationLevel level) {
      this.level = Objects.requireNonNull(level, "level");
      return this;
    }

    /**
     * Builds the optimizer.
     *
     * @return the optimizer
     */
    public GraphOptimizer build() {
      return new GraphOptimizer(this);
    }
  }
}
