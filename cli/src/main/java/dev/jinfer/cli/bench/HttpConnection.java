package dev.jinfer.cli.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP/1.1 keep-alive connection, used by one thread at a time: the request (pre-encoded, head and body in
 * one array) is written and the answer read with blocking socket I/O on the calling thread, and the answer is
 * parsed by Netty's {@link HttpResponseDecoder} and {@link HttpObjectAggregator} run on an
 * {@link EmbeddedChannel}. No event loop: a request costs no hand-off to an I/O thread and back, the way wrk
 * does its own I/O on its own threads, so the tool measures the service rather than itself. The connection opens
 * on first use and again after the server closed it, a failure or a timeout (whose answer may still come, so the
 * connection cannot be reused); a request on a kept-alive connection that the server had closed meanwhile is sent
 * once more on a new one. Not thread-safe.
 */
final class HttpConnection implements AutoCloseable {
  private static final int READ_CHUNK = 16 * 1024;
  private static final int MAX_BODY = 64 * 1024 * 1024;

  private final String host;
  private final int port;
  private final boolean tls;
  private final int timeoutMillis;
  private final boolean watched;
  // for the watchdog (expireIfOverdue, another thread): the socket of the exchange in flight and its deadline
  private volatile @Nullable Socket inFlight;
  private volatile long deadlineNanos;
  private volatile boolean expired;
  private @Nullable Socket socket;
  private @Nullable InputStream in;
  private @Nullable OutputStream out;
  private @Nullable EmbeddedChannel decoder;
  private byte[] body = new byte[0];

  /**
   * @param host the server's host name or address (an IPv6 literal with or without brackets)
   * @param port its port
   * @param tls whether to speak TLS (https), with the JDK's default trust store and host name verification
   * @param timeoutMillis the limit of connecting and of each request's answer, positive
   * @param watched whether another thread enforces the answer's time limit by calling {@link #expireIfOverdue}
   *     (reads are then plain blocking reads: one system call each, where a read with a socket timeout costs three)
   *     or the socket's own read timeout does
   */
  HttpConnection(String host, int port, boolean tls, int timeoutMillis, boolean watched) {
    this.host = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    this.port = port;
    this.tls = tls;
    this.timeoutMillis = timeoutMillis;
    this.watched = watched;
  }

  /**
   * Called by the watchdog of a {@code watched} connection, from any thread: when the exchange in flight is past its
   * time limit, closes the socket, so that the blocked read fails and the exchange ends with a
   * {@link SocketTimeoutException}.
   *
   * @param now {@link System#nanoTime()}
   */
  void expireIfOverdue(long now) {
    Socket s = inFlight;
    if (s != null && now - deadlineNanos > 0) {
      expired = true;
      try {
        s.close();
      } catch (IOException e) {
        // closed anyway
      }
    }
  }

  /**
   * An HTTP/1.1 request, head and body in one array, ready for {@link #exchange}.
   *
   * @param method {@code GET} or {@code POST}
   * @param rawPath the request target, already percent-encoded
   * @param hostHeader the {@code Host} header's value
   * @param body the body (sent as {@code application/json}), or null for none
   * @param extraHeaders more header lines, each {@code Name: value}
   * @return the request's bytes
   */
  static byte[] encode(String method, String rawPath, String hostHeader, byte @Nullable [] body, String... extraHeaders) {
    StringBuilder head = new StringBuilder(160).append(method).append(' ').append(rawPath).append(" HTTP/1.1\r\n")
        .append("Host: ").append(hostHeader).append("\r\n").append("Accept: application/json\r\n");
    if (body != null) {
      head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
    }
    for (String h : extraHeaders) {
      head.append(h).append("\r\n");
    }
    byte[] headBytes = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    if (body == null) {
      return headBytes;
    }
    byte[] all = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(body, 0, all, headBytes.length, body.length);
    return all;
  }

