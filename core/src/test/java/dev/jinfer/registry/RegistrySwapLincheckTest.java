package dev.jinfer.registry;

import dev.jinfer.CallOptions;
import dev.jinfer.Device;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.ModelId;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.kotlinx.lincheck.annotations.Operation;
import org.jetbrains.kotlinx.lincheck.annotations.Validate;
import org.jetbrains.kotlinx.lincheck.strategy.managed.modelchecking.ModelCheckingOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of the registry's swap and lease protocol (Lincheck, model checking), on the real
 * {@link ServedVersion} and its lease counter: a call reads the route, leases its version and routes again
 * if that version was retired meanwhile (as {@link RegistryPredictor#predict} does); a swap publishes a new
 * version in one volatile write and then retires the old one (as {@link ModelSlot#reload} does, under the
 * registry's lock). Every history must be one of {@link Spec}, a plain version counter: a call is served by
 * the version current at some instant of the call, never by a closed model, and a swap never fails a call.
 * After each scenario every retired version is closed (its last call closed it) and the current one is not.
 */
@Timeout(120)
class RegistrySwapLincheckTest {

  /** A model that only knows whether it is closed. */
  static final class FakeModel implements Model {
    // a number, not a ModelId: Lincheck 2.39's model checker cannot instrument objects that reach a record
    private final long version;
    private final AtomicInteger closes = new AtomicInteger();
    private final Predictor predictor = new Predictor() {
      @Override
      public ModelId modelId() {
        return id();
      }

      @Override
      public ModelSignature signature() {
        throw new UnsupportedOperationException();
      }

      @Override
      public NamedTensors predict(NamedTensors inputs, List<String> outputNames, CallOptions options) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void close() {
        // a handle: closing it frees nothing
      }
    };

    FakeModel(long version) {
      this.version = version;
    }

    @Override
    public ModelId id() {
      return new ModelId("m", Long.toString(version));
    }

    @Override
    public ModelSignature signature() {
      throw new UnsupportedOperationException();
    }

    @Override
    public String backend() {
      return "fake";
    }

    @Override
    public Device device() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Map<String, String> metadata() {
      return Map.of();
    }

    @Override
    public LoadOptions options() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Predictor predictor() {
      return predictor;
    }

    @Override
    public boolean isClosed() {
      return closes.get() > 0;
    }

    int closes() {
      return closes.get();
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }

    @Override
    public boolean close(Duration timeout) {
      close();
      return true;
    }
  }

  /** A route of one version, swapped like a registry slot's. */
  public static final class Harness {
    private final List<ServedVersion> versions = new ArrayList<>();
    private volatile ServedVersion route;

    public Harness() {
      route = version(1);
    }

    private ServedVersion version(long n) {
      ServedVersion v = new ServedVersion(n, Long.toString(n), new FakeModel(n), sv -> { });
      versions.add(v);
      return v;
    }

    /** @return the version that served the call, or -1 if its model was closed under the lease */
    @Operation
    public long call() {
      for (;;) {
        ServedVersion v = route;
        if (v.tryAcquire()) {
          try {
            return v.model().isClosed() ? -1 : v.number();
          } finally {
            v.release();
          }
        }
        Thread.onSpinWait();
      }
    }

    /** Publishes the next version, then retires the one it replaces (the registry's lock serializes swaps). */
    @Operation
    public synchronized long swap() {
      ServedVersion old = route;
      ServedVersion next = version(old.number() + 1);
      route = next;
      old.retire();
      return next.number();
    }

    @Operation
    public long current() {
      return route.number();
    }

    /** After the scenario (no call in flight): every replaced version is closed, the current one is not. */
    @Validate
    public void everyRetiredVersionIsClosed() {
      ServedVersion now = route;
      for (ServedVersion v : versions) {
        int closes = ((FakeModel) v.model()).closes();
        if (closes != (v == now ? 0 : 1) || v.leases() != 0) {
          throw new IllegalStateException("after the calls: " + v + " closed " + closes
              + " times, but the current version is " + now);
        }
      }
    }
  }

  /** The sequential specification: a version number that each swap increments. */
  public static final class Spec {
    private long version = 1;

    public long call() {
      return version;
    }

    public long swap() {
      return ++version;
    }

    public long current() {
      return version;
    }
  }

  @Test
  void swapAndLease_isLinearizable_andClosesEachRetiredVersionOnce() {
    LinChecker.check(Harness.class, new ModelCheckingOptions()
        .iterations(20)
        .invocationsPerIteration(200)
        .threads(3)
        .actorsPerThread(3)
        .actorsBefore(1)
        .actorsAfter(1)
        .sequentialSpecification(Spec.class));
  }
}
