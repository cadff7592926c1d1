package dev.jinfer.spring;

import dev.jinfer.registry.ModelRegistry;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;

/**
 * Drives the application's readiness and liveness from the registry. Once the application has said it
 * accepts traffic, readiness turns (at once, on this bridge's own thread) {@code REFUSING_TRAFFIC} while a required model cannot serve and back to
 * {@code ACCEPTING_TRAFFIC} when it can again; liveness turns {@code BROKEN} if the registry stops running
 * (its watch task died) and {@code CORRECT} when it runs again. Checked at every readiness change and every
 * {@code jinfer.health.availability-check-interval}. Stops (and publishes nothing more) when the context stops,
 * so a shutting-down application is never made ready again.
 *
 * <p>Thread-safe.
 */
final class RegistryAvailability implements SmartLifecycle, ApplicationListener<AvailabilityChangeEvent<ReadinessState>> {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryAvailability.class);

  private final ModelRegistry registry;
  private final Duration interval;
  private final ObjectProvider<ApplicationAvailability> availability;
  private final ApplicationEventPublisher publisher;
  private @Nullable ScheduledExecutorService checker;
  private boolean running;
  private boolean appAccepting;
  private boolean refusedByUs;
  private boolean brokenByUs;

  RegistryAvailability(ModelRegistry registry, Duration interval, ObjectProvider<ApplicationAvailability> availability,
      ApplicationEventPublisher publisher) {
    this.registry = registry;
    this.interval = interval;
    this.availability = availability;
    this.publisher = publisher;
  }

  @Override
  public void onApplicationEvent(AvailabilityChangeEvent<ReadinessState> event) {
    if (event.getSource() == this) {
      return;
    }
    ScheduledExecutorService s;
    synchronized (this) {
      appAccepting = event.getState() == ReadinessState.ACCEPTING_TRAFFIC;
      refusedByUs = false;
      s = checker;
    }
    if (s != null) {
      // not inline: Spring's own listener must record this change before ours may override it
      s.execute(this::checkQuietly);
    }
  }

  /** Compares readiness and liveness with the registry and publishes what changed. */
  synchronized void check() {
    if (!running) {
      return;
    }
    boolean live = registry.isLive();
    if (!live && !brokenByUs) {
      brokenByUs = true;
      LOG.warn("jinfer: the model registry stopped running; liveness BROKEN");
      AvailabilityChangeEvent.publish(publisher, this, LivenessState.BROKEN);
    } else if (live && brokenByUs) {
      brokenByUs = false;
      AvailabilityChangeEvent.publish(publisher, this, LivenessState.CORRECT);
    }
    if (!appAccepting) {
      return;
    }
    boolean ready = registry.isReady();
    // compared with the state Spring holds, not only with what this bridge published last: Spring's own
    // listener may record the application's ACCEPTING_TRAFFIC after this bridge's refusal
    ApplicationAvailability a = availability.getIfAvailable();
    ReadinessState current = a != null ? a.getReadinessState() : null;
    if (!ready && current != ReadinessState.REFUSING_TRAFFIC) {
      refusedByUs = true;
      LOG.warn("jinfer: a required model cannot serve; readiness REFUSING_TRAFFIC: {}", registry.status());
      AvailabilityChangeEvent.publish(publisher, this, ReadinessState.REFUSING_TRAFFIC);
    } else if (ready && refusedByUs) {
      refusedByUs = false;
      LOG.info("jinfer: every required model serves again; readiness ACCEPTING_TRAFFIC");
      AvailabilityChangeEvent.publish(publisher, this, ReadinessState.ACCEPTING_TRAFFIC);
    }
  }

  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    ApplicationAvailability a = availability.getIfAvailable();
    appAccepting = a != null && a.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
    ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "jinfer-availability");
      t.setDaemon(true);
      return t;
    });
    long nanos = interval.toNanos();
    s.scheduleWithFixedDelay(this::checkQuietly, nanos, nanos, TimeUnit.NANOSECONDS);
    checker = s;
  }

  private void checkQuietly() {
    try {
      check();
    } catch (RuntimeException e) {
      LOG.warn("jinfer: availability check failed", e);
    }
  }

  @Override
  public void stop() {
    ScheduledExecutorService s;
    synchronized (this) {
      running = false;
      appAccepting = false;
      s = checker;
      checker = null;
    }
    if (s != null) {
      s.shutdownNow();
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return running;
  }
}
