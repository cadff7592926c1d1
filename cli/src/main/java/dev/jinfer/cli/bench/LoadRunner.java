package dev.jinfer.cli.bench;

import dev.jinfer.cli.bench.ArrivalSchedule.Arrival;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.jspecify.annotations.Nullable;

/**
 * Runs one level of load against a target and measures it.
 *
 * <h2>Closed loop</h2>
 * {@code concurrency} client threads each send a request, wait for its answer and send the next; the
 * latency is the time of the call alone (input generation and preparation are not timed). When the requests
 * are generated without duplicates and the target does not cache, each client draws a ring of
 * {@value #RING} prepared requests before the level starts and cycles through it, so the measured loop does
 * no generation and shares no lock; otherwise each client draws its next request before each call, the time
 * spent doing so is measured, and a level where it exceeds {@value #GENERATION_WARNING_PERCENT}% of the
 * clients' time gets a warning (the tool, not the target, may be the bottleneck).
 *
 * <h2>Open loop</h2>
 * {@code maxInFlight} request threads take the slots of an {@link ArrivalSchedule} in turn: each sleeps until
 * its slot's intended time, sends, and takes the next free slot when the answer comes, so a slow answer never
 * delays a send while a thread is free (and no hand-off between threads adds to the latency). The latency is
 * measured from the <em>intended</em> send time, which corrects for coordinated omission: when the target
 * (or the tool) falls behind, the wait counts as latency instead of silently thinning the load. The largest
 * send lag, the rate achieved and how far behind schedule the loop is at each window's end are reported, so
 * a tool that cannot keep up, or a target that is overloaded, shows as such. A request is prepared before
 * its thread claims a slot, so input generation is never charged to its latency. When the last window
 * closes, the loop finishes the measured period: every slot due by then is still sent (however late) and
 * its answer awaited, within the drain timeout, and those latencies (the slowest of the level) go to the
 * last window's histogram; the throughput stays the requests that ended inside the windows.
 *
 * <h2>Windows</h2>
 * After the warmup, the level is measured in windows of fixed length (latencies go into an HdrHistogram
 * {@link Recorder}, flipped at each window's end) until the {@link StabilityDetector} says the last windows
 * agree (an open loop more than a window behind schedule is never stable), or the window limit is reached.
 * The level reports the stable windows, or every window when it did not become stable; the target's counters
 * are read at every window's end so theirs cover the reported windows too. Failed requests are counted by
 * type and do not stop the run; an exception thrown by the tool's own input generation or preparation, or
 * by a call (an {@link Error} included), is counted as {@code CLIENT <exception class>}.
 *
 * <p>Not thread-safe: one thread runs the levels one after another; each level's threads end before the
 * method returns (within the drain timeout).
 */
final class LoadRunner {
  /** Prepared requests per client in the closed loop, when a ring is safe. */
  static final int RING = 64;
  /** The share of the clients' time spent preparing requests above which a level is flagged. */
  static final int GENERATION_WARNING_PERCENT = 5;

  /** With a remote target: the share of the machine's CPUs used by the tool above which a level is flagged. */
  static final int CLIENT_CPU_WARNING_PERCENT = 90;
  /**
   * How a level is measured.
   *
   * @param warmup load before measuring
   * @param window the length of a measurement window
   * @param maxWindows the most windows per level
   * @param stableWindows how many trailing windows must agree
   * @param tolerance how far (relative) they may differ from their mean
   * @param sloNanos the latency objective for goodput, 0 for none
   * @param maxInFlight the open loop's request threads
   * @param seed the seed of Poisson arrivals
   * @param drainTimeout how long to wait for requests still running when a level ends
   */
  record Plan(Duration warmup, Duration window, int maxWindows, int stableWindows, double tolerance, long sloNanos,
      int maxInFlight, long seed, Duration drainTimeout) {}

  private final LoadTarget target;
  private final RequestSource source;
  private final Plan plan;
  private final List<String> warnings = new ArrayList<>();

  LoadRunner(LoadTarget target, RequestSource source, Plan plan) {
    this.target = target;
    this.source = source;
    this.plan = plan;
  }

  /** Problems met so far that the report should show (requests still running after the drain timeout). */
  List<String> warnings() {
    return List.copyOf(warnings);
  }

