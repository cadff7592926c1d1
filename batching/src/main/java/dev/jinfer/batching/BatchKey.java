package dev.jinfer.batching;

import java.util.Arrays;
import java.util.List;

/**
 * What two requests must share to be concatenated into one batch: the outputs asked for, and every
 * non-batch dimension the signature leaves dynamic (the fixed ones and the dtypes are equal for every
 * valid request already). Requests with different keys are queued in different groups and never run
 * together. For a model whose inputs have only fixed non-batch dimensions (the common case) the key is
 * just the output list. Immutable.
 */
final class BatchKey {
  private final List<String> outputs;
  private final long[] dims;
  private final int hash;

  /**
   * A key.
   *
   * @param outputs the output names asked for, resolved (never empty)
   * @param dims the request's dynamic non-batch dimensions, in signature order
   */
  BatchKey(List<String> outputs, long[] dims) {
    this.outputs = outputs;
    this.dims = dims;
    this.hash = 31 * outputs.hashCode() + Arrays.hashCode(dims);
  }

  /** @return the output names every request of the group asked for */
  List<String> outputs() {
    return outputs;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof BatchKey)) {
      return false;
    }
    BatchKey k = (BatchKey) o;
    return hash == k.hash && Arrays.equals(dims, k.dims) && outputs.equals(k.outputs);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return "BatchKey" + outputs + Arrays.toString(dims);
  }
}
