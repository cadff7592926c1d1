package dev.jinfer.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;

/**
 * Hinton et al.'s distillation loss on the student's logits {@code s}:
 * {@code alpha * T^2 * KL(q || softmax(s / T)) + (1 - alpha) * CE(softmax(s), y)}, where {@code q} is the
 * teacher's temperature-softened distribution; without labels, the soft term alone. The labels list holds
 * {@code q}, {@code log q} and, with hard labels, their one-hot rows. Stateless apart from its settings.
 *
 * <p>The constants are scalar arrays that libtorch allocates ({@link NDManager#full}), never DJL's
 * {@code NDArray.mul(Number)} / {@code div(Number)}: those wrap the number in a scalar array over a Java direct
 * buffer and close it at once, while the autograd graph still holds that scalar for the backward pass; a garbage
 * collection between the forward and the backward pass then frees the buffer, and the gradient is computed with
 * whatever the freed memory holds by then (training left its seeded trajectory, sometimes into NaN, on runs where
 * the collector happened to run at that moment).
 */
final class DistillationLoss extends Loss {
  private final float temperature;
  private final float alpha;
  private final boolean hard;

  DistillationLoss(float temperature, float alpha, boolean hard) {
    super("DistillationLoss");
    this.temperature = temperature;
    this.alpha = alpha;
    this.hard = hard;
  }

  @Override
  public NDArray evaluate(NDList labels, NDList predictions) {
    NDArray logits = predictions.singletonOrThrow();
    NDManager m = logits.getManager();
    NDArray q = labels.get(0);
    NDArray logQ = labels.get(1);
    NDArray logP = logits.div(scalar(m, temperature)).logSoftmax(1);
    NDArray soft = q.mul(logQ.sub(logP)).sum(new int[] {1}).mean().mul(scalar(m, temperature * temperature));
    if (!hard) {
      return soft;
    }
    NDArray crossEntropy = logits.logSoftmax(1).mul(labels.get(2)).sum(new int[] {1}).mean().neg();
    return soft.mul(scalar(m, alpha)).add(crossEntropy.mul(scalar(m, 1 - alpha)));
  }

  /** A FLOAT32 scalar in libtorch's own memory, attached to {@code m} (the mini-batch's manager). */
  private static NDArray scalar(NDManager m, float value) {
    return m.full(new Shape(), value);
  }
}
