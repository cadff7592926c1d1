package dev.jinfer.distill;

import dev.jinfer.DType;
import dev.jinfer.InvalidInputException;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The teacher's side of a distillation: checks that the teacher, the data and the labels fit together, and
 * runs the teacher through jinfer on every row in batches. Holds the result; immutable after {@link #run}.
 */
final class TeacherRun {
  final String inputName;
  final String outputName;
  final int features;
  final int classes;
  /** Whether the output is a probability distribution (non-negative rows summing to 1). */
  final boolean probabilities;
  /** The teacher's output per row. */
  final float[][] outputs;

  private TeacherRun(String inputName, String outputName, int features, int classes, boolean probabilities,
      float[][] outputs) {
    this.inputName = inputName;
    this.outputName = outputName;
    this.features = features;
    this.classes = classes;
    this.probabilities = probabilities;
    this.outputs = outputs;
  }

  /** Checks the teacher's signature against the data and picks the output to imitate. */
  static TensorSpec[] check(Model teacher, Path path, Tensor data, @Nullable String outputName) {
    List<TensorSpec> inputs = teacher.signature().inputs();
    if (inputs.size() != 1) {
      throw new InvalidInputException("teacher " + path + ": expected one input (the student is an MLP over one "
          + "FLOAT32 [batch, features] input) but it has " + inputs.size() + ": " + inputs);
    }
    TensorSpec input = inputs.get(0);
    if (input.dtype() != DType.FLOAT32 || input.shape().rank() != 2 || input.shape().dim(1) <= 0) {
      throw new InvalidInputException("teacher " + path + ": expected its input to be FLOAT32 [batch, features] "
          + "with a fixed feature count but it is " + input);
    }
    long features = input.shape().dim(1);
    if (data.dtype() != DType.FLOAT32 || data.shape().rank() != 2 || data.shape().dim(1) != features) {
      throw new InvalidInputException("data: expected FLOAT32 [rows, " + features + "] to match the teacher's input "
          + input + " but got " + data.dtype() + " " + data.shape());
    }
    if (data.rows() < 2) {
      throw new InvalidInputException("data: expected at least 2 rows (some to train on, some held out) but got "
          + data.rows() + (data.rows() == 0 ? " (an empty data set)" : ""));
    }
    float[] values = data.toFloatArray();
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new InvalidInputException("data: expected finite values but row " + i / features + ", column "
            + i % features + " is " + values[i]);
      }
    }
    List<TensorSpec> outputs = teacher.signature().outputs();
    TensorSpec output;
    if (outputName == null) {
      if (outputs.size() != 1) {
        throw new InvalidInputException("teacher " + path + ": expected one output or an output name to imitate "
            + "(--output NAME) but it has " + outputs.size() + ": " + teacher.signature().outputNames());
      }
      output = outputs.get(0);
    } else {
      output = teacher.signature().output(outputName).orElseThrow(() -> new InvalidInputException("output '"
          + outputName + "': expected one of the teacher's outputs " + teacher.signature().outputNames()
          + " but it has none of that name"));
    }
    if (output.dtype() != DType.FLOAT32 || output.shape().rank() != 2 || output.shape().dim(1) == 1) {
      throw new InvalidInputException("teacher " + path + ": expected output '" + output.name() + "' to be FLOAT32 "
          + "[batch, classes] with at least 2 classes (scores or probabilities) but it is " + output);
    }
    return new TensorSpec[] {input, output};
  }

  /** Runs the teacher on every row, {@code batchSize} rows per call. */
  static TeacherRun run(Model teacher, Path path, Tensor data, @Nullable String outputName, int batchSize) {
    TensorSpec[] specs = check(teacher, path, data, outputName);
    String in = specs[0].name();
    String out = specs[1].name();
    int rows = (int) data.rows();
    float[][] outputs = new float[rows][];
    int classes = -1;
    try (Predictor predictor = teacher.predictor()) {
      for (int start = 0; start < rows; start += batchSize) {
        int end = Math.min(rows, start + batchSize);
        Tensor y = predictor.predict(NamedTensors.of(in, data.slice(start, end)), List.of(out)).get(out);
        if (y.shape().rank() != 2 || y.rows() != end - start || y.shape().dim(1) < 2
            || (classes != -1 && y.shape().dim(1) != classes)) {
          throw new InvalidInputException("teacher " + path + ": expected output '" + out + "' of shape ["
              + (end - start) + ", " + (classes == -1 ? "classes >= 2" : classes) + "] but got " + y.shape());
        }
        classes = (int) y.shape().dim(1);
        float[][] m = y.toFloatMatrix();
        for (int r = 0; r < m.length; r++) {
          for (float v : m[r]) {
            if (!Float.isFinite(v)) {
              throw new InvalidInputException("teacher " + path + ": expected finite outputs but '" + out + "' of data "
                  + "row " + (start + r) + " holds " + v);
            }
          }
        }
        System.arraycopy(m, 0, outputs, start, m.length);
      }
    }
    return new TeacherRun(in, out, (int) specs[0].shape().dim(1), classes, isDistribution(outputs), outputs);
  }

  private static boolean isDistribution(float[][] rows) {
    for (float[] row : rows) {
      double sum = 0;
      for (float v : row) {
        if (!(v >= 0 && v <= 1 + 1e-4)) {
          return false;
        }
        sum += v;
      }
      if (Math.abs(sum - 1) > 1e-3) {
        return false;
      }
    }
    return true;
  }

  /** The teacher's logits per row: its scores, or the log of its probabilities. */
  float[] logits(int row) {
    float[] o = outputs[row];
    if (!probabilities) {
      return o;
    }
    float[] l = new float[o.length];
    for (int i = 0; i < o.length; i++) {
      l[i] = (float) Math.log(Math.max(o[i], 1e-30));
    }
    return l;
  }

  int argmax(int row) {
    return StudentTrainer.argmax(outputs[row]);
  }
}
