package dev.jinfer.examples.rest;

import dev.jinfer.ModelClosedException;
import dev.jinfer.ModelNotFoundException;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.ModelStatus;
import dev.jinfer.registry.RegistryStatus;
import dev.jinfer.registry.VersionState;
import dev.jinfer.registry.VersionStatus;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One inference call on the serving chain of the version a request names, for every wire protocol the
 * service speaks (the {@code /v1} JSON API, the Open Inference Protocol over HTTP and over gRPC): resolves the
 * version, parses the request against that version's signature, runs it, and retries once on the version
 * serving now if a hot swap retired the resolved one under the call (see {@link Pipelines}). Thread-safe.
 */
final class Inference {
  /** The outcome of a call: the chain that computed it, the parsed request and the outputs. */
  record Result<R>(Pipelines.Pipeline served, R request, NamedTensors outputs) {}

  private final ModelRegistry registry;
  private final Pipelines pipelines;

  Inference(ModelRegistry registry, Pipelines pipelines) {
    this.registry = registry;
    this.pipelines = pipelines;
  }

  /**
   * Parses and runs one request.
   *
   * @param name the model
   * @param version a version or alias, or null for the serving version
   * @param parse the request against the signature of the resolved version
   * @param call runs the parsed request on the chain
   * @return the result
   * @throws ApiException 404 for a malformed or unknown name, version or alias, 503 for a model with no ready version
   * @throws RuntimeException whatever parsing or the chain throws
   */
  <R> Result<R> run(String name, @Nullable String version, Function<ModelSignature, R> parse,
      BiFunction<Predictor, R, NamedTensors> call) {
    for (int attempt = 0;; attempt++) {
      Pipelines.Pipeline p = null;
      try {
        // resolving is inside the retry too: a version retired between routing and building its chain is
        // retried on the version serving now
        p = resolve(name, version);
        R request = parse.apply(p.predictor().signature());
        return new Result<>(p, request, call.apply(p.predictor(), request));
      } catch (IllegalStateException | ModelClosedException | ModelNotFoundException e) {
        if (attempt == 0 && (p == null || p.isClosed() || !sameVersion(p, name, version))) {
          continue; // the version was swapped out under the call: once more on the one serving now
        }
        throw e;
      }
    }
  }

  /**
   * The chain serving a model; 503 for a model in the repository with no ready version yet, 404 for a
   * malformed name, version or alias (the only place an IllegalArgumentException means "not found").
   *
   * @throws ApiException 404 or 503 as above
   * @throws ModelNotFoundException for an unknown model, version or alias
   */
  Pipelines.Pipeline resolve(String name, @Nullable String version) {
    try {
      return pipelines.resolve(name, version);
    } catch (IllegalArgumentException e) {
      throw new ApiException(404, "MODEL_NOT_FOUND", e.getMessage());
    } catch (ModelNotFoundException e) {
      if (version == null && registry.status().model(name).isPresent()) {
        throw new ApiException(503, "SERVICE_UNAVAILABLE", "model '" + name + "' has no ready version yet: " + e.getMessage(), 1, e);
      }
      throw e;
    }
  }

  /**
   * Whether a model (a version, if given) can serve now.
   *
   * @throws ModelNotFoundException for a model the repository does not hold
   */
  boolean isReady(String name, @Nullable String version) {
    ModelStatus m = registry.status().model(name).orElseThrow(() -> new ModelNotFoundException("model '" + name
        + "': not in the repository " + registry.repository()));
    if (version == null) {
      return m.isReady();
    }
    try {
      resolve(name, version);
      return true;
    } catch (ApiException | ModelNotFoundException e) {
      return false;
    }
  }

  /** @return the versions of a model that are loaded and can serve, oldest first; empty for an unknown model */
  List<String> readyVersions(String name) {
    return readyVersionStatus(name).stream().map(VersionStatus::version).toList();
  }

  /** @return the status of each version of a model that is loaded and can serve, oldest first; empty for an unknown model */
  List<VersionStatus> readyVersionStatus(String name) {
    return registry.status().model(name).map(m -> m.versions().stream().filter(v -> v.state() == VersionState.READY)
        .toList()).orElse(List.of());
  }

  /** @return whether the registry runs, holds a model and every model has a ready version */
  boolean isServerReady() {
    RegistryStatus s = registry.status();
    return s.isReady() && !s.models().isEmpty();
  }

  private boolean sameVersion(Pipelines.Pipeline p, String name, @Nullable String version) {
    try {
      return pipelines.resolve(name, version).id().equals(p.id());
    } catch (RuntimeException e) {
      return false; // the version is gone (or the lookup fails): the retry resolves again and answers that
    }
  }
}
