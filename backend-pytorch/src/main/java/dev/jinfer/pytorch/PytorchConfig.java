package dev.jinfer.pytorch;

import dev.jinfer.Device;
import dev.jinfer.LoadOptions;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The settings of one load, read and validated from {@link LoadOptions}.
 *
 * @param device where the model runs
 * @param intraOpThreads libtorch intra-op threads (set on the calling thread of every call)
 * @param interOpThreads libtorch inter-op threads (process-wide, settable once)
 * @param graphOptimizer whether TorchScript's profiling graph executor optimizes the graph
 * @param warmupBatchSizes batch sizes run at load time, each {@link PytorchBackend#WARMUP_CALLS_PER_SHAPE} times
 * @param verifySignature whether a load-time call checks the model against its signature
 * @param signature the {@value PytorchBackend#SIGNATURE} property, or null to read the sidecar
 */
record PytorchConfig(Device device, int intraOpThreads, int interOpThreads, boolean graphOptimizer,
    List<Integer> warmupBatchSizes, boolean verifySignature, @Nullable String signature) {

  private static final List<String> KNOWN = List.of(PytorchBackend.SIGNATURE, PytorchBackend.GRAPH_OPTIMIZER,
      PytorchBackend.WARMUP_BATCH_SIZES, PytorchBackend.VERIFY_SIGNATURE);

  /**
   * Reads the options.
   *
   * @param options the load options
   * @return the settings
   * @throws IllegalArgumentException naming the property if a {@code pytorch.*} property is unknown or invalid
   */
  static PytorchConfig from(LoadOptions options) {
    for (String key : options.properties().keySet()) {
      if (key.startsWith("pytorch.") && !KNOWN.contains(key)) {
        throw new IllegalArgumentException("property " + key + " is not a PyTorch backend property; known: " + KNOWN);
      }
    }
    return new PytorchConfig(
        options.device(),
        options.intraOpThreads(),
        options.interOpThreads(),
        options.booleanProperty(PytorchBackend.GRAPH_OPTIMIZER, false),
        batchSizes(options.property(PytorchBackend.WARMUP_BATCH_SIZES).orElse("1")),
        options.booleanProperty(PytorchBackend.VERIFY_SIGNATURE, true),
        options.property(PytorchBackend.SIGNATURE).orElse(null));
  }

  static List<Integer> batchSizes(String value) {
    List<Integer> sizes = new ArrayList<>();
    String v = value.trim();
    if (v.isEmpty() || v.equalsIgnoreCase("none")) {
      return List.of();
    }
    for (String part : v.split(",")) {
      int n;
      try {
        n = Integer.parseInt(part.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("property " + PytorchBackend.WARMUP_BATCH_SIZES
            + " must be a comma-separated list of batch sizes >= 1 (or 'none') but was '" + value + "'", e);
      }
      if (n < 1) {
        throw new IllegalArgumentException("property " + PytorchBackend.WARMUP_BATCH_SIZES
            + " must list batch sizes >= 1 but has " + n);
      }
      if (!sizes.contains(n)) {
        sizes.add(n);
      }
    }
    return List.copyOf(sizes);
  }

  @Override
  public String toString() {
    return "device " + device + ", intra-op " + intraOpThreads + ", inter-op " + interOpThreads + ", graph optimizer "
        + graphOptimizer + ", warmup batch sizes " + warmupBatchSizes + ", verify signature " + verifySignature;
  }
}
