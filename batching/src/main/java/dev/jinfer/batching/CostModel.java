package dev.jinfer.batching;

/**
 * An online estimate of what one engine call costs as a function of its rows: {@code cost(n) = fixed +
 * perRow * n}, fitted by exponentially weighted least squares over the batches run so far (each new
 * batch weighs {@code 1 - DECAY} of the total, so the fit follows a changing machine within some twenty
 * batches).
 *
 * <p>The slope is ridge-regularised toward the proportional model {@code cost(n) = n * meanCost /
 * meanRows}: when every batch had nearly the same size (a saturated batcher), the data cannot separate
 * the fixed cost from the per-row cost, and the proportional model is the cautious choice (it
 * over-predicts larger batches). A negative slope is clamped to zero and a negative intercept makes the
 * fit go through the origin.
 *
 * <p>Immutable and thread-safe: {@link #add} returns a new model.
 */
final class CostModel {
  /** The weight kept by the past at each new sample. */
  static final double DECAY = 0.95;
  /** Ridge strength, in rows squared: a spread of batch sizes of a few rows lets the data speak. */
  static final double RIDGE = 0.25;

  private static final CostModel EMPTY = new CostModel(0, 0, 0, 0, 0, 0);

  private final double sw;
  private final double sn;
  private final double snn;
  private final double sc;
  private final double snc;
  private final long samples;
  private final double fixed;
  private final double perRow;

  private CostModel(double sw, double sn, double snn, double sc, double snc, long samples) {
    this.sw = sw;
    this.sn = sn;
    this.snn = snn;
    this.sc = sc;
    this.snc = snc;
    this.samples = samples;
    if (sw <= 0 || sn <= 0) {
      fixed = 0;
      perRow = 0;
      return;
    }
    double meanRows = sn / sw;
    double meanCost = sc / sw;
    double variance = Math.max(0, snn / sw - meanRows * meanRows);
    double covariance = snc / sw - meanRows * meanCost;
    double proportional = meanCost / meanRows;
    double b = Math.max(0, (covariance + RIDGE * proportional) / (variance + RIDGE));
    double a = meanCost - b * meanRows;
    if (a < 0) {
      a = 0;
      b = snc / snn;
    }
    fixed = a;
    perRow = b;
  }

  /** @return a model that has seen nothing and predicts zero */
  static CostModel empty() {
    return EMPTY;
  }

  /**
   * Adds one observed batch.
   *
   * @param rows its rows, at least 1
   * @param nanos how long the engine call took
   * @return the updated model
   */
  CostModel add(int rows, long nanos) {
    double n = rows;
    double c = Math.max(0, nanos);
    return new CostModel(DECAY * sw + 1, DECAY * sn + n, DECAY * snn + n * n, DECAY * sc + c, DECAY * snc + n * c,
        samples + 1);
  }

  /** @return the batches observed */
  long samples() {
    return samples;
  }

  /** @return the fitted cost of an engine call, independent of its rows, in nanoseconds */
  double fixedNanos() {
    return fixed;
  }

  /** @return the fitted cost of one more row, in nanoseconds */
  double perRowNanos() {
    return perRow;
  }

  /**
   * The predicted cost of a batch.
   *
   * @param rows its rows
   * @return nanoseconds
   */
  long predict(long rows) {
    return Math.round(fixed + perRow * rows);
  }

  /**
   * The largest batch predicted to cost at most a budget.
   *
   * @param budgetNanos the budget
   * @param cap the largest size allowed
   * @return a size in {@code [1, cap]}; 1 when even one row is over the budget
   */
  int largestWithin(double budgetNanos, int cap) {
    if (perRow <= 0) {
      return fixed <= budgetNanos ? cap : 1;
    }
    double n = Math.floor((budgetNanos - fixed) / perRow);
    if (n < 1) {
      return 1;
    }
    return n >= cap ? cap : (int) n;
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "cost(n) = %.0f ns + %.1f ns * n over %d batches", fixed, perRow, samples);
  }
}
