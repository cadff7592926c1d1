package dev.jinfer.distill;

/**
 * What one training epoch of a {@link Distiller} did, reported to its progress listener (by default printed
 * on standard error).
 *
 * @param epoch the epoch, from 1
 * @param trainLoss the mean distillation loss over the epoch's training mini-batches
 * @param heldOutLoss the distillation loss on the held-out rows after the epoch
 * @param heldOutAgreement the share of held-out rows where the student's top class is the teacher's
 * @param best whether this epoch has the lowest held-out loss so far (its weights are the ones kept)
 */
public record EpochProgress(int epoch, double trainLoss, double heldOutLoss, double heldOutAgreement, boolean best) {
  /**
   * One line: {@code epoch 3  loss 0.4120  held-out loss 0.3991  agreement 0.9583 *}.
   *
   * @return the line, with a star on a best epoch
   */
  public String toLine() {
    return String.format(java.util.Locale.ROOT, "epoch %d  loss %.4f  held-out loss %.4f  agreement %.4f%s",
        epoch, trainLoss, heldOutLoss, heldOutAgreement, best ? " *" : "");
  }
}
