package dev.jinfer;

import java.util.Objects;

/**
 * What a model expects of one input, or promises of one output: a name, a dtype and a shape whose
 * dimensions may be {@link Shape#DYNAMIC}.
 *
 * @param name the input or output name as the engine knows it
 * @param dtype the element type
 * @param shape the dimensions, -1 where dynamic
 */
public record TensorSpec(String name, DType dtype, Shape shape) {
  /** Checks the components are present. */
  public TensorSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(shape, "shape");
  }

  /**
   * Shorthand constructor.
   *
   * @param name the name
   * @param dtype the element type
   * @param dims the dimensions, -1 where dynamic
   * @return the spec
   */
  public static TensorSpec of(String name, DType dtype, long... dims) {
    return new TensorSpec(name, dtype, Shape.of(dims));
  }

  /** Formats as {@code features: FLOAT32 [-1, 32]}. */
  @Override
  public String toString() {
    return name + ": " + dtype + " " + shape;
  }
}
