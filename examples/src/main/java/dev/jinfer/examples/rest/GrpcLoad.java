package dev.jinfer.examples.rest;

import dev.jinfer.examples.rest.oip.InferTensorContents;
import dev.jinfer.examples.rest.oip.ModelInferRequest;
import dev.jinfer.examples.rest.oip.ModelInferResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Recorder;

/**
 * A small closed-loop load generator for the service's gRPC endpoint (ModelInfer on a model with one FP32
 * input of 32 features, such as the bundled fraud model): N clients, each on its own channel (connection),
 * one call after another; prints throughput and latency percentiles. For the README's benchmark, next to wrk
 * on the HTTP APIs. Not thread-safe (a command-line tool).
 *
 * <pre>{@code
 * java -cp examples/target/rest-service.jar dev.jinfer.examples.rest.GrpcLoad localhost 8081 16 10 [model] [warmup-s]
 * }</pre>
 */
public final class GrpcLoad {
  private GrpcLoad() {}

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
    long[] counts = new long[clients];
    long[] errors = new long[clients];
    long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
    long end = warmEnd + TimeUnit.SECONDS.toNanos(seconds);
    List<Thread> threads = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    for (int t = 0; t < clients; t++) {
      ManagedChannel channel = NettyChannelBuilder.forAddress(host, port).usePlaintext().build();
      channels.add(channel);
      int id = t;
      Thread thread = new Thread(() -> {
        int i = id;
        while (true) {
          long s = System.nanoTime();
          if (s >= end) {
            return;
          }
          try {
            ModelInferResponse r = ClientCalls.blockingUnaryCall(channel, OipGrpc.MODEL_INFER, CallOptions.DEFAULT,
                requests.get(i++ & 255));
            if (r.getOutputsCount() == 0 && r.getRawOutputContentsCount() == 0) {
              throw new IllegalStateException("an answer without outputs");
            }
            long e = System.nanoTime();
            if (s >= warmEnd) {
              recorder.recordValue(e - s);
              counts[id]++;
            }
          } catch (RuntimeException ex) {
            errors[id]++;
          }
        }
      }, "grpc-load-" + t);
      threads.add(thread);
      thread.start();
    }
    Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
    recorder.getIntervalHistogram(); // drop the warm-up
    for (Thread t : threads) {
      t.join();
    }
    var h = recorder.getIntervalHistogram();
    long n = 0;
    long failed = 0;
    for (int t = 0; t < clients; t++) {
      n += counts[t];
      failed += errors[t];
    }
    System.out.printf("gRPC ModelInfer %s:%d clients=%d seconds=%d requests=%d errors=%d req/s=%.0f p50=%.3f ms p90=%.3f ms "
        + "p99=%.3f ms max=%.3f ms%n", host, port, clients, seconds, n, failed, n / (double) seconds,
        h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6);
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
  }
}