  /**
   * Sends a request and reads its answer.
   *
   * @param request from {@link #encode}
   * @param keepBody whether to keep a successful answer's body for {@link #body()} (else it is dropped unread, as
   *     it is of no use for a successful benchmark request); an error's body is always kept
   * @return the answer's status code
   * @throws SocketTimeoutException when the answer did not come within the timeout (the connection is closed)
   * @throws IOException when the connection fails or the answer is not HTTP (the connection is closed)
   */
  int exchange(byte[] request, boolean keepBody) throws IOException {
    boolean reused = socket != null;
    try {
      return attempt(request, keepBody);
    } catch (StaleConnectionException e) {
      if (!reused) {
        throw new EOFException("the server closed the connection without answering");
      }
      return attempt(request, keepBody);
    }
  }

  /** The body of the last answer if it was an error or read with {@code keepBody}; empty otherwise. */
  byte[] body() {
    return body;
  }

  private int attempt(byte[] request, boolean keepBody) throws IOException {
    if (socket == null) {
      open();
    }
    body = new byte[0];
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    FullHttpResponse answer;
    if (watched) {
      expired = false;
      deadlineNanos = deadline;
      inFlight = socket;
    }
    try {
      out.write(request);
      out.flush();
      answer = read(deadline);
    } catch (IOException | RuntimeException e) {
      close();
      if (expired) {
        throw new SocketTimeoutException("no complete answer within " + timeoutMillis + " ms");
      }
      throw e;
    } finally {
      inFlight = null;
    }
    try {
      if (answer.decoderResult().isFailure()) {
        close();
        throw new IOException("not an HTTP answer: " + answer.decoderResult().cause());
      }
      if (keepBody || answer.status().code() / 100 != 2) {
        body = ByteBufUtil.getBytes(answer.content());
      }
      if (!HttpUtil.isKeepAlive(answer)) {
        close();
      }
      return answer.status().code();
    } finally {
      ReferenceCountUtil.release(answer);
    }
  }

  private FullHttpResponse read(long deadline) throws IOException {
    long received = 0;
    while (true) {
      Object message = decoder.readInbound();
      if (message != null) {
        if (message instanceof FullHttpResponse r) {
          return r;
        }
        ReferenceCountUtil.release(message);
        throw new IOException("not an HTTP answer: " + message.getClass().getSimpleName());
      }
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        throw new SocketTimeoutException("no complete answer within " + timeoutMillis + " ms");
      }
      if (!watched) {
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
      }
      ByteBuf chunk = ByteBufAllocator.DEFAULT.heapBuffer(READ_CHUNK);
      int n;
      try {
        n = chunk.writeBytes(in, READ_CHUNK);
      } catch (IOException | RuntimeException e) {
        chunk.release();
        throw e;
      }
      if (n < 0) {
        chunk.release();
        if (received == 0) {
          throw new StaleConnectionException();
        }
        throw new EOFException("the server closed the connection in the middle of an answer");
      }
      received += n;
      decoder.writeInbound(chunk); // the decoder owns and releases the chunk; rethrows what a handler threw
    }
  }

  private void open() throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(host, port), timeoutMillis);
      if (tls) {
        SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(s, host, port, true);
        SSLParameters parameters = ssl.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        ssl.setSSLParameters(parameters);
        ssl.setSoTimeout(timeoutMillis);
        ssl.startHandshake();
        ssl.setSoTimeout(0);
        s = ssl;
      }
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    socket = s;
    in = s.getInputStream();
    out = s.getOutputStream();
    decoder = new EmbeddedChannel(new HttpResponseDecoder(), new HttpObjectAggregator(MAX_BODY));
  }

  /** Closes the connection; the next {@link #exchange} opens a new one. */
  @Override
  public void close() {
    Socket s = socket;
    EmbeddedChannel d = decoder;
    socket = null;
    in = null;
    out = null;
    decoder = null;
    if (d != null) {
      try {
        d.finishAndReleaseAll();
      } catch (RuntimeException e) {
        // a handler's failure, already reported by the exchange that met it
      }
    }
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway: nothing to do about it
      }
    }
  }

  /** The server had closed a kept-alive connection before any byte of the answer came. */
  private static final class StaleConnectionException extends IOException {
    private static final long serialVersionUID = 1L;

    StaleConnectionException() {
      super("the server closed the connection before answering");
    }
  }
}
