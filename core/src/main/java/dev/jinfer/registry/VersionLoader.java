package dev.jinfer.registry;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelId;
import dev.jinfer.ModelLoadException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Shape;
import dev.jinfer.TensorSpec;
import dev.jinfer.internal.WarmupInputs;
import dev.jinfer.spi.Backend;
import dev.jinfer.spi.ModelSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Loads one version for a registry: finds the artifact (inside the root only), checks its checksum,
 * loads it through the backends, and warms it up on synthetic inputs shaped by the signature and the
 * user's declared shapes, closing the model if anything after the load fails. Stateless, so thread-safe.
 */
final class VersionLoader {
  private final RegistryConfig config;

  /**
   * Creates a loader.
   *
   * @param config the registry configuration
   */
  public VersionLoader(RegistryConfig config) {
    this.config = config;
  }

  /**
   * Loads, checks and warms up a version directory of a repository on disk.
   *
   * @param layout the repository (the registry's own, or the temporary copy of a classpath version)
   * @param name the model name
   * @param label the version's directory name
   * @param versionDir the version directory
   * @return the ready model, owned by the caller; nothing to clean up
   * @throws ModelLoadException (or another {@code InferenceException}) if any step fails
   * @throws IOException if the repository cannot be read
   */
  public LoadedVersion load(RepositoryLayout layout, String name, String label, Path versionDir) throws IOException {
    ModelId id = new ModelId(name, label);
    Path artifact = layout.artifact(versionDir, p -> accepted(p, id));
    ArtifactDigest.verify(layout, artifact, config.integrity());
    Model model = config.backends().load(artifact, options(name, label));
    return warm(model, id, LoadedVersion.NOTHING);
  }

  /**
   * Loads and warms up a model file held in memory: in memory when the backend loads from bytes, else through
   * the temporary copy {@link dev.jinfer.Backends#load(byte[], String, LoadOptions)} makes and deletes.
   *
   * @param name the model name
   * @param label the version label
   * @param contents the file's bytes, not empty
   * @param fileName the file's name (its extension picks the backend)
   * @return the ready model, owned by the caller; nothing to clean up
   * @throws dev.jinfer.InferenceException if the engine rejects it, no backend accepts it, or warmup fails
   */
  public LoadedVersion loadBytes(String name, String label, byte[] contents, String fileName) {
    Model model = config.backends().load(contents, fileName, options(name, label));
    return warm(model, new ModelId(name, label), LoadedVersion.NOTHING);
  }

  /**
   * Loads and warms up a model file or directory outside any repository (a version registered from a path).
   *
   * @param name the model name
   * @param label the version label
   * @param artifact the file or directory
   * @return the ready model, owned by the caller; nothing to clean up
   * @throws dev.jinfer.InferenceException if it is missing, the engine rejects it, or warmup fails
   */
  public LoadedVersion loadPath(String name, String label, Path artifact) {
    Model model = config.backends().load(artifact, options(name, label));
    return warm(model, new ModelId(name, label), LoadedVersion.NOTHING);
  }

  /**
   * The backend a model file held in memory would load with: the forced one, else the highest-priority
   * available backend that accepts it.
   *
   * @param source the file in memory
   * @return the backend, or null if none would
   */
  public @Nullable Backend backendFor(ModelSource source) {
    Optional<String> forced = config.loadOptions().backend();
    for (Backend b : config.backends().all()) {
      if (forced.isPresent() ? b.name().equalsIgnoreCase(forced.get()) : b.isAvailable() && b.accepts(source)) {
        return b;
      }
    }
    return null;
  }

  /** @return the registry's integrity mode */
  public IntegrityMode integrity() {
    return config.integrity();
  }

  private LoadOptions options(String name, String label) {
    return config.loadOptions().toBuilder().modelName(name).modelVersion(label).warmupCalls(0).build();
  }

  private LoadedVersion warm(Model model, ModelId id, Runnable cleanup) {
    try {
      if (config.warmupCalls() > 0) {
        NamedTensors inputs = warmupInputs(model.signature(), config.warmupShapes().getOrDefault(id.name(), Map.of()), id);
        var predictor = model.predictor();
        for (int i = 0; i < config.warmupCalls(); i++) {
          predictor.predict(inputs);
        }
      }
      return new LoadedVersion(model, cleanup);
    } catch (RuntimeException e) {
      try {
        model.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new ModelLoadException("model " + id + ": warmup failed: " + e.getMessage(), e);
    }
  }

  private boolean accepted(Path candidate, ModelId id) {
    ModelSource source = new ModelSource(candidate, id);
    Optional<String> forced = config.loadOptions().backend();
    for (Backend b : config.backends().all()) {
      if ((forced.isEmpty() || b.name().equalsIgnoreCase(forced.get())) && b.isAvailable() && b.accepts(source)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Zero-valued warmup inputs: each input takes its declared shape, or its signature shape with dynamic
   * dimensions set to 1.
   *
   * @param signature the model's signature
   * @param declared input name to concrete shape
   * @param id the model, for messages
   * @return the inputs
   * @throws ModelLoadException if a declared shape names no input or does not fit the input's spec
   */
  static NamedTensors warmupInputs(ModelSignature signature, Map<String, long[]> declared, ModelId id) {
    for (String input : declared.keySet()) {
      if (signature.input(input).isEmpty()) {
        throw new ModelLoadException("model " + id + ": a warmup shape is declared for input '" + input
            + "' but the model has no such input; inputs: " + signature.inputs().stream().map(TensorSpec::name).toList());
      }
    }
    List<TensorSpec> inputs = new ArrayList<>();
    for (TensorSpec spec : signature.inputs()) {
      long[] dims = declared.get(spec.name());
      if (dims == null) {
        inputs.add(spec);
        continue;
      }
      Shape concrete = Shape.of(dims);
      if (!spec.shape().accepts(concrete)) {
        throw new ModelLoadException("model " + id + ": the warmup shape for input '" + spec.name() + "' is "
            + Arrays.toString(dims) + " but the input is " + spec);
      }
      inputs.add(new TensorSpec(spec.name(), spec.dtype(), concrete));
    }
    return WarmupInputs.of(ModelSignature.of(inputs, signature.outputs()));
  }
}
