package dev.jinfer.tensorflow;

import dev.jinfer.Device;
import dev.jinfer.LoadOptions;
import dev.jinfer.OptimizationLevel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;
import org.tensorflow.proto.RewriterConfig;

/**
 * The engine settings of one load, read and validated from {@link LoadOptions}.
 *
 * @param device where the model runs
 * @param tags the meta graph's tags
 * @param signatureKey the signature to serve
 * @param intraOpThreads {@code intra_op_parallelism_threads}
 * @param interOpThreads {@code inter_op_parallelism_threads}, in a pool of the session's own
 * @param optimization the optimization level asked for
 * @param remapping whether grappler's remapper (fused kernels) runs
 * @param nativeCacheDir the JavaCPP cache directory asked for, or null
 */
record TensorflowConfig(Device device, List<String> tags, String signatureKey, int intraOpThreads, int interOpThreads,
    OptimizationLevel optimization, boolean remapping, @Nullable Path nativeCacheDir) {

  private static final List<String> KNOWN = List.of(TensorflowBackend.TAGS, TensorflowBackend.SIGNATURE,
      TensorflowBackend.NATIVE_CACHE_DIR, TensorflowBackend.REMAPPING);

  /**
   * Reads the options.
   *
   * @param options the load options
   * @return the settings
   * @throws IllegalArgumentException naming the property if a {@code tensorflow.*} property is unknown or invalid
   */
  static TensorflowConfig from(LoadOptions options) {
    for (String key : options.properties().keySet()) {
      if (key.startsWith("tensorflow.") && !KNOWN.contains(key)) {
        throw new IllegalArgumentException("property " + key + " is not a TensorFlow backend property; known: " + KNOWN);
      }
    }
    List<String> tags = new ArrayList<>();
    for (String tag : options.property(TensorflowBackend.TAGS).orElse(TensorflowBackend.DEFAULT_TAGS).split(",", -1)) {
      String t = tag.strip();
      if (t.isEmpty()) {
        throw new IllegalArgumentException("property " + TensorflowBackend.TAGS
            + " must be a comma-separated list of non-empty tags but was '" + options.property(TensorflowBackend.TAGS).orElse("")
            + "'");
      }
      tags.add(t);
    }
    String signature = options.property(TensorflowBackend.SIGNATURE).orElse(TensorflowBackend.DEFAULT_SIGNATURE).strip();
    if (signature.isEmpty()) {
      throw new IllegalArgumentException("property " + TensorflowBackend.SIGNATURE + " must be a signature key but was blank");
    }
    Path cacheDir = null;
    String dir = options.property(TensorflowBackend.NATIVE_CACHE_DIR).orElse(null);
    if (dir != null) {
      if (dir.isBlank()) {
        throw new IllegalArgumentException("property " + TensorflowBackend.NATIVE_CACHE_DIR + " must be a directory but was blank");
      }
      cacheDir = Path.of(dir);
    }
    return new TensorflowConfig(options.device(), List.copyOf(tags), signature, options.intraOpThreads(),
        options.interOpThreads(), options.optimizationLevel(), options.booleanProperty(TensorflowBackend.REMAPPING, false),
        cacheDir);
  }

  /**
   * The session configuration: thread counts, a per-session inter-op pool, the graph optimizations and,
   * for a GPU, the visible device. {@link OptimizationLevel#NONE} turns off TensorFlow's graph optimizer
   * (level L0) and grappler; every other level keeps TensorFlow's defaults (L1, grappler on) except the
   * remapper, which stays off unless {@link TensorflowBackend#REMAPPING} is true.
   *
   * @return the proto
   */
  ConfigProto configProto() {
    boolean none = optimization == OptimizationLevel.NONE;
    RewriterConfig.Builder rewrite = RewriterConfig.newBuilder();
    if (none) {
      rewrite.setDisableMetaOptimizer(true);
    } else if (!remapping) {
      rewrite.setRemapping(RewriterConfig.Toggle.OFF);
    }
    ConfigProto.Builder config = ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(intraOpThreads)
        .setInterOpParallelismThreads(interOpThreads)
        .setUsePerSessionThreads(true)
        .setGraphOptions(GraphOptions.newBuilder()
            .setOptimizerOptions(OptimizerOptions.newBuilder().setOptLevel(none ? OptimizerOptions.Level.L0 : OptimizerOptions.Level.L1))
            .setRewriteOptions(rewrite));
    if (device.isGpu()) {
      config.setGpuOptions(GPUOptions.newBuilder().setVisibleDeviceList(Integer.toString(device.index())).setAllowGrowth(true));
    }
    return config.build();
  }

  @Override
  public String toString() {
    return "device " + device + ", tags " + tags + ", signature '" + signatureKey + "', intra-op threads " + intraOpThreads
        + ", inter-op threads " + interOpThreads + " (own pool), optimizer "
        + (optimization == OptimizationLevel.NONE ? "L0, grappler off" : "L1, grappler on, remapper " + (remapping ? "on" : "off"));
  }
}
