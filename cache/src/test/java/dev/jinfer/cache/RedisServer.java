package dev.jinfer.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A real redis-server process on loopback for tests, started and stopped by the test itself. The binary is
 * the one shipped in the {@code com.github.codemonstur:embedded-redis} test dependency (Linux x86-64 or
 * arm64, macOS), extracted under {@code target/}; if that one cannot run here, {@code redis-server} from the
 * PATH. If neither runs, {@link #start} fails the test with what to install: these tests are never skipped.
 * Persistence is off ({@code --save '' --appendonly no}). Not thread-safe; one instance per test class.
 */
final class RedisServer implements AutoCloseable {
  private static final long START_TIMEOUT_MS = 10_000;

  private final int port;
  private final Path workDir;
  private @Nullable Process process;
  private static @Nullable String binary;

  private RedisServer(int port, Path workDir) {
    this.port = port;
    this.workDir = workDir;
  }

  /** Starts a server on a free loopback port. */
  static RedisServer start() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path dir = Files.createDirectories(Path.of("target", "redis-" + port));
    RedisServer server = new RedisServer(port, dir);
    server.restart();
    return server;
  }

  int port() {
    return port;
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts the process (again) on the same port; waits until it answers PING. */
  void restart() throws IOException {
    if (process != null && process.isAlive()) {
      return;
    }
    String bin = binary();
    ProcessBuilder pb = new ProcessBuilder(bin, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--dir", workDir.toAbsolutePath().toString());
    pb.redirectErrorStream(true).redirectOutput(workDir.resolve("redis.log").toFile());
    process = pb.start();
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("redis-server " + bin + " exited with " + process.exitValue() + "; log: "
            + Files.readString(workDir.resolve("redis.log")));
      }
      if ("+PONG".equals(command("PING"))) {
        return;
      }
      sleep(20);
    }
    throw new IllegalStateException("redis-server did not answer PING within " + START_TIMEOUT_MS + " ms");
  }

  /** Stops the process and waits for it to end. */
  void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /**
   * Sends one inline command on a fresh socket and returns the first reply line, or null if the server is
   * unreachable. For simple commands (PING, FLUSHALL, CLIENT PAUSE, DEBUG SLEEP); binary values go through
   * Lettuce.
   */
  @Nullable String command(String... args) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
      s.setSoTimeout(10_000);
      StringBuilder cmd = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        cmd.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
      }
      OutputStream out = s.getOutputStream();
      out.write(cmd.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\n') {
        if (c != '\r') {
          line.append((char) c);
        }
      }
      return line.toString();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() {
    stop();
  }

  private static synchronized String binary() throws IOException {
    if (binary != null) {
      return binary;
    }
    List<String> tried = new ArrayList<>();
    String resource = bundledResource();
    if (resource != null) {
      try (InputStream in = RedisServer.class.getResourceAsStream("/" + resource)) {
        if (in != null) {
          Path target = Path.of("target", "redis-bin", resource).toAbsolutePath();
          Files.createDirectories(target.getParent());
          Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
          if (!target.toFile().setExecutable(true)) {
            throw new IOException("cannot make " + target + " executable");
          }
          if (runs(target.toString())) {
            return binary = target.toString();
          }
          tried.add(target + " (from the embedded-redis test jar) does not run here; see target/redis-bin/version.log");
        } else {
          tried.add("resource /" + resource + " is not on the test classpath (embedded-redis jar missing?)");
        }
      }
    } else {
      tried.add("embedded-redis ships no binary for " + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
    }
    if (runs("redis-server")) {
      return binary = "redis-server";
    }
    tried.add("no runnable redis-server on the PATH");
    throw new IllegalStateException("The Redis tier tests need a real Redis server and found none: " + tried
        + ". Install one (Debian: apt-get install -y redis-server) or fix the bundled binary (it needs libssl3).");
  }

  private static @Nullable String bundledResource() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
    boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
    if (os.contains("linux")) {
      return x64 ? "redis-server-6.2.6-v5-linux-amd64" : arm64 ? "redis-server-6.2.7-linux-arm64" : null;
    }
    if (os.contains("mac")) {
      return x64 ? "redis-server-6.2.6-v5-darwin-amd64" : arm64 ? "redis-server-6.2.6-v5-darwin-arm64" : null;
    }
    return null;
  }

  private static boolean runs(String bin) {
    try {
      Path log = Files.createDirectories(Path.of("target", "redis-bin")).resolve("version.log");
      Process p = new ProcessBuilder(bin, "--version").redirectErrorStream(true).redirectOutput(log.toFile()).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
