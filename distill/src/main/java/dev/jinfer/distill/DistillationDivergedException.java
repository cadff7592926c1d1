package dev.jinfer.distill;

import dev.jinfer.InvalidInputException;

/**
 * A distillation run whose loss stopped being a finite number (it diverged: usually a learning rate too high
 * for the data, or inputs of a very large scale). Nothing is written when it is thrown. Its
 * {@link dev.jinfer.ErrorCode} is {@code INVALID_INPUT}: the remedy is in the inputs and options, which the
 * message names.
 *
 * <p>Immutable and thread-safe.
 */
public class DistillationDivergedException extends InvalidInputException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message where training diverged and what to change
   */
  public DistillationDivergedException(String message) {
    super(message);
  }
}
