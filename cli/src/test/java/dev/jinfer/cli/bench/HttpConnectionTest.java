package dev.jinfer.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bench's HTTP/1.1 connection against a scripted server: keep-alive, a closed kept-alive connection, error bodies, timeouts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpConnectionTest {
  private static final byte[] GET = HttpConnection.encode("GET", "/x", "127.0.0.1", null);

  /** Answers each request read on each accepted connection with answers.apply(connection number); null: no answer. */
  private static final class Scripted implements AutoCloseable {
    final ServerSocket server = new ServerSocket(0);
    final AtomicInteger connections = new AtomicInteger();
    final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    Scripted(IntFunction<String[]> answers, boolean closeAfterAnswers) throws IOException {
      acceptor = new Thread(() -> {
        try {
          while (true) {
            Socket s = server.accept();
            accepted.add(s);
            int n = connections.incrementAndGet();
            Thread t = new Thread(() -> serve(s, answers.apply(n), closeAfterAnswers));
            t.setDaemon(true);
            t.start();
          }
        } catch (IOException e) {
          // closed
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void serve(Socket s, String[] answers, boolean closeAfterAnswers) {
      try (s) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        for (String answer : answers) {
          requests.add(readHead(in));
          if (answer == null) {
            in.read(); // hold the connection open, unanswered, until the client gives up
            return;
          }
          out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
        }
        if (!closeAfterAnswers) {
          in.read();
        }
      } catch (IOException e) {
        // the client went away
      }
    }

    private static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        head.write(b);
        String s = head.toString(StandardCharsets.ISO_8859_1);
        if (s.endsWith("\r\n\r\n")) {
          return s;
        }
      }
      throw new IOException("closed in the middle of a request");
    }

    HttpConnection connect(int timeoutMillis, boolean watched) {
      return new HttpConnection("127.0.0.1", server.getLocalPort(), false, timeoutMillis, watched);
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : accepted) {
        s.close();
      }
    }
  }

  private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  @Test
  void keepAlive_answersReuseOneConnection() throws Exception {
    try (Scripted server = new Scripted(n -> new String[] {OK, OK, OK}, false);
        HttpConnection c = server.connect(5_000, false)) {
      for (int i = 0; i < 3; i++) {
        assertThat(c.exchange(GET, true)).isEqualTo(200);
        assertThat(new String(c.body(), StandardCharsets.UTF_8)).isEqualTo("ok");
      }
      assertThat(server.connections).hasValue(1);
      assertThat(server.requests.get(0)).startsWith("GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    }
  }

  @Test
  void keptAliveConnectionClosedByTheServer_theRequestGoesOnceMoreOnANewOne() throws Exception {
    try (Scripted server = new Scripted(n -> new String[] {OK}, true);
        HttpConnection c = server.connect(5_000, false)) {
      assertThat(c.exchange(GET, false)).isEqualTo(200);
      assertThat(c.body()).as("a success's body is not kept unless asked").isEmpty();
      assertThat(c.exchange(GET, false)).isEqualTo(200);
      assertThat(server.connections).hasValue(2);
    }
  }

  @Test
  void chunkedErrorBody_isKept_andConnectionCloseIsHonoured() throws Exception {
    String error = "HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + "e\r\n{\"error\":\"full\r\n2\r\n\"}\r\n0\r\n\r\n";
    try (Scripted server = new Scripted(n -> n == 1 ? new String[] {error} : new String[] {OK}, false);
        HttpConnection c = server.connect(5_000, false)) {
      assertThat(c.exchange(GET, false)).isEqualTo(429);
      assertThat(new String(c.body(), StandardCharsets.UTF_8)).isEqualTo("{\"error\":\"full\"}");
      assertThat(c.exchange(GET, false)).isEqualTo(200);
      assertThat(server.connections).hasValue(2);
    }
  }

  @Test
  void notHttp_isAnIoError_andTheNextRequestOpensAFreshConnection() throws Exception {
    try (Scripted server = new Scripted(n -> n == 1 ? new String[] {"SMTP ready\r\n\r\n"} : new String[] {OK}, false);
        HttpConnection c = server.connect(5_000, false)) {
      assertThatThrownBy(() -> c.exchange(GET, false)).isInstanceOf(IOException.class);
      assertThat(c.exchange(GET, false)).isEqualTo(200);
    }
  }

  @Test
  void noAnswer_isATimeout_withTheSocketsOwnTimeout() throws Exception {
    try (Scripted server = new Scripted(n -> new String[] {null}, false);
        HttpConnection c = server.connect(300, false)) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> c.exchange(GET, false)).isInstanceOf(SocketTimeoutException.class);
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(290));
    }
  }

  @Test
  void noAnswer_isATimeout_whenAWatchdogExpiresIt_andTheConnectionServesAgainAfter() throws Exception {
    ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
    try (Scripted server = new Scripted(n -> n == 1 ? new String[] {null} : new String[] {OK}, false);
        HttpConnection c = server.connect(300, true)) {
      watchdog.scheduleWithFixedDelay(() -> c.expireIfOverdue(System.nanoTime()), 10, 10, TimeUnit.MILLISECONDS);
      long start = System.nanoTime();
      assertThatThrownBy(() -> c.exchange(GET, false)).isInstanceOf(SocketTimeoutException.class);
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(290));
      assertThat(c.exchange(GET, false)).isEqualTo(200);
    } finally {
      watchdog.shutdownNow();
    }
  }
}
