package dev.jinfer;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a caller says about one call, beside its inputs: a {@link Deadline}, a {@link Priority}, and
 * attachments for what a layer may need later (a trace context, a tenant), keyed by {@link Key}. Every
 * {@link Predictor} takes it on {@link Predictor#predict(NamedTensors, java.util.List, CallOptions)}, and
 * every decorator passes it on unchanged, so the deadline and the priority reach the layer that uses them
 * whatever the order of the decorators (cache, breaker, batcher, registry, model).
 *
 * <pre>{@code
 * CallOptions urgent = CallOptions.of(Deadline.after(Duration.ofMillis(20))).withPriority(Priority.HIGH);
 * NamedTensors out = predictor.predict(inputs, List.of(), urgent);
 * }</pre>
 *
 * <p>Immutable and thread-safe; the {@code with*} methods return a new instance.
 */
public final class CallOptions {
  private static final CallOptions DEFAULTS = new CallOptions(null, Priority.NORMAL, Map.of());

  private final @Nullable Deadline deadline;
  private final Priority priority;
  private final Map<Key<?>, Object> attachments;

  private CallOptions(@Nullable Deadline deadline, Priority priority, Map<Key<?>, Object> attachments) {
    this.deadline = deadline;
    this.priority = priority;
    this.attachments = attachments;
  }

  /**
   * No deadline, {@link Priority#NORMAL}, no attachments.
   *
   * @return the shared default instance
   */
  public static CallOptions defaults() {
    return DEFAULTS;
  }

  /**
   * A deadline and the other defaults.
   *
   * @param deadline when the call must be done
   * @return the options
   * @throws InvalidInputException if the deadline is null
   */
  public static CallOptions of(Deadline deadline) {
    return DEFAULTS.withDeadline(deadline);
  }

  /**
   * A priority and the other defaults.
   *
   * @param priority how urgently the call is served
   * @return the options
   * @throws InvalidInputException if the priority is null
   */
  public static CallOptions of(Priority priority) {
    return DEFAULTS.withPriority(priority);
  }

  /**
   * The deadline, if the caller set one.
   *
   * @return the deadline, or empty for none
   */
  public Optional<Deadline> deadline() {
    return Optional.ofNullable(deadline);
  }

  /**
   * The deadline or null, for hot paths that should not allocate.
   *
   * @return the deadline, or null for none
   */
  public @Nullable Deadline deadlineOrNull() {
    return deadline;
  }

  /**
   * How urgently the call is served.
   *
   * @return the priority; {@link Priority#NORMAL} unless set
   */
  public Priority priority() {
    return priority;
  }

  /**
   * An attachment.
   *
   * @param key the attachment's key
   * @param <T> its type
   * @return the value, or empty if none is attached under this key
   */
  public <T> Optional<T> get(Key<T> key) {
    return Optional.ofNullable(key.type.cast(attachments.get(key)));
  }

  /**
   * These options with a deadline.
   *
   * @param newDeadline when the call must be done
   * @return new options
   * @throws InvalidInputException if the deadline is null
   */
  public CallOptions withDeadline(Deadline newDeadline) {
    if (newDeadline == null) {
      throw new InvalidInputException("deadline: expected a Deadline but got null");
    }
    return new CallOptions(newDeadline, priority, attachments);
  }

  /**
   * These options without a deadline.
   *
   * @return new options, or these if they have none
   */
  public CallOptions withoutDeadline() {
    return deadline == null ? this : new CallOptions(null, priority, attachments);
  }

  /**
   * These options with a priority.
   *
   * @param newPriority how urgently the call is served
   * @return new options
   * @throws InvalidInputException if the priority is null
   */
  public CallOptions withPriority(Priority newPriority) {
    if (newPriority == null) {
      throw new InvalidInputException("priority: expected a Priority but got null");
    }
    return newPriority == priority ? this : new CallOptions(deadline, newPriority, attachments);
  }

  /**
   * These options with an attachment (replacing one under the same key).
   *
   * @param key the key
   * @param value the value
   * @param <T> its type
   * @return new options
   * @throws InvalidInputException if the key or the value is null, or the value is not of the key's type
   */
  public <T> CallOptions with(Key<T> key, T value) {
    if (key == null || value == null) {
      throw new InvalidInputException("attachment: expected a key and a value but got " + key + " = " + value);
    }
    if (!key.type.isInstance(value)) {
      throw new InvalidInputException("attachment '" + key.name + "': expected a " + key.type.getName() + " but got a "
          + value.getClass().getName());
    }
    Map<Key<?>, Object> copy = new IdentityHashMap<>(attachments);
    copy.put(key, value);
    return new CallOptions(deadline, priority, Map.copyOf(copy));
  }

  @Override
  public String toString() {
    return "CallOptions[deadline=" + deadline + ", priority=" + priority
        + (attachments.isEmpty() ? "" : ", attachments=" + attachments.keySet()) + "]";
  }

  /**
   * The key of an attachment. Keys compare by identity: create one per purpose and keep it in a constant,
   * as {@code io.grpc.Context.Key} does. Immutable and thread-safe.
   *
   * @param <T> the type of the attached value
   */
  public static final class Key<T> {
    private final String name;
    private final Class<T> type;

    private Key(String name, Class<T> type) {
      this.name = name;
      this.type = type;
    }

    /**
     * A new key.
     *
     * @param name for messages and {@code toString}
     * @param type the type of the values attached under it
     * @param <T> that type
     * @return a key equal only to itself
     * @throws NullPointerException if an argument is null
     */
    public static <T> Key<T> of(String name, Class<T> type) {
      return new Key<>(Objects.requireNonNull(name, "name"), Objects.requireNonNull(type, "type"));
    }

    /** @return the key's name */
    public String name() {
      return name;
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
