package dev.jinfer.optimize;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelLoadException;
import dev.jinfer.optimize.proto.Onnx.ModelProto;
import dev.jinfer.optimize.proto.Onnx.OperatorSetIdProto;
import dev.jinfer.optimize.proto.Onnx.NodeProto;
import dev.jinfer.optimize.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads and writes ONNX models as {@link ModelProto}, the protobuf-java class generated at build time from
 * {@code src/main/proto/onnx.proto}. Fields this schema does not name are kept as protobuf unknown fields, so
 * a read followed by a write gives the model back unchanged.
 *
 * <p>Writing is atomic: the model goes to a temporary file in the target's directory, which is then renamed
 * over the target, so a reader never sees half a model and a failed write leaves the target as it was.
 *
 * <p>All methods are static and thread-safe; concurrent writes to the same path leave one complete model.
 */
public final class OnnxModels {
  private OnnxModels() {}

  /**
   * Reads an ONNX model file.
   *
   * @param path the {@code .onnx} file
   * @return the model
   * @throws ModelLoadException if the file is missing, unreadable, not an ONNX model (not a protobuf
   *     {@code ModelProto}, or one without a graph or an opset), or keeps its weights in external data files
   */
  public static ModelProto read(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new ModelLoadException("model " + path + ": expected an ONNX file but "
          + (Files.exists(path) ? "it is not a regular file" : "it does not exist"));
    }
    ModelProto model;
    try (InputStream in = Files.newInputStream(path)) {
      CodedInputStream coded = CodedInputStream.newInstance(in);
      coded.setSizeLimit(Integer.MAX_VALUE);
      model = ModelProto.parseFrom(coded);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelLoadException("model " + path + ": expected an ONNX ModelProto but the file is not valid "
          + "protobuf (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new ModelLoadException("model " + path + ": cannot read it: " + e, e);
    }
    if (!model.hasGraph() || model.getIrVersion() <= 0 || model.getOpsetImportCount() == 0) {
      throw new ModelLoadException("model " + path + ": expected an ONNX ModelProto with an ir_version, a graph "
          + "and an opset_import but got " + (model.hasGraph() ? "" : "no graph, ") + "ir_version "
          + model.getIrVersion() + ", " + model.getOpsetImportCount() + " opset imports");
    }
    for (TensorProto t : model.getGraph().getInitializerList()) {
      if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
        throw new ModelLoadException("model " + path + ": initializer '" + t.getName()
            + "' keeps its data in an external file; expected all weights inside the .onnx file");
      }
    }
    return model;
  }

  /**
   * Writes a model atomically (temporary file in the same directory, then a rename over {@code path}).
   *
   * @param model the model
   * @param path the target file; its parent directory must exist
   * @throws UncheckedIOException if writing or renaming fails (the target is then left as it was)
   */
  public static void write(ModelProto model, Path path) {
    Path absolute = path.toAbsolutePath();
    Path dir = absolute.getParent();
    Path tmp = null;
    try {
      tmp = Files.createTempFile(dir, "." + absolute.getFileName(), ".tmp");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        model.writeTo(out);
      }
      try {
        Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write model " + path + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the write already failed; its exception is the one to report
        }
      }
    }
  }

  /**
   * Checks that an output path is not the input model, so a transformation never overwrites its source.
   *
   * @param input the model read
   * @param output the model to write
   * @throws InvalidInputException if both name the same file (also through links or relative paths)
   */
  public static void requireDistinct(Path input, Path output) {
    boolean same;
    try {
      same = Files.exists(output) && Files.exists(input)
          ? Files.isSameFile(input, output)
          : input.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot compare " + input + " and " + output + ": " + e.getMessage(), e);
    }
    if (same) {
      throw new InvalidInputException("output " + output + ": expected a path other than the input model but it is "
          + "the input " + input + " (the input is never modified)");
    }
  }

  /**
   * The model's version of the default ONNX operator set ({@code ""} or {@code ai.onnx}).
   *
   * @param model the model
   * @return the opset version, 0 if the model imports none
   */
  public static long defaultOpset(ModelProto model) {
    return model.getOpsetImportList().stream()
        .filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
        .mapToLong(OperatorSetIdProto::getVersion).max().orElse(0);
  }

  /**
   * Counts the nodes of a model's main graph by operator: {@code op_type} for the default ONNX domain,
   * {@code domain.op_type} otherwise (e.g. {@code com.microsoft.FusedGemm}).
   *
   * @param model the model
   * @return an unmodifiable map sorted by operator name
   */
  public static SortedMap<String, Integer> opCounts(ModelProto model) {
    SortedMap<String, Integer> counts = new TreeMap<>();
    for (NodeProto node : model.getGraph().getNodeList()) {
      String domain = node.getDomain();
      String op = domain.isEmpty() || domain.equals("ai.onnx") ? node.getOpType() : domain + "." + node.getOpType();
      counts.merge(op, 1, Integer::sum);
    }
    return Collections.unmodifiableSortedMap(counts);
  }
}
