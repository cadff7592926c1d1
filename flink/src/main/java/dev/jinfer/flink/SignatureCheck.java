package dev.jinfer.flink;

import dev.jinfer.DType;
import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelSignature;
import dev.jinfer.Shape;
import dev.jinfer.TensorSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** The checks {@code open} makes of a model's signature against what the job declares. */
final class SignatureCheck {
  private SignatureCheck() {
  }

  /** A declared input, in a form that travels with the job graph. */
  record Declared(String name, DType dtype, long[] dims) implements Serializable {
    static Declared of(TensorSpec spec) {
      return new Declared(spec.name(), spec.dtype(), spec.shape().toArray());
    }

    TensorSpec spec() {
      return TensorSpec.of(name, dtype, dims);
    }
  }

  /**
   * Checks the declared inputs (if any) and the output names (if any) against the model's signature.
   *
   * @param location the model location, for messages
   * @param signature the model's
   * @param inputs the declared inputs; empty: not checked
   * @param outputNames the requested outputs; empty: all
   * @throws InvalidInputException naming the first input or output that does not fit
   */
  static void check(String location, ModelSignature signature, List<Declared> inputs, List<String> outputNames) {
    for (String name : outputNames) {
      if (signature.output(name).isEmpty()) {
        throw new InvalidInputException("outputNames: model " + location + " has no output '" + name + "'; expected one of "
            + signature.outputNames());
      }
    }
    if (inputs.isEmpty()) {
      return;
    }
    List<String> declaredNames = new ArrayList<>();
    for (Declared d : inputs) {
      declaredNames.add(d.name());
      TensorSpec declared = d.spec();
      TensorSpec model = signature.input(d.name()).orElseThrow(() -> new InvalidInputException("input '" + d.name()
          + "': the job declares " + declared.dtype() + " " + declared.shape() + " but model " + location
          + " has no such input; its inputs are " + signature.inputs()));
      if (!fits(declared, model)) {
        throw new InvalidInputException("input '" + d.name() + "': model " + location + " expects " + model.dtype() + " "
            + model.shape() + " but the job declares " + declared.dtype() + " " + declared.shape());
      }
    }
    for (TensorSpec model : signature.inputs()) {
      if (!declaredNames.contains(model.name())) {
        throw new InvalidInputException("input '" + model.name() + "': model " + location + " expects " + model.dtype() + " "
            + model.shape() + " but the job declares no such input (it declares " + declaredNames + ")");
      }
    }
  }

  /** Same dtype and rank; where both dimensions are fixed, equal. */
  private static boolean fits(TensorSpec declared, TensorSpec model) {
    Shape a = declared.shape();
    Shape b = model.shape();
    if (declared.dtype() != model.dtype() || a.rank() != b.rank()) {
      return false;
    }
    for (int i = 0; i < a.rank(); i++) {
      if (a.dim(i) != Shape.DYNAMIC && b.dim(i) != Shape.DYNAMIC && a.dim(i) != b.dim(i)) {
        return false;
      }
    }
    return true;
  }
}
