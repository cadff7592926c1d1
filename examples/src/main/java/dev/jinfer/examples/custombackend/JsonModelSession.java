package dev.jinfer.examples.custombackend;

import dev.jinfer.Device;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A loaded {@code .jmodel.json} model: runs its ops in file order on the caller's thread. Holds no
 * per-call state and no native resources, so {@link #run} is thread-safe and {@link #close()} has
 * nothing to release.
 */
final class JsonModelSession implements dev.jinfer.spi.BackendSession {
  private final ModelSignature signature;
  private final List<Op> ops;
  private final Map<String, String> metadata;

  JsonModelSession(ModelSignature signature, List<Op> ops, Map<String, String> metadata) {
    this.signature = signature;
    this.ops = List.copyOf(ops);
    this.metadata = Map.copyOf(metadata);
  }

  @Override
  public ModelSignature signature() {
    return signature;
  }

  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public Device device() {
    return Device.cpu();
  }

  @Override
  public NamedTensors run(NamedTensors inputs, List<String> outputNames) {
    Map<String, Tensor> values = new HashMap<>(inputs.asMap());
    for (Op op : ops) {
      values.put(op.output(), op.apply(values));
    }
    NamedTensors.Builder out = NamedTensors.newBuilder();
    for (String name : outputNames) {
      out.put(name, values.get(name));
    }
    return out.build();
  }

  @Override
  public void close() {
    // nothing native to release; core calls this once no call is in flight
  }
}