  /**
   * Runs a closed loop.
   *
   * @param concurrency client threads, at least 1
   * @return the measurement
   */
  LevelResult closedLoop(int concurrency) {
    target.resetBetweenLevels();
    LoadTarget.AsyncCall @Nullable [][] asyncRings = asyncRings(concurrency);
    if (asyncRings != null) {
      return closedLoopAsync(concurrency, asyncRings);
    }
    Recorder recorder = new Recorder(3);
    ErrorCounter errors = new ErrorCounter();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> clients = new ArrayList<>();
    LoadTarget.Call[][] rings = rings(concurrency);
    LongAdder preparing = new LongAdder();
    LongAdder busy = new LongAdder();
    LongAdder calling = new LongAdder();
    for (int c = 0; c < concurrency; c++) {
      LoadTarget.Call @Nullable [] ring = rings == null ? null : rings[c];
      Thread t = new Thread(() -> {
        int next = 0;
        while (running.get()) {
          LoadTarget.Call call;
          long prepareStart = System.nanoTime();
          if (ring != null) {
            call = ring[next++ & (RING - 1)];
          } else {
            try {
              call = target.prepare(source.next());
            } catch (RuntimeException | Error e) {
              errors.add(clientError(e));
              continue;
            } finally {
              preparing.add(System.nanoTime() - prepareStart);
            }
          }
          long start = System.nanoTime();
          String error;
          try {
            error = call.send();
          } catch (RuntimeException | Error e) {
            error = clientError(e);
          }
          long end = System.nanoTime();
          calling.add(end - start);
          record(recorder, errors, error, end - start);
          busy.add(System.nanoTime() - prepareStart);
        }
      }, "jinfer-bench-client-" + c);
      t.setDaemon(true);
      clients.add(t);
    }
    return closedLevel(concurrency, recorder, errors, running, () -> clients.forEach(Thread::start), deadline -> {
      int stuck = 0;
      for (Thread t : clients) {
        if (!join(t, deadline)) {
          stuck++;
        }
      }
      return stuck;
    }, () -> new long[] {busy.sum(), preparing.sum(), calling.sum()});
  }

  /**
   * A closed-loop level around its clients: starts them, measures, stops them, waits for them until the drain
   * timeout, warns of requests left running and runs the tool's check on itself.
   *
   * @param drain waits for the clients until the given deadline ({@code System.nanoTime()}); returns how many
   *     requests are still running
   * @param clientTimes the clients' summed busy, preparing and calling nanoseconds (zeros: not timed per client)
   */
  private LevelResult closedLevel(int concurrency, Recorder recorder, ErrorCounter errors, AtomicBoolean running,
      Runnable start, java.util.function.LongToIntFunction drain, java.util.function.Supplier<long[]> clientTimes) {
    long cpu0 = processCpuNanos();
    long wall0 = System.nanoTime();
    start.run();
    try {
      return measure(concurrency, 0, recorder, errors, null);
    } finally {
      long cpuNanos = processCpuNanos() - cpu0;
      long wallNanos = System.nanoTime() - wall0;
      running.set(false);
      int stuck = drain.applyAsInt(System.nanoTime() + plan.drainTimeout().toNanos());
      long[] times = clientTimes.get();
      endLevel(concurrency, stuck, times[0], times[1], times[2], cpuNanos, wallNanos);
    }
  }

  private void endLevel(int concurrency, int stuck, long busyNanos, long preparingNanos, long callingNanos, long cpuNanos,
      long wallNanos) {
    if (stuck > 0) {
      warnings.add("concurrency " + concurrency + ": " + stuck + " requests still running after the drain timeout ("
          + Durations.format(plan.drainTimeout()) + ")");
    }
    warnings.addAll(selfCheck("concurrency " + concurrency, busyNanos, preparingNanos, callingNanos, cpuNanos, wallNanos,
        Runtime.getRuntime().availableProcessors(), target.remote()));
  }

