package dev.jinfer.cli.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One client's HTTP/1.1 keep-alive connection on a Netty event loop, for the event-driven closed loop
 * ({@link HttpTarget#prepareAsync}): one request in flight at a time, written from a request encoded in full
 * beforehand (a {@link ByteBuf#retainedDuplicate()} of it per call, nothing encoded again), its answer decoded by
 * Netty's {@link HttpResponseDecoder} and {@link HttpObjectAggregator} and its outcome handed to the caller's
 * callback on the event loop. The outcome is classified as {@link HttpConnection}'s blocking exchange is: null for a
 * 2xx answer, {@code HTTP <status>[ <error.code>]} for another status, {@code IO <exception>} for a failed connection
 * or an answer that is not HTTP, {@code TIMEOUT} when no complete answer came within the time limit ({@link #expire},
 * called by the target's periodic sweep on the event loop; the channel is then closed, since its answer may still
 * come, and the next request opens a new one). The connection opens on first use and again after the server closed
 * it, a failure or a timeout; a request on a kept-alive connection that the server had closed meanwhile (no byte of
 * the answer came) is sent once more on a new one.
 *
 * <p>Thread safety: {@link #send} may be called from any thread (it hops to the event loop); every other method and
 * all state belong to the event loop.
 */
final class AsyncHttpConnection {
  private static final int MAX_BODY = 64 * 1024 * 1024;

  private final EventLoop loop;
  private final Bootstrap bootstrap;
  private final long timeoutNanos;
  // the event loop's state
  private @Nullable Channel channel;
  private boolean reused; // the channel has answered a request already
  private boolean received; // a byte of the answer in flight came
  private boolean retried; // the request in flight was sent again after a stale connection
  private boolean shutDown;
  private @Nullable ByteBuf request; // the request in flight, as prepared (not owned)
  private @Nullable Consumer<@Nullable String> done; // its callback; null: nothing in flight
  private long deadline;

  /**
   * @param loop the event loop every channel of this connection runs on
   * @param channelType the channel type of the loop's transport (NIO or epoll)
   * @param host the server's host name or address (an IPv6 literal with or without brackets)
   * @param port its port
   * @param timeoutMillis the limit of connecting and of each request's answer, positive
   */
  AsyncHttpConnection(EventLoop loop, Class<? extends Channel> channelType, String host, int port, int timeoutMillis) {
    this.loop = loop;
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    this.bootstrap = new Bootstrap().group(loop).channel(channelType)
        .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
        .remoteAddress(InetSocketAddress.createUnresolved(bare, port))
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new Received(), new HttpResponseDecoder(), new HttpObjectAggregator(MAX_BODY), new Answers());
          }
        });
  }

  /** The event loop this connection runs on. */
  EventLoop loop() {
    return loop;
  }

  /**
   * Sends a request; {@code done} is called exactly once, on the event loop, with the outcome.
   *
   * @param prepared the request's bytes (head and body), kept unchanged: a retained duplicate of it is written
   * @param done what to do with the outcome: null on success, else the error's type
   */
  void send(ByteBuf prepared, Consumer<@Nullable String> done) {
    if (loop.inEventLoop()) {
      start(prepared, done);
    } else {
      loop.execute(() -> start(prepared, done));
    }
  }

  private void start(ByteBuf prepared, Consumer<@Nullable String> callback) {
    if (shutDown) {
      callback.accept("IO ClosedChannelException");
      return;
    }
    if (done != null) { // a second request of one client while one is in flight: the caller's mistake, made visible
      callback.accept("BUSY");
      return;
    }
    request = prepared;
    done = callback;
    deadline = System.nanoTime() + timeoutNanos;
    retried = false;
    transmit();
  }

  private void transmit() {
    received = false;
    Channel ch = channel;
    if (ch != null) {
      ch.writeAndFlush(request.retainedDuplicate(), ch.voidPromise()); // a failed write fires exceptionCaught
      return;
    }
    ChannelFuture connecting = bootstrap.connect();
    Channel fresh = connecting.channel();
    channel = fresh;
    reused = false;
    connecting.addListener(f -> {
      if (channel != fresh) {
        return; // given up on meanwhile (a timeout); its close ends the attempt
      }
      if (f.isSuccess()) {
        if (done != null) {
          fresh.writeAndFlush(request.retainedDuplicate(), fresh.voidPromise());
        }
      } else {
        channel = null;
        fresh.close();
        fail(outcome(f.cause()));
      }
    });
  }

  /**
   * Ends the request in flight with {@code TIMEOUT} if it is past its time limit, closing its channel. On the event loop.
   *
   * @param now {@link System#nanoTime()}
   */
  void expire(long now) {
    if (done != null && now - deadline > 0) {
      closeChannel();
      fail("TIMEOUT");
    }
  }

  /** Closes the channel and fails the request in flight; later requests fail at once. On the event loop. */
  void shutdown() {
    shutDown = true;
    closeChannel();
    if (done != null) {
      fail("IO ClosedChannelException");
    }
  }

  private void closeChannel() {
    Channel ch = channel;
    channel = null;
    if (ch != null) {
      ch.close();
    }
  }

  private void fail(String outcome) {
    finish(outcome);
  }

  private void finish(@Nullable String outcome) {
    Consumer<@Nullable String> callback = done;
    done = null;
    request = null;
    if (callback != null) {
      callback.accept(outcome); // may send the client's next request at once
    }
  }

  private void answered(FullHttpResponse answer) {
    if (answer.decoderResult().isFailure()) {
      closeChannel();
      Throwable cause = answer.decoderResult().cause();
      fail(cause instanceof PrematureChannelClosureException ? outcome(cause) : "IO IOException");
      return;
    }
    int status = answer.status().code();
    String outcome = status / 100 == 2 ? null : "HTTP " + status + HttpTarget.errorCode(ByteBufUtil.getBytes(answer.content()));
    reused = true;
    if (!HttpUtil.isKeepAlive(answer)) {
      closeChannel();
    }
    finish(outcome);
  }

  /**
   * The outcome of a failure as the blocking path names it: {@code IO <exception>} for an I/O failure (Netty's
   * subclasses, such as {@code AnnotatedConnectException} or epoll's {@code NativeConnectException}, by the JDK
   * exception they extend; a connection closed in the middle of an answer
   * as {@code IO EOFException}), {@code TIMEOUT} for a connect timeout, the exception's simple name for anything else.
   */
  static String outcome(Throwable failure) {
    if (failure instanceof io.netty.channel.ConnectTimeoutException) {
      return "TIMEOUT";
    }
    if (failure instanceof PrematureChannelClosureException) {
      return "IO EOFException"; // the blocking exchange's: the server closed the connection in the middle of an answer
    }
    if (!(failure instanceof IOException)) {
      return failure.getClass().getSimpleName();
    }
    Class<?> type = failure.getClass();
    while (type.getName().startsWith("io.netty.") && type.getSuperclass() != null) {
      type = type.getSuperclass(); // AnnotatedConnectException, NativeConnectException, NativeIoException: the JDK's
    }
    return "IO " + type.getSimpleName();
  }

  /** First in the pipeline: notes that a byte of the answer came (a stale connection sends none). */
  private final class Received extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (ctx.channel() == channel) {
        received = true;
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** Last in the pipeline: the aggregated answers, the channel's end and its failures. */
  private final class Answers extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (ctx.channel() != channel || done == null) {
          return; // an answer nobody waits for (a channel given up on): dropped
        }
        if (msg instanceof FullHttpResponse answer) {
          answered(answer);
        } else {
          closeChannel();
          fail("IO IOException");
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (ctx.channel() != channel) {
        return;
      }
      channel = null;
      if (done == null) {
        return;
      }
      if (!received && reused && !retried) {
        retried = true; // the server had closed the kept-alive connection before this request: once more on a new one
        transmit();
      } else {
        fail("IO EOFException");
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Channel ch = ctx.channel();
      if (ch != channel) {
        ch.close();
        return;
      }
      closeChannel();
      if (done != null) {
        fail(outcome(cause));
      }
    }
  }
}
