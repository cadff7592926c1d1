package dev.jinfer.examples.rest;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The service's HTTP/1.1 server on Netty (both {@code /v1} and {@code /v2}): event-loop threads accept,
 * read and parse requests, gather bodies (within the body limit and the read timeout) and answer the probes
 * ({@code /health/*}, {@code /v2/health/*}, {@code /metrics}) themselves; every other request runs on the
 * bounded pool of request threads ({@code --http-threads}, {@code --http-queue}), and when that pool and its
 * queue are full it is answered 503 with {@code Retry-After} at once from the event loop. With
 * {@code --execution event-loop} ({@link RestConfig#inferenceOnEventLoop()}) there is no pool: every request runs
 * on the event loop that read it, without a thread hand-off, and the requests of that loop's other connections
 * wait meanwhile. Once {@link #drain()} is called, requests that arrive on open connections are answered 503.
 * Thread-safe.
 */
final class HttpEndpoint {
  private final RestConfig config;
  private final RestHandler handler;
  private final @Nullable ThreadPoolExecutor executor;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel server;
  private final long readTimeoutNanos;
  private volatile boolean draining;

  private HttpEndpoint(RestConfig config, RestHandler handler, @Nullable ThreadPoolExecutor executor, EventLoopGroup boss,
      EventLoopGroup workers, Channel server) {
    this.config = config;
    this.handler = handler;
    this.executor = executor;
    this.boss = boss;
    this.workers = workers;
    this.server = server;
    this.readTimeoutNanos = config.readTimeout().toNanos();
  }

  /**
   * Binds {@code config.host()}:{@code config.port()} with {@code config.backlog()} and starts serving.
   *
   * @param executor the request threads, or null to run every request on its event loop
   * @throws UncheckedIOException if the port cannot be bound
   */
  static HttpEndpoint start(RestConfig config, RestHandler handler, @Nullable ThreadPoolExecutor executor) {
    // the acceptor thread is not a daemon: it keeps the JVM (and `java -jar rest-service.jar`) running after main
    // returns, as the JDK server's dispatcher did, until close() (the shutdown hook) stops it
    // epoll where its native library loads (Linux x86-64: fewer copies and system calls per request), else NIO
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory transport = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("jinfer-http-accept", false), transport);
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(config.ioThreads(), new DefaultThreadFactory("jinfer-http-io", true), transport);
    HttpEndpoint[] self = new HttpEndpoint[1];
    long idleMillis = config.idleTimeout().toMillis();
    HttpDecoderConfig decoder = new HttpDecoderConfig().setMaxInitialLineLength(8192).setMaxHeaderSize(16384)
        .setMaxChunkSize(65536).setValidateHeaders(true);
    ServerBootstrap b = new ServerBootstrap().group(boss, workers)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, config.backlog())
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ChannelPipeline p = ch.pipeline();
            HttpConnection connection = new HttpConnection(self[0]);
            p.addLast("idle", new HttpConnection.ReadWatch(idleMillis, connection));
            p.addLast("http", new HttpServerCodec(decoder));
            p.addLast("rest", connection);
          }
        });
    Channel channel;
    try {
      channel = b.bind(new InetSocketAddress(config.host(), config.port())).syncUninterruptibly().channel();
    } catch (Exception e) { // Netty rethrows the bind's IOException unchecked
      boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      IOException io = e instanceof IOException ? (IOException) e : new IOException(e.getMessage(), e);
      throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), io);
    }
    HttpEndpoint endpoint = new HttpEndpoint(config, handler, executor, boss, workers, channel);
    self[0] = endpoint;
    return endpoint;
  }

  private final AtomicInteger openConnections = new AtomicInteger();

  /** @return client connections open now, as the event loops have seen them (a hang-up counts once read) */
  int openConnections() {
    return openConnections.get();
  }

  void connectionOpened() {
    openConnections.incrementAndGet();
  }

  void connectionClosed() {
    openConnections.decrementAndGet();
  }

  /** @return the transport the server runs on: {@code epoll} or {@code nio} */
  String transport() {
    return server instanceof EpollServerSocketChannel ? "epoll" : "nio";
  }

  /** @return the bound port */
  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  long bodyLimit() {
    return config.bodyLimitBytes();
  }

  long readTimeoutNanos() {
    return readTimeoutNanos;
  }

  ApiException tooLarge(String why) {
    return new ApiException(413, "PAYLOAD_TOO_LARGE", "request body: the limit is " + config.bodyLimitBytes() + " bytes but " + why);
  }

  /**
   * Runs a complete request: a probe on this (event-loop) thread, anything else on a request thread or 503 at once, or,
   * without request threads, on this thread too (503 once draining).
   */
  void dispatch(HttpCall call) {
    if (RestHandler.isProbe(call.rawPath())) {
      handler.handle(call);
      return;
    }
    ThreadPoolExecutor pool = executor;
    if (pool == null) {
      if (draining) {
        handler.reject(call, shuttingDown(), false);
      } else {
        handler.handle(call);
      }
      return;
    }
    try {
      pool.execute(() -> handler.handle(call));
    } catch (RejectedExecutionException e) {
      handler.reject(call, pool.isShutdown() ? shuttingDown() : new ApiException(503, "OVERLOADED", "the server is busy: all "
          + config.httpThreads() + " HTTP threads are working and " + config.httpQueue() + " requests are waiting; retry later",
          1, null), false);
    }
  }

  private static ApiException shuttingDown() {
    return new ApiException(503, "SERVICE_UNAVAILABLE", "the server is shutting down; retry later (another instance)", 1, null);
  }

  /**
   * From now on requests that arrive on open connections are answered 503 (probes still answered); requests in
   * progress go on. With request threads, shutting their pool down does the same.
   */
  void drain() {
    draining = true;
  }

  /** Answers a request refused before it was complete (413, 408, a malformed request) and closes its connection. */
  void reject(HttpCall call, ApiException e) {
    handler.reject(call, e, true);
  }

  /** Stops accepting new connections; connections open go on. */
  void stopAccepting() {
    server.close().syncUninterruptibly();
  }

  /** Closes every connection and stops the event loops, waiting up to {@code timeout}. */
  void close(Duration timeout) {
    server.close();
    boss.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
    workers.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly(timeout.toMillis() + 1000);
  }
}
