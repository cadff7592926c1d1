package dev.jinfer.internal;

import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Shape;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** The synthetic inputs a model is warmed up with, shared by model loading and the registry. */
public final class WarmupInputs {
  private WarmupInputs() {}

  /**
   * Zero-valued inputs for every input of a signature, one row (1) where a dimension is dynamic.
   *
   * @param signature the signature
   * @return the synthetic inputs
   */
  public static NamedTensors of(ModelSignature signature) {
    NamedTensors.Builder b = NamedTensors.newBuilder();
    for (TensorSpec spec : signature.inputs()) {
      long[] dims = spec.shape().toArray();
      for (int i = 0; i < dims.length; i++) {
        if (dims[i] == Shape.DYNAMIC) {
          dims[i] = 1;
        }
      }
      int count = Math.toIntExact(Shape.of(dims).elementCount());
      Tensor t;
      if (spec.dtype() == DType.STRING) {
        String[] s = new String[count];
        Arrays.fill(s, "");
        t = Tensor.ofStrings(s, dims);
      } else {
        t = Tensor.fromBuffer(spec.dtype(), ByteBuffer.allocateDirect(count * spec.dtype().byteSize()), dims);
      }
      b.put(spec.name(), t);
    }
    return b.build();
  }

}
