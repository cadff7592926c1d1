package dev.jinfer.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * Hinton et al.'s distillation loss on the student's logits {@code s}:
 * {@code alpha * T^2 * KL(q || softmax(s / T)) + (1 - alpha) * CE(softmax(s), y)}, where {@code q} is the
 * teacher's temperature-softened distribution; without labels, the soft term alone. The labels list holds
 * {@code q}, {@code log q} and, with hard labels, their one-hot rows. Stateless apart from its settings.
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
    NDArray q = labels.get(0);
    NDArray logQ = labels.get(1);
    NDArray logP = logits.div(temperature).logSoftmax(1);
    NDArray soft = q.mul(logQ.sub(logP)).sum(new int[] {1}).mean().mul(temperature * temperature);
    if (!hard) {
      return soft;
    }
    NDArray crossEntropy = logits.logSoftmax(1).mul(labels.get(2)).sum(new int[] {1}).mean().neg();
    return soft.mul(alpha).add(crossEntropy.mul(1 - alpha));
  }
}
