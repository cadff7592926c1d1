package dev.jinfer.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jinfer.MetricsTable;
import dev.jinfer.ModelId;
import dev.jinfer.NamedTensors;
import dev.jinfer.breaker.CircuitBreaker;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Redis tier against a real redis-server that this class starts, stops and restarts itself (see
 * {@link RedisServer}); never skipped.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisTierTest {
  /** Per prediction while Redis is down or slow: the tier's timeout plus generous scheduling slack. */
  private static final long BOUNDED_MS = 250;

  private static RedisServer server;
  private static ClientResources resources;
  private static RedisClient client;
  private static StatefulRedisConnection<byte[], byte[]> admin;

  @BeforeAll
  static void startRedis() throws Exception {
    server = RedisServer.start();
    resources = ClientResources.builder().reconnectDelay(Delay.constant(Duration.ofMillis(50))).build();
    client = RedisClient.create(resources);
    client.setOptions(ClientOptions.builder().disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
    admin = client.connect(ByteArrayCodec.INSTANCE, RedisURI.create(server.uri()));
  }

  @AfterAll
  static void stopRedis() {
    if (admin != null) {
      admin.close();
    }
    if (client != null) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    if (resources != null) {
      resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  @AfterEach
  void cleanUp() throws Exception {
    server.restart(); // no-op when running
    waitUntil(() -> "+OK".equals(server.command("FLUSHALL")), "FLUSHALL");
  }

  private static CircuitBreaker fastBreaker() {
    return CircuitBreaker.newBuilder(new ModelId("fake-redis-tier", "1")).countBasedWindow(5).minimumNumberOfCalls(3)
        .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMillis(300)).permittedCallsInHalfOpenState(1)
        .failurePredicate(t -> true).build();
  }

  private static RedisTier tier(Duration timeout) {
    return RedisTier.newBuilder(client, RedisURI.create(server.uri())).timeout(timeout).ttl(Duration.ofMinutes(5))
        .circuitBreaker(fastBreaker()).build();
  }

  private static CachedPredictor cache(FakeModel model, RedisTier tier) {
    return CachedPredictor.newBuilder(model).redisTier(tier).build();
  }

  private static RedisCommands<byte[], byte[]> redis() {
    return admin.sync();
  }

  @Test
  void aSecondInstance_isServedFromRedis_withoutCallingItsModel() throws Exception {
    FakeModel m1 = new FakeModel();
    FakeModel m2 = new FakeModel();
    RedisTier tier = tier(Duration.ofMillis(500));
    try (CachedPredictor a = cache(m1, tier); CachedPredictor b = cache(m2, tier)) {
      NamedTensors fromModel = a.predict(FakeModel.input(1, 2, 3));
      waitUntil(() -> a.stats().redis().writes() == 1, "the write");
      List<byte[]> keys = redis().keys("*");
      assertThat(keys).hasSize(1);
      String key = new String(keys.get(0), StandardCharsets.UTF_8);
      assertThat(key).matches("jinfer:cache:fake:1:[0-9a-f]{32}");
      assertThat(redis().pttl(keys.get(0))).isBetween(1L, Duration.ofMinutes(5).toMillis());
      byte[] value = redis().get(keys.get(0));
      assertThat(java.nio.ByteBuffer.wrap(value).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt()).isEqualTo(ValueCodec.MAGIC);

      NamedTensors fromRedis = b.predict(FakeModel.input(1, 2, 3));
      assertThat(fromRedis).isEqualTo(fromModel);
      assertThat(m2.calls).hasValue(0);
      assertThat(b.stats().redis().hits()).isEqualTo(1);
      assertThat(b.predict(FakeModel.input(1, 2, 3))).isSameAs(fromRedis); // now in b's own memory
      assertThat(b.stats().redis().hits()).isEqualTo(1);
    }
  }

  @Test
  void withARedisTier_theCacheRegistersExactlyTheReadmesCacheRows() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (CachedPredictor c = CachedPredictor.newBuilder(new FakeModel()).redisTier(tier(Duration.ofMillis(500)))
        .meterRegistry(meters).build()) {
      c.predict(FakeModel.input(7, 8));
      MetricsTable.check(meters, row -> row.from().equals("cache") || row.from().equals("cache with Redis"));
    }
  }

  @Test
  void corruptedBytesInRedis_areDetected_ignored_andReplaced() throws Exception {
    FakeModel m1 = new FakeModel();
    FakeModel m2 = new FakeModel();
    RedisTier tier = tier(Duration.ofMillis(500));
    try (CachedPredictor a = cache(m1, tier)) {
      a.predict(FakeModel.input(4, 5));
      waitUntil(() -> a.stats().redis().writes() == 1, "the write");
    }
    byte[] key = redis().keys("*").get(0);
    byte[] value = redis().get(key);
    value[value.length / 2] ^= 0x01;
    redis().set(key, value);
    try (CachedPredictor b = cache(m2, tier)) {
      assertThat(b.predict(FakeModel.input(4, 5)).get("y").toFloatArray()).containsExactly(9, 11);
      assertThat(m2.calls).hasValue(1);
      assertThat(b.stats().redis().corrupt()).isEqualTo(1);
      assertThat(b.stats().redis().hits()).isZero();
      waitUntil(() -> b.stats().redis().writes() == 1, "the rewrite");
    }
    FakeModel m3 = new FakeModel();
    try (CachedPredictor c = cache(m3, tier)) {
      assertThat(c.predict(FakeModel.input(4, 5)).get("y").toFloatArray()).containsExactly(9, 11);
      assertThat(m3.calls).hasValue(0);
    }
  }

  @Test
  void aHashCollisionInRedis_isAMiss_neverAFalseHit() throws Exception {
    FakeModel m1 = new FakeModel();
    FakeModel m2 = new FakeModel();
    RedisTier tier = tier(Duration.ofMillis(500));
    try (CachedPredictor a = CachedPredictor.newBuilder(m1).redisTier(tier).hashMaskForTesting(0).build();
        CachedPredictor b = CachedPredictor.newBuilder(m2).redisTier(tier).hashMaskForTesting(0).build()) {
      a.predict(FakeModel.input(1));
      waitUntil(() -> a.stats().redis().writes() == 1, "the write");
      // same 128-bit hash, so the same Redis key, but other inputs
      assertThat(b.predict(FakeModel.input(2)).get("y").getFloat(0)).isEqualTo(5f);
      assertThat(m2.calls).hasValue(1);
      assertThat(b.stats().redis().misses()).isEqualTo(1);
      assertThat(b.stats().redis().hits()).isZero();
    }
  }

  @Test
  void redisDown_neverFailsNorSlowsPredictions() throws Exception {
    server.stop();
    FakeModel model = new FakeModel();
    try (CachedPredictor p = cache(model, tier(Duration.ofMillis(20)))) {
      for (int i = 0; i < 50; i++) {
        assertPredictsPromptly(p, i);
      }
      assertThat(model.calls).hasValue(50);
      RedisTierStats s = p.stats().redis();
      assertThat(s.errors() + s.timeouts()).isPositive();
      assertThat(s.skipped()).as("the breaker opened and stopped calling Redis").isPositive();
    }
  }

  @Test
  void slowRedis_countsAsAMiss_withinTheTimeout() throws Exception {
    FakeModel model = new FakeModel();
    try (CachedPredictor p = cache(model, tier(Duration.ofMillis(20)))) {
      assertPredictsPromptly(p, -1); // connected and healthy
      CompletableFuture<String> sleep = CompletableFuture.supplyAsync(() -> server.command("DEBUG", "SLEEP", "1.5"));
      // predictions stay prompt from the moment the server stops answering, which the first timeout shows
      int i = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (p.stats().redis().timeouts() == 0 && System.nanoTime() < deadline) {
        assertPredictsPromptly(p, i++);
      }
      for (int n = 0; n < 20; n++) {
        assertPredictsPromptly(p, i++);
      }
      RedisTierStats s = p.stats().redis();
      assertThat(s.timeouts()).isPositive();
      assertThat(s.skipped()).isPositive();
      assertThat(sleep.get(10, TimeUnit.SECONDS)).isEqualTo("+OK");
    }
  }

  @Test
  void redisRestartedMidTest_isUsedAgainOnceBack() throws Exception {
    FakeModel m1 = new FakeModel();
    RedisTier tier = tier(Duration.ofMillis(200));
    try (CachedPredictor a = cache(m1, tier)) {
      a.predict(FakeModel.input(100));
      waitUntil(() -> a.stats().redis().writes() == 1, "the first write");
      server.stop();
      for (int i = 0; i < 20; i++) {
        assertPredictsPromptly(a, i);
      }
      server.restart();
      // bounded: the breaker's wait (300 ms), Lettuce's reconnect delay (50 ms), one trial call
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      int i = 1000;
      long writesBefore = a.stats().redis().writes();
      while (a.stats().redis().writes() == writesBefore && System.nanoTime() < deadline) {
        assertPredictsPromptly(a, i++);
        Thread.sleep(20);
      }
      assertThat(a.stats().redis().writes()).as("writes after the restart").isGreaterThan(writesBefore);
      int last = i - 1;
      FakeModel m2 = new FakeModel();
      try (CachedPredictor b = cache(m2, tier)) {
        waitUntil(() -> b.predict(FakeModel.input(last)) != null && b.stats().redis().hits() == 1, "a Redis hit");
        assertThat(m2.calls).hasValue(0);
      }
    }
  }

  private static void assertPredictsPromptly(CachedPredictor p, float x) {
    long start = System.nanoTime();
    NamedTensors out = p.predict(FakeModel.input(x));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(out.get("y").getFloat(0)).isEqualTo(2 * x + 1);
    assertThat(ms).as("prediction of %s took %d ms", x, ms).isLessThan(BOUNDED_MS);
  }

  private static void waitUntil(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }
}
