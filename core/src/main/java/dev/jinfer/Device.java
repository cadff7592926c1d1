package dev.jinfer;

/**
 * Where a model runs: the CPU, or one GPU by index.
 *
 * @param kind CPU or GPU
 * @param index the GPU index (0 for the CPU)
 */
public record Device(Kind kind, int index) {
  /** Device families. */
  public enum Kind {
    /** The host CPU. */
    CPU,
    /** A CUDA GPU. */
    GPU
  }

  private static final Device CPU = new Device(Kind.CPU, 0);

  /** Validates the index. */
  public Device {
    if (kind == null) {
      throw new IllegalArgumentException("device kind must not be null");
    }
    if (index < 0 || (kind == Kind.CPU && index != 0)) {
      throw new IllegalArgumentException("device index must be >= 0 (and 0 for the CPU) but was " + index);
    }
  }

  /**
   * The CPU.
   *
   * @return the CPU device
   */
  public static Device cpu() {
    return CPU;
  }

  /**
   * A GPU.
   *
   * @param index the GPU index, from 0
   * @return the device
   * @throws IllegalArgumentException if the index is negative
   */
  public static Device gpu(int index) {
    return new Device(Kind.GPU, index);
  }

  /**
   * Whether this is a GPU.
   *
   * @return true for a GPU
   */
  public boolean isGpu() {
    return kind == Kind.GPU;
  }

  /** Formats as {@code cpu} or {@code gpu:0}. */
  @Override
  public String toString() {
    return kind == Kind.CPU ? "cpu" : "gpu:" + index;
  }
}
