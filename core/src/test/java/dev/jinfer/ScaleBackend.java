package dev.jinfer;

import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pure-Java backend for core's own tests. It accepts files with its extension (default {@code .scale})
 * holding one number, the factor; its sessions multiply the FLOAT32 input {@code x} [-1, 2] by it into
 * the output {@code y} [-1, 2]. Tests steer it through the public volatile fields: fail on load, on
 * run or on close, block inside run on a latch, or advance a fake ticker inside run.
 */
public final class ScaleBackend implements Backend {
  /** The one signature every session has. */
  public static final ModelSignature SIGNATURE = ModelSignature.of(
      List.of(TensorSpec.of("x", DType.FLOAT32, Shape.DYNAMIC, 2)),
      List.of(TensorSpec.of("y", DType.FLOAT32, Shape.DYNAMIC, 2)));

  private final String name;
  private final int priority;
  private final boolean available;
  private final String extension;

  /** Every session this backend loaded, in order. */
  public final List<Session> sessions = new CopyOnWriteArrayList<>();
  /** Thrown by {@link #load} when set. */
  public volatile Exception loadFailure;
  /** Thrown by every run while set. */
  public volatile Exception runFailure;
  /** Thrown by a session's close when set. */
  public volatile RuntimeException closeFailure;
  /** When set, run counts this down and then waits for {@link #release}. */
  public volatile CountDownLatch entered;
  /** When set, run waits for it (after counting down {@link #entered}). */
  public volatile CountDownLatch release;
  /** When set, run advances it by {@link #runTime}. */
  public volatile FakeTicker ticker;
  /** How long a run takes on {@link #ticker}. */
  public volatile Duration runTime = Duration.ZERO;
  /**
   * Whether sessions say they can cancel. A cancellable run that waits on {@link #release} gives up at its
   * deadline with {@link DeadlineExceededException}, like an engine told to stop.
   */
  public volatile boolean cancellable;

  /** The default: name {@code scale}, priority 100, available, extension {@code .scale}. */
  public ScaleBackend() {
    this("scale", 100, true, ".scale");
  }

  /**
   * A configured backend.
   *
   * @param name its name
   * @param priority its priority
   * @param available what isAvailable answers
   * @param extension the file extension it accepts, e.g. {@code .scale}
   */
  public ScaleBackend(String name, int priority, boolean available, String extension) {
    this.name = name;
    this.priority = priority;
    this.available = available;
    this.extension = extension;
  }

  /**
   * Writes a model file.
   *
   * @param dir the directory
   * @param fileName the file name, with its extension
   * @param factor the factor its session multiplies by
   * @return the file
   * @throws IOException if writing fails
   */
  public static Path writeModel(Path dir, String fileName, float factor) throws IOException {
    return Files.writeString(dir.resolve(fileName), Float.toString(factor));
  }

  /**
   * A request for the scale signature.
   *
   * @param rows the rows of x, two values each
   * @return the request
   */
  public static NamedTensors input(float[]... rows) {
    return NamedTensors.of("x", Tensor.ofFloats(rows));
  }

  /** @return the only session loaded so far */
  public Session session() {
    if (sessions.size() != 1) {
      throw new IllegalStateException("expected one session but " + name + " loaded " + sessions.size());
    }
    return sessions.get(0);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int priority() {
    return priority;
  }

  @Override
  public boolean isAvailable() {
    return available;
  }

  @Override
  public boolean accepts(ModelSource source) {
    return source.fileName().endsWith(extension);
  }

  @Override
  public BackendSession load(ModelSource source, LoadOptions options) throws Exception {
    Exception failure = loadFailure;
    if (failure != null) {
      throw failure;
    }
    byte[] contents = source.contents();
    String text = contents != null ? new String(contents, java.nio.charset.StandardCharsets.UTF_8) : Files.readString(source.path());
    Session s = new Session(Float.parseFloat(text.trim()));
    sessions.add(s);
    return s;
  }

  @Override
  public String toString() {
    return "ScaleBackend[" + name + "]";
  }

  /** A loaded scale model; records what it was asked. */
  public final class Session implements BackendSession {
    private final float factor;
    /** Calls of run, warmup included. */
    public final AtomicInteger runs = new AtomicInteger();
    /** Calls of close. */
    public final AtomicInteger closes = new AtomicInteger();
    /** The inputs of every run, in order. */
    public final List<NamedTensors> inputs = new CopyOnWriteArrayList<>();
    /** The output names of every run, in order. */
    public final List<List<String>> outputNames = new CopyOnWriteArrayList<>();
    /** The thread of every run, in order. */
    public final List<Thread> threads = new CopyOnWriteArrayList<>();
    /** The deadline of every run that got one (cancellable sessions only), in order. */
    public final List<Deadline> deadlines = new CopyOnWriteArrayList<>();
    /** Runs that ended, normally or not. */
    public final AtomicInteger finished = new AtomicInteger();

    Session(float factor) {
      this.factor = factor;
    }

    @Override
    public ModelSignature signature() {
      return SIGNATURE;
    }

    @Override
    public Map<String, String> metadata() {
      return Map.of("producer", "ScaleBackend");
    }

    @Override
    public Device device() {
      return Device.cpu();
    }

    @Override
    public boolean supportsCancellation() {
      return cancellable;
    }

    @Override
    public NamedTensors run(NamedTensors in, List<String> names, Deadline deadline) throws Exception {
      deadlines.add(deadline);
      return run(in, names, deadline.remainingNanos());
    }

    @Override
    public NamedTensors run(NamedTensors in, List<String> names) throws Exception {
      return run(in, names, Long.MAX_VALUE);
    }

    private NamedTensors run(NamedTensors in, List<String> names, long stopAfterNanos) throws Exception {
      try {
        return compute(in, names, stopAfterNanos);
      } finally {
        finished.incrementAndGet();
      }
    }

    private NamedTensors compute(NamedTensors in, List<String> names, long stopAfterNanos) throws Exception {
      runs.incrementAndGet();
      threads.add(Thread.currentThread());
      inputs.add(in);
      outputNames.add(List.copyOf(names));
      CountDownLatch wait = release;
      if (wait != null) {
        entered.countDown();
        if (stopAfterNanos == Long.MAX_VALUE) {
          wait.await();
        } else if (!wait.await(stopAfterNanos, TimeUnit.NANOSECONDS)) {
          throw new DeadlineExceededException("scale engine stopped at the deadline");
        }
      }
      FakeTicker t = ticker;
      if (t != null) {
        t.advance(runTime);
      }
      Exception failure = runFailure;
      if (failure != null) {
        throw failure;
      }
      Tensor x = in.get("x");
      float[] values = x.toFloatArray();
      for (int i = 0; i < values.length; i++) {
        values[i] *= factor;
      }
      return NamedTensors.of("y", Tensor.ofFloats(values, x.shape().toArray()));
    }

    @Override
    public void close() {
      closes.incrementAndGet();
      RuntimeException failure = closeFailure;
      if (failure != null) {
        throw failure;
      }
    }
  }
}