  /**
   * The closed loop without a thread per client: each client is a chain that sends its next request from the
   * callback of the last one's answer, so exactly {@code concurrency} requests are in flight and the tool's
   * threads are the target's I/O threads (for gRPC, one Netty event loop).
   */
  private LevelResult closedLoopAsync(int concurrency, LoadTarget.AsyncCall[][] rings) {
    Recorder recorder = new Recorder(3);
    ErrorCounter errors = new ErrorCounter();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger live = new AtomicInteger(concurrency);
    Object ended = new Object();
    List<Chain> chains = new ArrayList<>();
    for (int c = 0; c < concurrency; c++) {
      chains.add(new Chain(rings[c], running, recorder, errors, live, ended));
    }
    return closedLevel(concurrency, recorder, errors, running, () -> chains.forEach(Chain::fire), deadline -> {
      synchronized (ended) {
        long left;
        while (live.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
          try {
            TimeUnit.NANOSECONDS.timedWait(ended, left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
      return live.get();
    }, () -> new long[3]); // no per-client threads to time
  }

  /** One client of the event-driven closed loop: sends, and from the answer's callback records and sends again. */
  private static final class Chain implements java.util.function.Consumer<@Nullable String> {
    /** Completions that arrive inline (inside send) deeper than this resend from another thread. */
    private static final int MAX_INLINE = 16;
    private final LoadTarget.AsyncCall[] ring;
    private final AtomicBoolean running;
    private final Recorder recorder;
    private final ErrorCounter errors;
    private final AtomicInteger live;
    private final Object ended;
    private final AtomicInteger depth = new AtomicInteger();
    private int next;
    private volatile long start;

    Chain(LoadTarget.AsyncCall[] ring, AtomicBoolean running, Recorder recorder, ErrorCounter errors, AtomicInteger live,
        Object ended) {
      this.ring = ring;
      this.running = running;
      this.recorder = recorder;
      this.errors = errors;
      this.live = live;
      this.ended = ended;
    }

    /** Sends the next request, or ends the chain once the level is over. One request of a chain at a time. */
    void fire() {
      if (!running.get()) {
        if (live.decrementAndGet() == 0) {
          synchronized (ended) {
            ended.notifyAll();
          }
        }
        return;
      }
      LoadTarget.AsyncCall call = ring[next++ & (RING - 1)];
      depth.incrementAndGet();
      try {
        start = System.nanoTime();
        call.send(this);
      } catch (RuntimeException | Error e) {
        accept(clientError(e));
      } finally {
        depth.decrementAndGet();
      }
    }

    @Override
    public void accept(@Nullable String error) {
      record(recorder, errors, error, System.nanoTime() - start);
      if (depth.get() > MAX_INLINE) {
        java.util.concurrent.ForkJoinPool.commonPool().execute(this::fire); // answers arriving inline: no deep stack
      } else {
        fire();
      }
    }
  }

  /**
   * A ring of event-driven requests per client, or null when the target has none (or a ring would change what is
   * measured, as for {@link #rings}).
   */
  private LoadTarget.AsyncCall @Nullable [][] asyncRings(int concurrency) {
    if (!source.ringSafe() || target.caches()) {
      return null;
    }
    LoadTarget.AsyncCall[][] rings = new LoadTarget.AsyncCall[concurrency][RING];
    try {
      for (int c = 0; c < concurrency; c++) {
        for (int i = 0; i < RING; i++) {
          LoadTarget.AsyncCall call = target.prepareAsync(source.next(), c);
          if (call == null) {
            return null;
          }
          rings[c][i] = call;
        }
      }
    } catch (RuntimeException e) {
      return null;
    }
    return rings;
  }

  /**
   * The tool's check on itself after a closed-loop level: whether it, rather than the target, may have limited
   * the throughput. Flags a level whose clients spent more than {@value #GENERATION_WARNING_PERCENT}% of their
   * time generating and preparing requests, or more than that share outside the calls on their own bookkeeping
   * (recording latencies, counting; with a fast target on few CPUs, that is CPU taken from it), and, with a
   * remote target (this process is the tool alone), a process that used at least
   * {@value #CLIENT_CPU_WARNING_PERCENT}% of the machine's CPUs.
   *
   * @param level the level's name in the warning
   * @param busyNanos the clients' summed time in the loop
   * @param preparingNanos of which generating and preparing requests
   * @param callingNanos of which inside the calls
   * @param cpuNanos the process's CPU time over the level
   * @param wallNanos the level's wall time
   * @param cpus the CPUs available
   * @param remote whether the target runs in another process
   * @return the warnings, empty when the tool kept out of the way
   */
  static List<String> selfCheck(String level, long busyNanos, long preparingNanos, long callingNanos, long cpuNanos,
      long wallNanos, int cpus, boolean remote) {
    List<String> out = new ArrayList<>(0);
    if (remote && cpuNanos > 0 && wallNanos > 0 && cpus > 0
        && cpuNanos * 100 >= (double) wallNanos * cpus * CLIENT_CPU_WARNING_PERCENT) {
      out.add(String.format(java.util.Locale.ROOT, "%s: the tool used %.0f%% of the machine's %d CPUs: its clients,"
          + " not the service, may be the bottleneck (run it on another machine)", level,
          100.0 * cpuNanos / ((double) wallNanos * cpus), cpus));
    }
    if (busyNanos <= 0) {
      return out;
    }
    if (preparingNanos * 100 > busyNanos * GENERATION_WARNING_PERCENT) {
      out.add(String.format(java.util.Locale.ROOT, "%s: the clients spent %.0f%% of their time"
          + " generating and preparing requests: the tool, not the target, may be the bottleneck", level,
          100.0 * preparingNanos / busyNanos));
    }
    long bookkeeping = busyNanos - preparingNanos - callingNanos;
    if (bookkeeping * 100 > busyNanos * GENERATION_WARNING_PERCENT) {
      out.add(String.format(java.util.Locale.ROOT, "%s: the clients spent %.0f%% of their time outside the calls on"
          + " their own bookkeeping (recording latencies): the tool, not the target, may be the bottleneck", level,
          100.0 * bookkeeping / busyNanos));
    }
    return out;
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return -1;
  }

  /**
   * A ring of prepared requests per client, drawn before the level so the measured loop neither generates nor
   * shares a lock; null when that would change what is measured (duplicates, requests from files, a caching
   * target) or preparing fails (then each call draws its own, and its failures are counted as they come).
   */
  private LoadTarget.Call @Nullable [][] rings(int concurrency) {
    if (!source.ringSafe() || target.caches()) {
      return null;
    }
    LoadTarget.Call[][] rings = new LoadTarget.Call[concurrency][RING];
    try {
      for (LoadTarget.Call[] ring : rings) {
        for (int i = 0; i < RING; i++) {
          ring[i] = target.prepare(source.next());
        }
      }
    } catch (RuntimeException e) {
      return null;
    }
    return rings;
  }

  /**
   * Runs an open loop.
   *
   * @param rate requests per second, positive and finite
   * @param arrival fixed or Poisson gaps
   * @return the measurement
   */
  LevelResult openLoop(double rate, Arrival arrival) {
    target.resetBetweenLevels();
    Recorder recorder = new Recorder(3);
    ErrorCounter errors = new ErrorCounter();
    Sender sender = new Sender(arrival, new ArrivalSchedule(arrival, rate, plan.seed()), recorder, errors);
    long cpu0 = processCpuNanos();
    long wall0 = System.nanoTime();
    sender.start();
    try {
      return measure(0, rate, recorder, errors, sender);
    } finally {
      // the open loop's request threads prepare their next request off the clock and time only the call; what is
      // left to check is the tool's CPU against a remote service
      warnings.addAll(selfCheck("rate " + Units.compact(rate) + "/s", 0, 0, 0, processCpuNanos() - cpu0,
          System.nanoTime() - wall0, Runtime.getRuntime().availableProcessors(), target.remote()));
      if (!sender.finished) {
        // measure() failed before finishing the measured period: stop at once
        sender.stop();
        joinSender(rate, sender);
      }
    }
  }

  /**
   * Ends the measured period of an open loop whose last window closed at {@code end}: every slot due by then
   * is still sent and answered (within the drain timeout), so the slowest requests, those still waiting for
   * a thread or an answer when the window closed, are not silently dropped.
   *
   * @return whether every request thread ended within the drain timeout
   */
  private boolean finishSender(double rate, Sender sender, long end) {
    sender.finish(end);
    return joinSender(rate, sender);
  }

  private boolean joinSender(double rate, Sender sender) {
    long deadline = System.nanoTime() + plan.drainTimeout().toNanos();
    int stuck = 0;
    for (Thread t : sender.threads) {
      if (!join(t, deadline)) {
        stuck++;
      }
    }
    if (stuck > 0) {
      sender.stop();
      warnings.add("rate " + Units.compact(rate) + "/s: " + stuck + " request threads still busy after the drain timeout ("
          + Durations.format(plan.drainTimeout()) + "); requests due in the measured period but not answered by then"
          + " are missing from the figures");
    }
    return stuck == 0;
  }

  /** The error type of a request that failed in the tool itself (input generation or preparation, or a bug). */
  static String clientError(Throwable e) {
    return "CLIENT " + e.getClass().getSimpleName();
  }

  /**
   * Whether an open loop sent clearly fewer requests than were due: for fixed arrivals, less than 95%; for
   * Poisson arrivals, whose count in a period varies by about its square root, more than three standard
   * deviations below the expected count.
   *
   * @param sent requests sent
   * @param due requests expected in the same period (rate times seconds)
   * @param arrival the arrival process
   */
  static boolean behindSchedule(long sent, double due, Arrival arrival) {
    if (arrival == Arrival.POISSON) {
      return sent < due - 3 * Math.sqrt(due);
    }
    return sent < 0.95 * due;
  }

  private static void record(Recorder recorder, ErrorCounter errors, @Nullable String error, long nanos) {
    if (error == null) {
      recorder.recordValue(Math.max(0, nanos));
    } else {
      errors.add(error);
    }
  }

  private LevelResult measure(int concurrency, double rate, Recorder recorder, ErrorCounter errors,
      @Nullable Sender sender) {
    parkUntil(System.nanoTime() + plan.warmup().toNanos());
    recorder.getIntervalHistogram();
    errors.drain();
    if (sender != null) {
      sender.drainWindow();
    }
    // counters[i] is read at the start of window i, counters[n] after the last one
    List<Map<String, Long>> counterSnapshots = new ArrayList<>();
    counterSnapshots.add(target.counters());
    StabilityDetector detector = new StabilityDetector(plan.stableWindows(), plan.tolerance());
    List<WindowResult> windows = new ArrayList<>();
    List<Histogram> histograms = new ArrayList<>();
    List<Map<String, Long>> windowErrors = new ArrayList<>();
    long windowNanos = plan.window().toNanos();
    long start = System.nanoTime();
    long previous = start;
    boolean stable = false;
    for (int w = 0; w < plan.maxWindows() && !stable; w++) {
      parkUntil(start + (w + 1) * windowNanos);
      Histogram h = recorder.getIntervalHistogram();
      Map<String, Long> e = errors.drain();
      long now = System.nanoTime();
      double seconds = (now - previous) / 1e9;
      previous = now;
      long[] send = sender == null ? new long[3] : sender.drainWindow();
      counterSnapshots.add(target.counters());
      long total = h.getTotalCount();
      WindowResult window = new WindowResult(seconds, total, e.values().stream().mapToLong(Long::longValue).sum(),
          total == 0 ? 0 : h.getValueAtPercentile(50), total == 0 ? 0 : h.getValueAtPercentile(99),
          total == 0 ? 0 : h.getMaxValue(), send[0], send[1], send[2]);
      windows.add(window);
      histograms.add(h);
      windowErrors.add(e);
      detector.add(window.throughput(), window.p99Nanos());
      // a sender more than a window behind is overloaded: its latencies grow without bound, however alike
      // the last windows look
      boolean overloadedNow = send[2] > windowNanos;
      stable = detector.isStable() && !overloadedNow;
    }
    int reported = stable ? plan.stableWindows() : windows.size();
    int from = windows.size() - reported;

    long drainedRequests = 0;
    Map<String, Long> drainedErrors = Map.of();
    if (sender != null) {
      // finish the measured period: the requests due in it but still unsent or unanswered are the slowest
      // ones; their latencies (and failures) go to the last window
      finishSender(rate, sender, start + windows.size() * windowNanos);
      Histogram rest = recorder.getIntervalHistogram();
      drainedRequests = rest.getTotalCount();
      drainedErrors = errors.drain();
      histograms.get(histograms.size() - 1).add(rest);
    }

    Histogram latency = new Histogram(3);
    Map<String, Long> errorTotals = new TreeMap<>();
    double seconds = 0;
    long sent = 0;
    long maxLag = 0;
    for (int i = from; i < windows.size(); i++) {
      latency.add(histograms.get(i));
      windowErrors.get(i).forEach((k, v) -> errorTotals.merge(k, v, Long::sum));
      seconds += windows.get(i).seconds();
      sent += windows.get(i).sent();
      maxLag = Math.max(maxLag, windows.get(i).maxSendLagNanos());
    }
    drainedErrors.forEach((k, v) -> errorTotals.merge(k, v, Long::sum));
    Map<String, Long> before = counterSnapshots.get(from);
    Map<String, Long> counters = new LinkedHashMap<>();
    counterSnapshots.get(windows.size()).forEach((k, v) -> counters.put(k, v - before.getOrDefault(k, 0L)));
    LevelResult.OpenLoopStats open = null;
    if (sender != null) {
      double sentRate = seconds > 0 ? sent / seconds : 0;
      long behind = windows.get(windows.size() - 1).behindNanos();
      open = new LevelResult.OpenLoopStats(sentRate, maxLag, behind,
          behindSchedule(sent, rate * seconds, sender.arrival), behind > windowNanos);
    }
    return new LevelResult(concurrency, rate, source.rows(), latency, drainedRequests, seconds, errorTotals,
        plan.sloNanos(), stable, List.copyOf(windows), reported, counters, open);
  }

  private static void parkUntil(long deadline) {
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  private static boolean join(Thread t, long deadline) {
    try {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !t.isAlive();
  }

  /**
   * The open loop's request threads. Each one claims the next slot of the schedule, sleeps until its
   * intended time, sends, waits for the answer and claims the next slot; with {@code maxInFlight} threads,
   * a slow answer delays nothing as long as a thread is free. When none is, the next slots are claimed late:
   * that lag is charged to their latency (measured from the intended time) and reported.
   */
  private final class Sender {
    final List<Thread> threads = new ArrayList<>();
    final Arrival arrival;
    private final ArrivalSchedule schedule;
    private final Recorder recorder;
    private final ErrorCounter errors;
    private volatile boolean running = true;
    // the intended time of the last slot to send: the end of the measured period once it is known
    private volatile long lastIntended = Long.MAX_VALUE;
    // set by finish(): the measuring thread owns the drain
    volatile boolean finished;
    private final LongAdder sent = new LongAdder();
    private final AtomicLong maxLag = new AtomicLong();
    private final long start;
    // guarded by this: the intended offset of the next unclaimed slot
    private long nextOffset;

    Sender(Arrival arrival, ArrivalSchedule schedule, Recorder recorder, ErrorCounter errors) {
      this.arrival = arrival;
      this.schedule = schedule;
      this.recorder = recorder;
      this.errors = errors;
      this.nextOffset = schedule.nextOffsetNanos();
      for (int i = 0; i < plan.maxInFlight(); i++) {
        Thread t = new Thread(this::sendLoop, "jinfer-bench-request-" + i);
        t.setDaemon(true);
        threads.add(t);
      }
      this.start = System.nanoTime();
    }

    void start() {
      threads.forEach(Thread::start);
    }

    private synchronized long claim() {
      long offset = nextOffset;
      nextOffset = schedule.nextOffsetNanos();
      return start + offset;
    }

    private synchronized long nextIntended() {
      return start + nextOffset;
    }

    private void sendLoop() {
      while (running) {
        // the request is prepared before its slot is claimed, so the tool's own work is not charged to it
        LoadTarget.@Nullable Call call = null;
        String error = null;
        try {
          call = target.prepare(source.next());
        } catch (RuntimeException | Error e) {
          error = clientError(e);
        }
        long intended = claim();
        if (intended > lastIntended) {
          return;
        }
        long now;
        while ((now = System.nanoTime()) < intended) {
          if (!running || intended > lastIntended) {
            return;
          }
          LockSupport.parkNanos(intended - now);
        }
        maxLag.accumulateAndGet(now - intended, Math::max);
        sent.increment();
        if (call != null) {
          try {
            error = call.send();
          } catch (RuntimeException | Error e) {
            error = clientError(e);
          }
        }
        record(recorder, errors, error, System.nanoTime() - intended);
      }
    }

    /**
     * Ends the schedule at {@code end}: the threads still send every slot intended by then, however late,
     * and return once they claim a later one.
     */
    void finish(long end) {
      finished = true;
      lastIntended = end;
      threads.forEach(LockSupport::unpark);
    }

    /**
     * Since the last call: {@code [sent, maxLag, behind]}, where behind is how long overdue the next
     * unsent request is now (0 when every request due has gone out).
     */
    long[] drainWindow() {
      long behind = Math.max(0, System.nanoTime() - nextIntended());
      return new long[] {sent.sumThenReset(), maxLag.getAndSet(0), behind};
    }

    void stop() {
      running = false;
      threads.forEach(LockSupport::unpark);
    }
  }

  /** Failed requests by type, drained once per window. Thread-safe. */
  static final class ErrorCounter {
    private final AtomicReference<ConcurrentHashMap<String, LongAdder>> current =
        new AtomicReference<>(new ConcurrentHashMap<>());

    void add(String type) {
      current.get().computeIfAbsent(type, k -> new LongAdder()).increment();
    }

    /** The counts since the last call, sorted by type. */
    Map<String, Long> drain() {
      Map<String, Long> out = new TreeMap<>();
      current.getAndSet(new ConcurrentHashMap<>()).forEach((k, v) -> out.put(k, v.sum()));
      return out;
    }
  }
}
