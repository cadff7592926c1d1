package dev.jinfer.serving;

import dev.jinfer.BackendException;
import dev.jinfer.CallOptions;
import dev.jinfer.DType;
import dev.jinfer.ForwardingPredictor;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The chain's check of what the engine answered, right above the version's predictor (so a batch is
 * checked before the batcher splits it, a bad answer counts as an engine failure for the breaker, and it is
 * never cached). Every output must be one that was asked for (all, if none was named), with the signature's
 * dtype, rank and fixed dimensions; with {@code checkRows} (the chain batches, so the first dimension is the
 * batch dimension), the same first dimension as the first input when both are dynamic; with
 * {@code rejectNonFinite}, no NaN or infinite element. A violation is a {@link BackendException} naming the output, what was expected and
 * what came. Thread-safe.
 */
final class OutputCheck extends ForwardingPredictor {
  private final boolean rejectNonFinite;
  private final boolean checkRows;
  /** The version's signature: the chain's handle is pinned to one version, so it does not change. */
  private final ModelSignature signature;

  OutputCheck(Predictor delegate, boolean rejectNonFinite, boolean checkRows) {
    super(delegate);
    this.rejectNonFinite = rejectNonFinite;
    this.checkRows = checkRows;
    this.signature = delegate.signature();
  }

  @Override
  public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
    return check(inputs, outputNames, delegate().predict(inputs, outputNames, options));
  }

  @Override
  public CompletableFuture<NamedTensors> predictAsync(NamedTensors inputs, List<String> outputNames, CallOptions options,
      Executor executor) {
    return delegate().predictAsync(inputs, outputNames, options, executor).thenApply(out -> check(inputs, outputNames, out));
  }

  private NamedTensors check(NamedTensors inputs, List<String> outputNames, NamedTensors out) {
    List<String> wanted = outputNames.isEmpty() ? signature.outputNames() : outputNames;
    long rows = checkRows ? batchRows(signature, inputs) : -1;
    for (String name : wanted) {
      TensorSpec spec = signature.output(name).orElse(null);
      Tensor t = out.contains(name) ? out.get(name) : null;
      if (t == null) {
        throw fail(name, spec == null ? "an output that was asked for" : describe(spec), "none");
      }
      if (spec == null) {
        continue;
      }
      if (t.dtype() != spec.dtype() || !spec.shape().accepts(t.shape())) {
        throw fail(name, describe(spec), t.dtype() + " " + t.shape());
      }
      if (rows >= 0 && spec.shape().rank() > 0 && spec.shape().dim(0) < 0 && t.shape().dim(0) != rows) {
        throw fail(name, spec.dtype() + " " + spec.shape() + " with " + rows + " rows (one per input row)",
            t.dtype() + " " + t.shape());
      }
      if (rejectNonFinite && t.dtype().isFloatingPoint()) {
        int bad = firstNonFinite(t);
        if (bad >= 0) {
          throw fail(name, "finite values", "element " + bad + " = "
              + (t.dtype() == DType.FLOAT64 ? t.getDouble(bad) : t.getFloat(bad)));
        }
      }
    }
    return out;
  }

  /** The first input's rows when its first dimension is dynamic (a batch dimension), else -1. */
  private static long batchRows(ModelSignature signature, NamedTensors inputs) {
    if (signature.inputs().isEmpty()) {
      return -1;
    }
    TensorSpec first = signature.inputs().get(0);
    if (first.shape().rank() == 0 || first.shape().dim(0) >= 0 || !inputs.contains(first.name())) {
      return -1;
    }
    Tensor t = inputs.get(first.name());
    return t.shape().rank() == 0 ? -1 : t.shape().dim(0);
  }

  private BackendException fail(String output, String expected, String got) {
    return new BackendException("model " + delegate().modelId() + ": output '" + output + "': expected " + expected
        + " but the engine returned " + got);
  }

  private static String describe(TensorSpec spec) {
    return spec.dtype() + " " + spec.shape();
  }

  private static int firstNonFinite(Tensor t) {
    int n = t.elementCount();
    for (int i = 0; i < n; i++) {
      boolean finite = t.dtype() == DType.FLOAT64 ? Double.isFinite(t.getDouble(i)) : Float.isFinite(t.getFloat(i));
      if (!finite) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return "OutputCheck[" + delegate() + (rejectNonFinite ? ", finite" : "") + "]";
  }
}
