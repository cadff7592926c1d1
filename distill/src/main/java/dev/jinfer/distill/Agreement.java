package dev.jinfer.distill;

import java.util.OptionalDouble;

/**
 * How a student compares with its teacher on some rows: the share of rows where both pick the same top class,
 * and, when labels are known, each model's accuracy.
 *
 * @param rows the rows compared
 * @param agreement the share of rows where the student's top class is the teacher's, 0..1
 * @param teacherAccuracy the teacher's share of correct top classes, empty without labels
 * @param studentAccuracy the student's share of correct top classes, empty without labels
 */
public record Agreement(int rows, double agreement, OptionalDouble teacherAccuracy, OptionalDouble studentAccuracy) {
  /**
   * The student's accuracy as a share of the teacher's.
   *
   * @return {@code studentAccuracy / teacherAccuracy}, empty without labels or when the teacher scores 0
   */
  public OptionalDouble retainedAccuracy() {
    if (teacherAccuracy.isEmpty() || studentAccuracy.isEmpty() || teacherAccuracy.getAsDouble() == 0) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(studentAccuracy.getAsDouble() / teacherAccuracy.getAsDouble());
  }
}
