package dev.jinfer.registry;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of a {@link ModelRegistry}: every model's status, readiness and liveness, for a health
 * endpoint or a log line.
 *
 * <p>Readiness means every required model has a loaded, warm version routed to; liveness means the
 * registry is running (started, not closed, and its watch thread, if any, still scheduled). Immutable,
 * so thread-safe.
 */
public final class RegistryStatus {
  private final List<ModelStatus> models;
  private final boolean live;
  private final Instant asOf;

  /**
   * Creates a snapshot.
   *
   * @param models every model, sorted by name
   * @param live whether the registry is running
   * @param asOf when the snapshot was taken (the registry's clock)
   * @throws NullPointerException if an argument is null
   */
  public RegistryStatus(List<ModelStatus> models, boolean live, Instant asOf) {
    this.models = List.copyOf(models);
    this.live = live;
    this.asOf = Objects.requireNonNull(asOf, "asOf");
  }

  /**
   * Every model the registry knows, sorted by name.
   *
   * @return an unmodifiable list
   */
  public List<ModelStatus> models() {
    return models;
  }

  /**
   * One model's status.
   *
   * @param name the model name
   * @return its status, or empty if the registry does not know it
   */
  public Optional<ModelStatus> model(String name) {
    return models.stream().filter(m -> m.name().equals(name)).findFirst();
  }

  /**
   * Readiness: the registry is live and every required model is ready.
   *
   * @return true when traffic can be sent to every required model
   */
  public boolean isReady() {
    return live && models.stream().filter(ModelStatus::required).allMatch(ModelStatus::isReady);
  }

  /**
   * Liveness: started, not closed, and the watch thread (when polling is on) has not died.
   *
   * @return true while the registry is running
   */
  public boolean isLive() {
    return live;
  }

  /**
   * When the snapshot was taken.
   *
   * @return the registry clock's instant
   */
  public Instant asOf() {
    return asOf;
  }

  @Override
  public String toString() {
    return "RegistryStatus{ready=" + isReady() + ", live=" + live + ", models=" + models + "}";
  }
}
