package dev.jinfer.examples.rest;

import dev.jinfer.examples.rest.oip.InferTensorContents;
import dev.jinfer.examples.rest.oip.ModelInferRequest;
import dev.jinfer.examples.rest.oip.ModelInferResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Recorder;

/**
 * A small closed-loop load generator for the service's gRPC endpoint (ModelInfer on a model with one FP32
 * input of 32 features, such as the bundled fraud model): N clients, each on its own channel (connection),
 * one call after another; prints throughput and latency percentiles. For the README's benchmark, next to wrk
 * on the HTTP APIs. Like wrk it is event-driven, so that it costs the shared CPU as little as a load
 * generator can: each client's next call is sent from the previous call's completion on the channel's event
 * loop ({@code directExecutor}, async stub), with no thread per client parking and waking per call. Not
 * thread-safe (a command-line tool).
 *
 * <pre>{@code
 * java -cp examples/target/rest-service.jar dev.jinfer.examples.rest.GrpcLoad localhost 8081 16 10 [model] [warmup-s]
 * }</pre>
 */
public final class GrpcLoad {
  private GrpcLoad() {}

  /** @return the CPU time this process has used (every thread), in nanoseconds; 0 where the OS does not say */
  private static long cpuNanos() {
    return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
  }

  /** One client: a channel and a loop of calls, each sent when the previous one completes. */
  private static final class Client implements StreamObserver<ModelInferResponse> {
    private final ManagedChannel channel;
    private final List<ModelInferRequest> requests;
    private final Recorder recorder;
    private final long warmEnd;
    private final long end;
    private final CountDownLatch done;
    private int next;
    private long sent;
    private int failingInARow;
    long count;
    long errors;

    Client(ManagedChannel channel, List<ModelInferRequest> requests, int first, Recorder recorder, long warmEnd, long end,
        CountDownLatch done) {
      this.channel = channel;
      this.requests = requests;
      this.next = first;
      this.recorder = recorder;
      this.warmEnd = warmEnd;
      this.end = end;
      this.done = done;
    }

    void send() {
      sent = System.nanoTime();
      if (sent >= end) {
        done.countDown();
        return;
      }
      ClientCalls.asyncUnaryCall(channel.newCall(OipGrpc.MODEL_INFER, CallOptions.DEFAULT), requests.get(next++ & 255), this);
    }

    @Override
    public void onNext(ModelInferResponse r) {
      if (r.getOutputsCount() == 0 && r.getRawOutputContentsCount() == 0) {
        errors++;
      } else if (sent >= warmEnd) {
        recorder.recordValue(System.nanoTime() - sent);
        count++;
      }
    }

    @Override
    public void onError(Throwable t) {
      errors++;
      if (++failingInARow >= 1000) { // the server is gone: stop rather than spin
        System.err.println("a client stops after 1000 failed calls in a row: " + t);
        done.countDown();
        return;
      }
      send();
    }

    @Override
    public void onCompleted() {
      failingInARow = 0;
      send();
    }
  }

  /**
   * Runs the load.
   *
   * @param args host, port, clients, seconds, optional model name (fraud) and warm-up seconds (3)
   * @throws InterruptedException if interrupted
   */
  public static void main(String[] args) throws InterruptedException {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int clients = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    String model = args.length > 4 ? args[4] : "fraud";
    int warmup = args.length > 5 ? Integer.parseInt(args[5]) : 3;
    Random random = new Random(42);
    List<ModelInferRequest> requests = new ArrayList<>();
    for (int r = 0; r < 256; r++) { // distinct rows, so a cache (if on) would not answer
      InferTensorContents.Builder c = InferTensorContents.newBuilder();
      for (int i = 0; i < 32; i++) {
        c.addFp32Contents((float) random.nextGaussian());
      }
      requests.add(ModelInferRequest.newBuilder().setModelName(model).addInputs(ModelInferRequest.InferInputTensor.newBuilder()
          .setName("features").setDatatype("FP32").addShape(1).addShape(32).setContents(c)).build());
    }
    Recorder recorder = new Recorder(3);
    long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
    long end = warmEnd + TimeUnit.SECONDS.toNanos(seconds);
    CountDownLatch done = new CountDownLatch(clients);
    List<Client> all = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    for (int t = 0; t < clients; t++) {
      ManagedChannel channel = NettyChannelBuilder.forAddress(host, port).usePlaintext().directExecutor().build();
      channels.add(channel);
      all.add(new Client(channel, requests, t, recorder, warmEnd, end, done));
    }
    for (Client c : all) {
      c.send();
    }
    Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
    recorder.getIntervalHistogram(); // drop the warm-up
    long cpu0 = cpuNanos();
    if (!done.await(seconds + 60L, TimeUnit.SECONDS)) {
      System.err.println("some clients did not finish within a minute of the end");
    }
    long cpu1 = cpuNanos();
    var h = recorder.getIntervalHistogram();
    long n = 0;
    long failed = 0;
    for (Client c : all) {
      n += c.count;
      failed += c.errors;
    }
    System.out.printf("gRPC ModelInfer %s:%d clients=%d seconds=%d requests=%d errors=%d req/s=%.0f p50=%.3f ms p90=%.3f ms "
        + "p99=%.3f ms max=%.3f ms%n", host, port, clients, seconds, n, failed, n / (double) seconds,
        h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6);
    System.out.printf("gRPC client CPU while measured: %.2f s over %d s (%.0f us per call)%n", (cpu1 - cpu0) / 1e9, seconds,
        n == 0 ? 0 : (cpu1 - cpu0) / 1e3 / n);
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
  }
}
