package dev.jinfer.spring;

import dev.jinfer.ModelLoadException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Startup failed because of a model: it failed to load, or its serving options do not fit it. Names the
 * property to look at and its value; the starter's failure analyzer turns it into Spring Boot's
 * "APPLICATION FAILED TO START" report.
 *
 * <p>Immutable, so thread-safe.
 */
public class ModelStartupException extends ModelLoadException {
  private static final long serialVersionUID = 1L;

  private final String property;
  private final String value;
  private final String reason;
  private final String action;

  /**
   * @param property the property to look at, e.g. {@code jinfer.repository.root}
   * @param value its value
   * @param message what went wrong
   * @param action what to do about it
   * @param cause the underlying error, if any
   */
  public ModelStartupException(String property, String value, String message, String action, @Nullable Throwable cause) {
    super(Objects.requireNonNull(property, "property") + "=" + value + ": " + message, cause);
    this.property = property;
    this.value = Objects.requireNonNull(value, "value");
    this.reason = message;
    this.action = Objects.requireNonNull(action, "action");
  }

  /** @return the property to look at */
  public String property() {
    return property;
  }

  /** @return the property's value */
  public String value() {
    return value;
  }

  /** @return what went wrong, without the property and value */
  public String reason() {
    return reason;
  }

  /** @return what to do about it */
  public String action() {
    return action;
  }
}
