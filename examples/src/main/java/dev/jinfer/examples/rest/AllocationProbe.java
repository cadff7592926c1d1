package dev.jinfer.examples.rest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Bytes the service allocates per request, exactly (examples/README.md, "Allocation per request"): starts the
 * service in this process ({@code --cache-size 0}, so every request reaches the engine), sends each probed
 * request many times over one keep-alive connection from this thread, and divides the growth of every other
 * thread's allocation counter ({@code ThreadMXBean.getThreadAllocatedBytes}, the counter JMH's {@code -prof gc}
 * and JFR's allocation statistics read) by the requests. The client's own allocation is not counted. Not a
 * service to deploy.
 *
 * <pre>{@code
 * java -cp examples/target/rest-service.jar dev.jinfer.examples.rest.AllocationProbe [requests] [service flags...]
 * }</pre>
 *
 * <p>Prints one line per request kind: {@code /v1} predict, {@code /v2} infer and {@code /v2/health/live}, each
 * after a warm-up of half as many requests (so that the JIT's escape analysis has settled).
 */
public final class AllocationProbe {
  private AllocationProbe() {}

  /** The fraud model's row, as examples/bench/v1.lua and v2.lua send it. */
  static final String ROW = "[0.5,-1.2,0.3,0.8,-0.4,1.1,0.0,-0.7,0.2,0.9,-1.5,0.6,0.1,-0.3,1.4,-0.8,0.7,0.2,-0.9,0.4,1.0,"
      + "-0.1,0.3,-1.1,0.5,0.8,-0.6,0.2,1.3,-0.5,0.0,0.9]";

  /** A request to probe: its name in the report and its bytes on the wire. */
  record Probe(String name, byte[] wire) {}

  /** @return the probed requests: /v1 predict, /v2 infer, /v2/health/live */
  static List<Probe> probes() {
    List<Probe> out = new ArrayList<>();
    out.add(new Probe("/v1 predict", post("/v1/models/fraud/predict", "{\"features\":" + ROW + "}")));
    out.add(new Probe("/v2 infer", post("/v2/models/fraud/infer",
        "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,32],\"datatype\":\"FP32\",\"data\":" + ROW + "}]}")));
    out.add(new Probe("/v2/health/live", ("GET /v2/health/live HTTP/1.1\r\nHost: probe\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
    return out;
  }

  private static byte[] post(String path, String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    String head = "POST " + path + " HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[h.length + b.length];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(b, 0, out, h.length, b.length);
    return out;
  }

  /**
   * Runs the probe.
   *
   * @param args the requests to measure per kind (default 100,000), then the service's own flags
   * @throws IOException when the service cannot be reached
   */
  public static void main(String[] args) throws IOException {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    List<String> flags = new ArrayList<>(args.length > 1 ? List.of(args).subList(1, args.length) : List.of());
    flags.addAll(List.of("--host", "127.0.0.1", "--port", "0", "--cache-size", "0", "--poll-ms", "0"));
    RestService service = RestService.start(RestConfig.parse(flags, Map.of()));
    try {
      for (Result r : run(service.port(), probes(), requests)) {
        System.out.printf("%-18s %,8.0f bytes/request (%,d requests)%n", r.name(), r.bytesPerRequest(), r.requests());
      }
    } finally {
      service.close();
    }
  }

  /** What one probe measured. */
  record Result(String name, double bytesPerRequest, long requests) {}

  /**
   * Sends each probe {@code requests / 2} times to warm up, then {@code requests} times measured.
   *
   * @throws IOException when the service cannot be reached or answers other than 200
   */
  static List<Result> run(int port, List<Probe> probes, int requests) throws IOException {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    List<Result> out = new ArrayList<>();
    try (Socket s = new Socket()) {
      s.setTcpNoDelay(true);
      s.setSoTimeout(30_000);
      s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      OutputStream os = s.getOutputStream();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[1 << 16];
      for (Probe p : probes) {
        exchange(os, in, buf, p, requests / 2);
        long before = othersAllocated(threads);
        exchange(os, in, buf, p, requests);
        long after = othersAllocated(threads);
        out.add(new Result(p.name(), (after - before) / (double) requests, requests));
      }
    }
    return out;
  }

  /** Bytes allocated so far by every live thread but this one. */
  private static long othersAllocated(com.sun.management.ThreadMXBean threads) {
    long self = Thread.currentThread().getId();
    long sum = 0;
    for (long id : threads.getAllThreadIds()) {
      if (id != self) {
        long b = threads.getThreadAllocatedBytes(id);
        sum += Math.max(0, b); // -1 for a thread that ended meanwhile
      }
    }
    return sum;
  }

  private static void exchange(OutputStream os, InputStream in, byte[] buf, Probe p, int times) throws IOException {
    for (int i = 0; i < times; i++) {
      os.write(p.wire());
      os.flush();
      readAnswer(in, buf, p);
    }
  }

  /** Reads one answer (status line, headers, a Content-Length body) and checks it is a 200. */
  private static void readAnswer(InputStream in, byte[] buf, Probe p) throws IOException {
    int n = 0;
    int headEnd = -1;
    while (headEnd < 0) {
      int r = in.read(buf, n, buf.length - n);
      if (r < 0) {
        throw new IOException(p.name() + ": the service closed the connection");
      }
      n += r;
      headEnd = indexOf(buf, n);
    }
    String head = new String(buf, 0, headEnd, StandardCharsets.US_ASCII);
    if (!head.startsWith("HTTP/1.1 200")) {
      throw new IOException(p.name() + ": expected 200 but got: " + head.lines().findFirst().orElse(head)
          + " " + new String(buf, headEnd + 4, n - headEnd - 4, StandardCharsets.UTF_8));
    }
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    int have = n - headEnd - 4;
    while (have < length) {
      int r = in.read(buf, 0, Math.min(buf.length, length - have));
      if (r < 0) {
        throw new IOException(p.name() + ": the answer ended early");
      }
      have += r;
    }
  }

  private static int indexOf(byte[] b, int n) {
    for (int i = 0; i + 3 < n; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }
}
