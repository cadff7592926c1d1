package dev.jinfer.spring;

import static dev.jinfer.spring.StarterFixtures.await;
import static dev.jinfer.spring.StarterFixtures.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.Predictor;
import dev.jinfer.ScaleBackend;
import dev.jinfer.registry.ModelRegistry;
import dev.jinfer.registry.RegistryRepo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closing the context under load: every call the Predictor bean accepted gets its answer; later ones are refused. */
class GracefulShutdownTest {
  @TempDir
  Path dir;

  @Test
  void shutdownUnderLoad_losesNoAcceptedCall_andClosesTheRegistryLast() throws Exception {
    RegistryRepo repo = new RegistryRepo(dir);
    repo.scale("fraud", "1", 2f);
    ScaleBackend backend = new ScaleBackend();
    int clients = 6;
    AtomicInteger answered = new AtomicInteger();
    ConcurrentLinkedQueue<Throwable> wrong = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> refused = new ConcurrentLinkedQueue<>();
    StarterFixtures.runner(backend, repo.root()).withPropertyValues("jinfer.repository.warmup-calls=0",
        "jinfer.models.fraud.batching.enabled=true", "jinfer.models.fraud.batching.max-batch-size=2",
        "jinfer.models.fraud.batching.max-queue-delay=1ms", "jinfer.models.fraud.batching.workers=1").run(ctx -> {
          ModelPredictor fraud = (ModelPredictor) ctx.getBean("fraud", Predictor.class);
          ModelRegistry registry = ctx.getBean(ModelRegistry.class);
          backend.entered = new CountDownLatch(1);
          backend.release = new CountDownLatch(1);
          List<Thread> threads = new ArrayList<>();
          for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
              for (int i = 0; ; i++) {
                float v = client * 1000 + i;
                float[] y;
                try {
                  y = fraud.predict(row(v, 1)).get("y").toFloatArray();
                } catch (IllegalStateException e) {
                  if (String.valueOf(e.getMessage()).contains("Predictor bean of model 'fraud' is closed")) {
                    refused.add(e);
                  } else {
                    wrong.add(e);
                  }
                  return;
                } catch (RuntimeException e) {
                  wrong.add(e);
                  return;
                }
                if (y[0] != 2 * v || y[1] != 2f) {
                  wrong.add(new AssertionError("call " + v + " answered " + y[0] + ", " + y[1]));
                }
                answered.incrementAndGet();
              }
            }, "client-" + c);
            t.start();
            threads.add(t);
          }
          backend.entered.await();
          // the engine is busy with one batch; the other clients' calls wait in the batcher's queue
          await(Duration.ofSeconds(10), () -> fraud.currentChain().batcher().orElseThrow().stats().queuedRequests() >= clients - 2);
          int acceptedBeforeClose = answered.get() + clients;
          Thread closer = new Thread(ctx::close, "closer");
          closer.start();
          await(Duration.ofSeconds(10), fraud::isClosed);
          assertThat(registry.isLive()).as("the registry closes only after the predictors").isTrue();
          backend.release.countDown();
          closer.join(Duration.ofSeconds(30).toMillis());
          for (Thread t : threads) {
            t.join(Duration.ofSeconds(30).toMillis());
          }
          assertThat(closer.isAlive()).isFalse();
          assertThat(wrong).isEmpty();
          assertThat(refused).hasSize(clients);
          assertThat(answered.get()).isGreaterThanOrEqualTo(acceptedBeforeClose);
          assertThat(registry.isLive()).isFalse();
          assertThat(backend.sessions.get(0).closes.get()).isEqualTo(1);
        });
  }
}
