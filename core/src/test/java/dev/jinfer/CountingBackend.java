package dev.jinfer;

import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend that delegates to another and counts what happens to its sessions: loads attempted,
 * sessions open now, and every misuse a registry must never commit (a session closed while a call runs
 * on it, a call on a closed session, a session closed twice). Thread-safe; for registry tests in core
 * (over {@link ScaleBackend}) and in the backends (over a real engine).
 */
public final class CountingBackend implements Backend {
  private final Backend delegate;
  /** Calls of load, successful or not. */
  public final AtomicInteger loadsAttempted = new AtomicInteger();
  /** Sessions loaded and not yet closed. */
  public final AtomicInteger open = new AtomicInteger();
  /** Sessions loaded in all. */
  public final AtomicInteger opened = new AtomicInteger();
  /** Every misuse seen, described. */
  public final List<String> violations = new CopyOnWriteArrayList<>();

  /**
   * Wraps a backend.
   *
   * @param delegate the backend that does the work
   */
  public CountingBackend(Backend delegate) {
    this.delegate = delegate;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public int priority() {
    return delegate.priority();
  }

  @Override
  public boolean isAvailable() {
    return delegate.isAvailable();
  }

  @Override
  public boolean accepts(ModelSource source) {
    return delegate.accepts(source);
  }

  @Override
  public BackendSession load(ModelSource source, LoadOptions options) throws Exception {
    loadsAttempted.incrementAndGet();
    BackendSession s = delegate.load(source, options);
    open.incrementAndGet();
    opened.incrementAndGet();
    return new Counted(s, source.id());
  }

  @Override
  public String toString() {
    return "CountingBackend[" + delegate + "]";
  }

  private final class Counted implements BackendSession {
    private final BackendSession session;
    private final ModelId id;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    Counted(BackendSession session, ModelId id) {
      this.session = session;
      this.id = id;
    }

    @Override
    public ModelSignature signature() {
      return session.signature();
    }

    @Override
    public Map<String, String> metadata() {
      return session.metadata();
    }

    @Override
    public Device device() {
      return session.device();
    }

    @Override
    public NamedTensors run(NamedTensors inputs, List<String> outputNames) throws Exception {
      running.incrementAndGet();
      try {
        if (closed.get()) {
          violations.add("run on closed session " + id);
        }
        return session.run(inputs, outputNames);
      } finally {
        running.decrementAndGet();
      }
    }

    @Override
    public boolean supportsCancellation() {
      return session.supportsCancellation();
    }

    @Override
    public NamedTensors run(NamedTensors inputs, List<String> outputNames, Deadline deadline) throws Exception {
      running.incrementAndGet();
      try {
        if (closed.get()) {
          violations.add("run on closed session " + id);
        }
        return session.run(inputs, outputNames, deadline);
      } finally {
        running.decrementAndGet();
      }
    }

    @Override
    public void close() {
      if (!closed.compareAndSet(false, true)) {
        violations.add("session " + id + " closed twice");
        return;
      }
      if (running.get() != 0) {
        violations.add("session " + id + " closed while " + running.get() + " call(s) ran on it");
      }
      open.decrementAndGet();
      session.close();
    }
  }
}
