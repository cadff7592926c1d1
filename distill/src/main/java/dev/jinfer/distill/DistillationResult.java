package dev.jinfer.distill;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * What a {@link Distiller} run produced.
 *
 * @param student the ONNX file written
 * @param inputName the input name the student shares with the teacher
 * @param outputName the output name the student shares with the teacher (the output it imitates)
 * @param layerWidths the student's widths, input features first, classes last (e.g. {@code [64, 32, 10]})
 * @param softmax whether the student ends with a Softmax (the teacher's output is a probability distribution)
 * @param teacherParameters the number of values in the teacher's ONNX initializers; empty for a teacher in
 *     another format
 * @param studentParameters the number of weights and biases of the student
 * @param teacherBytes the teacher's size on disk (a directory's files summed)
 * @param studentBytes the student file's size
 * @param trainRows rows trained on
 * @param epochs epochs run (early stopping may end before the maximum)
 * @param bestEpoch the epoch whose weights were kept (lowest held-out loss)
 * @param heldOut the student (run through jinfer from the written file) against the teacher on the held-out rows
 */
public record DistillationResult(Path student, String inputName, String outputName, List<Integer> layerWidths,
    boolean softmax, OptionalLong teacherParameters, long studentParameters, long teacherBytes, long studentBytes,
    int trainRows, int epochs, int bestEpoch, Agreement heldOut) {
  /** Copies the widths. */
  public DistillationResult {
    layerWidths = List.copyOf(layerWidths);
  }
}
