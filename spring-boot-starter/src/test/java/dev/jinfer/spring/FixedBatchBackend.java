package dev.jinfer.spring;

import dev.jinfer.DType;
import dev.jinfer.Device;
import dev.jinfer.LoadOptions;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

/**
 * A backend whose models cannot be batched: files ending {@code .fixed} hold a factor, and the session multiplies
 * the FLOAT32 input {@code x} of the fixed shape [1, 2] by it into {@code y} [1, 2]. Thread-safe.
 */
final class FixedBatchBackend implements Backend {
  static final ModelSignature SIGNATURE = ModelSignature.of(List.of(TensorSpec.of("x", DType.FLOAT32, 1, 2)),
      List.of(TensorSpec.of("y", DType.FLOAT32, 1, 2)));

  @Override
  public String name() {
    return "fixed";
  }

  @Override
  public int priority() {
    return 100;
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public boolean accepts(ModelSource source) {
    return source.fileName().endsWith(".fixed");
  }

  @Override
  public BackendSession load(ModelSource source, LoadOptions options) throws Exception {
    float factor = Float.parseFloat(Files.readString(source.path()).trim());
    return new BackendSession() {
      @Override
      public ModelSignature signature() {
        return SIGNATURE;
      }

      @Override
      public Map<String, String> metadata() {
        return Map.of();
      }

      @Override
      public Device device() {
        return Device.cpu();
      }

      @Override
      public NamedTensors run(NamedTensors inputs, List<String> outputNames) {
        float[] x = inputs.get("x").toFloatArray();
        return NamedTensors.of("y", Tensor.ofFloats(new float[] {x[0] * factor, x[1] * factor}, 1, 2));
      }

      @Override
      public void close() {}
    };
  }
}
