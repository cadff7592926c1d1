package dev.jinfer.examples.rest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ByteProcessor;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/1.1 connection of the REST service, on its Netty event loop: gathers a request's body (up to the
 * body limit, within the read timeout), hands the complete request to {@link HttpEndpoint#dispatch} and stops
 * reading until it is answered, so requests on one connection are answered in order (pipelined ones wait in
 * a queue). Never blocks: a client that stalls holds a connection and a buffer, never a request thread. A request
 * must come whole, head and body, within the read timeout counted from its first byte: then 408 and close.
 * Not thread-safe except {@link #send}, {@link #isOpen} and {@link #alloc}, which any thread may call.
 */
final class HttpConnection extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(HttpConnection.class);
  /**
   * Most bytes of a refused body (413) read and dropped before the connection is closed, so that a client still
   * sending reads the 413 rather than a reset. The event loop drops them as they come (no request thread, no
   * memory kept); a client that stops sending is closed at the idle timeout.
   */
  static final long DISCARD_CAP = 16L << 20;

  private enum State {
    /** between requests (a head may be arriving in pieces: {@link #headBytes}) */
    IDLE,
    /** gathering a request's body */
    READING,
    /** the request is dispatched; reading is paused until it is answered */
    PROCESSING,
    /** refused: the rest of the request is dropped and the connection closed */
    DISCARDING
  }

  /** Pipelined messages held while a request runs before the connection stops reading. */
  private static final int MAX_PENDING = 16;

  private final HttpEndpoint endpoint;
  private @Nullable ChannelHandlerContext ctx;
  private State state = State.IDLE;
  private @Nullable HttpRequest request;
  private @Nullable ByteBuf body;
  private long start;
  private long expected;
  private @Nullable ScheduledFuture<?> readTimer;
  private long dropped;
  private boolean closeWhenDrained;
  private @Nullable ArrayDeque<Object> pending;
  /** Bytes of a request head (other than the blank lines a decoder skips) came while IDLE; cleared by a decoded head. */
  private boolean headBytes;
  /** {@link System#nanoTime()} when the first of {@link #headBytes} came. */
  private long headStart;

  HttpConnection(HttpEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  ByteBufAllocator alloc() {
    return context().alloc();
  }

  boolean isOpen() {
    return context().channel().isActive();
  }

  private ChannelHandlerContext context() {
    ChannelHandlerContext c = ctx;
    if (c == null) {
      throw new IllegalStateException("the connection handler is not in a pipeline");
    }
    return c;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (state == State.PROCESSING) { // a pipelined request: it waits for the answer before it
      if (pending == null) {
        pending = new ArrayDeque<>(4);
      }
      pending.add(msg);
      if (pending.size() >= MAX_PENDING) {
        ctx.channel().config().setAutoRead(false); // back-pressure: resumed once the answer is sent
      }
      return;
    }
    try {
      read(ctx, msg);
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void read(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      if (state == State.DISCARDING) {
        return;
      }
      begin(ctx, (HttpRequest) msg);
    }
    if (msg instanceof HttpContent) {
      HttpContent c = (HttpContent) msg;
      boolean last = msg instanceof LastHttpContent;
      if (state == State.DISCARDING) {
        dropped += c.content().readableBytes();
        if (closeWhenDrained && (last || dropped > DISCARD_CAP)) {
          ctx.close();
        }
        return;
      }
      if (state != State.READING) {
        return; // content without a request: the decoder never does this
      }
      DecoderResult dr = c.decoderResult();
      if (dr.isFailure()) {
        refuse(ApiException.badRequest("malformed HTTP request: " + describe(dr.cause())), false);
        return;
      }
      ByteBuf b = body;
      int n = c.content().readableBytes();
      if (b != null && n > 0) {
        if ((long) b.readableBytes() + n > endpoint.bodyLimit()) {
          dropped = b.readableBytes() + (long) n;
          refuse(endpoint.tooLarge("more than that was sent"), true);
          return;
        }
        b.writeBytes(c.content());
      }
      if (last) {
        complete(ctx);
      }
    }
  }

  private void begin(ChannelHandlerContext ctx, HttpRequest req) {
    request = req;
    start = headBytes ? headStart : System.nanoTime();
    headBytes = false; // a read timer armed by the head's first bytes goes on: the body must come within the same timeout
    state = State.READING;
    dropped = 0;
    closeWhenDrained = false;
    DecoderResult dr = req.decoderResult();
    if (dr.isFailure()) { // e.g. a malformed Content-Length, a header line too long
      String why = describe(dr.cause());
      List<String> lengths = req.headers().getAll(HttpHeaderNames.CONTENT_LENGTH);
      refuse(ApiException.badRequest(!lengths.isEmpty() || why.toLowerCase(Locale.ROOT).contains("content-length")
          ? "Content-Length: expected one whole number of bytes but got '" + ApiException.brief(String.join(", ", lengths), 100)
              + "' (" + why + ")"
          : "malformed HTTP request: " + why), false);
      return;
    }
    long length = HttpUtil.getContentLength(req, -1L);
    expected = length;
    if (length > endpoint.bodyLimit()) {
      refuse(endpoint.tooLarge("its Content-Length is " + length), true);
      return;
    }
    if (HttpUtil.is100ContinueExpected(req)) {
      ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
    }
    if (length == 0) {
      body = Unpooled.EMPTY_BUFFER;
    } else {
      int limit = (int) Math.min(Integer.MAX_VALUE - 8, endpoint.bodyLimit());
      body = length > 0 ? ctx.alloc().heapBuffer((int) length, limit) : ctx.alloc().heapBuffer(Math.min(4096, limit), limit);
    }
  }

  private void complete(ChannelHandlerContext ctx) {
    cancelTimer();
    HttpRequest req = request;
    ByteBuf b = body;
    if (req == null || b == null) {
      return;
    }
    body = null;
    // reading goes on while the request runs, so that a client that hangs up is seen (its request is then not
    // counted as answered); pipelined requests wait in `pending`
    state = State.PROCESSING;
    endpoint.dispatch(new HttpCall(this, req, b, start, HttpUtil.isKeepAlive(req)));
  }

  /** Answers a request the connection refuses before dispatching it, and closes the connection after. */
  private void refuse(ApiException e, boolean drain) {
    cancelTimer();
    HttpRequest req = request;
    ByteBuf b = body;
    body = null;
    if (b != null) {
      b.release();
    }
    state = State.DISCARDING;
    closeWhenDrained = false;
    if (req == null) {
      context().close();
      return;
    }
    HttpCall call = new HttpCall(this, req, Unpooled.EMPTY_BUFFER, start, false);
    drainAfterAnswer = drain;
    endpoint.reject(call, e);
  }

  private boolean drainAfterAnswer;

  /** The answer's headers: names and values are the service's own (validated by Netty where a client's value is echoed). */
  private static final DefaultHttpHeadersFactory RESPONSE_HEADERS = DefaultHttpHeadersFactory.headersFactory();
  private @Nullable HttpHeaders responseHeaders;

  /**
   * The headers for this connection's next answer, emptied: one map for all its answers, since a connection has one
   * answer at a time (the next request is dispatched once the answer before it is written, and a refusal comes only
   * while no request runs), and the encoder has read the map by the time its write completes. Called by
   * {@link HttpCall#respond}, from the thread that answers.
   */
  HttpHeaders responseHeaders() {
    HttpHeaders h = responseHeaders;
    if (h == null) {
      h = RESPONSE_HEADERS.newHeaders();
      responseHeaders = h;
    } else {
      h.clear();
    }
    return h;
  }

  /** Called by {@link HttpCall#respond}, from any thread. */
  boolean send(FullHttpResponse response, boolean closing) {
    ChannelHandlerContext c = context();
    if (!c.channel().isActive()) {
      response.release();
      return false;
    }
    c.writeAndFlush(response).addListener((ChannelFutureListener) f -> written(f, closing));
    return true;
  }

  private void written(ChannelFuture f, boolean closing) {
    ChannelHandlerContext c = context();
    if (!f.isSuccess()) {
      LOG.debug("could not send an answer to {}: {}", c.channel().remoteAddress(), f.cause() == null ? "" : f.cause().toString());
      c.close();
      return;
    }
    if (closing) {
      if (state == State.DISCARDING && drainAfterAnswer && dropped <= DISCARD_CAP) {
        closeWhenDrained = true; // the client may still be sending: drop the rest (up to the cap), then close
        c.channel().config().setAutoRead(true);
      } else {
        c.close();
      }
      return;
    }
    state = State.IDLE;
    request = null;
    c.channel().config().setAutoRead(true);
    ArrayDeque<Object> queued = pending;
    if (queued != null && !queued.isEmpty()) {
      c.executor().execute(this::drainPending);
    }
  }

  private void drainPending() {
    ArrayDeque<Object> queued = pending;
    ChannelHandlerContext c = context();
    while (queued != null && !queued.isEmpty() && state != State.PROCESSING) {
      channelRead(c, queued.poll());
    }
  }

  /**
   * Called by {@link ReadWatch} with each read's bytes before the HTTP decoder sees them: notes that a request head
   * began arriving on an idle connection. Costs one comparison per read once a head is under way or a request runs.
   */
  private void bytesRead(ByteBuf in) {
    if (state == State.IDLE && !headBytes && in.forEachByte(ByteProcessor.FIND_NON_CRLF) >= 0) {
      headBytes = true; // blank lines between requests do not count: the decoder skips them, as RFC 9112 allows
      headStart = System.nanoTime();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // the body is still coming, or a head came in part (a whole head was decoded by now, and the state is no longer
    // IDLE): bound how long the rest may take. An idle keep-alive connection (no bytes) keeps the idle timeout.
    if (readTimer == null && (state == State.READING || state == State.IDLE && headBytes)) {
      long elapsed = state == State.IDLE ? System.nanoTime() - headStart : 0;
      readTimer = ctx.executor().schedule(this::readTimedOut, Math.max(0, endpoint.readTimeoutNanos() - elapsed), TimeUnit.NANOSECONDS);
    }
    ctx.fireChannelReadComplete();
  }

  private void readTimedOut() {
    readTimer = null;
    if (state == State.IDLE && headBytes) {
      headTimedOut();
      return;
    }
    if (state != State.READING) {
      return;
    }
    ByteBuf b = body;
    long got = b == null ? 0 : b.readableBytes();
    refuse(new ApiException(408, "REQUEST_TIMEOUT", "request body: " + got + (expected >= 0 ? " of the " + expected : "")
        + " bytes came within the read timeout of " + endpoint.readTimeoutNanos() / 1_000_000 + " ms; the rest did not"), false);
  }

  /**
   * A head that began but did not end within the read timeout (a partial request line or headers, then a stall):
   * 408 with {@code Connection: close}, as RFC 9110 asks of a server that stops waiting for a request, and the same
   * answer a stalled body gets. The method and path never came, so the answer is a /v1 error counted under
   * {@code method="OTHER", uri="UNKNOWN"}.
   */
  private void headTimedOut() {
    headBytes = false;
    request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf("INCOMPLETE"), "/");
    start = headStart;
    refuse(new ApiException(408, "REQUEST_TIMEOUT", "request head: the request line and headers did not end within the read timeout of "
        + endpoint.readTimeoutNanos() / 1_000_000 + " ms"), false);
  }

  private void cancelTimer() {
    ScheduledFuture<?> t = readTimer;
    if (t != null) {
      t.cancel(false);
      readTimer = null;
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (state != State.PROCESSING) { // idle keep-alive, a stalled request line or a refused request
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    endpoint.connectionOpened();
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    endpoint.connectionClosed();
    cancelTimer();
    ByteBuf b = body;
    body = null;
    if (b != null) {
      b.release();
    }
    ArrayDeque<Object> queued = pending;
    if (queued != null) {
      for (Object m; (m = queued.poll()) != null;) {
        ReferenceCountUtil.release(m);
      }
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // a client that resets its connection is routine: no stack trace, no error status
    if (cause instanceof IOException) {
      LOG.debug("HTTP connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      LOG.warn("HTTP connection {} failed: {}", ctx.channel().remoteAddress(), describe(cause));
    }
    ctx.close();
  }

  /**
   * The connection's idle timeout ({@link IdleStateHandler}, first in the pipeline) that also shows each read's bytes
   * to the connection before the HTTP decoder takes them, so that a head arriving in pieces is timed. Not thread-safe:
   * one per channel, on its event loop.
   */
  static final class ReadWatch extends IdleStateHandler {
    private final HttpConnection connection;

    ReadWatch(long idleMillis, HttpConnection connection) {
      super(idleMillis, 0, 0, TimeUnit.MILLISECONDS);
      this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (msg instanceof ByteBuf) {
        connection.bytesRead((ByteBuf) msg);
      }
      super.channelRead(ctx, msg);
    }
  }

  static String describe(@Nullable Throwable t) {
    if (t == null) {
      return "unknown";
    }
    String m = t.getMessage();
    return ApiException.brief(m == null ? t.getClass().getSimpleName() : m, 200);
  }
}
