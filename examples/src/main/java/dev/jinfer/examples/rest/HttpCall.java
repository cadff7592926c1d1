package dev.jinfer.examples.rest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP request, complete with its body, and the way to answer it: what {@link RestHandler} sees of the
 * server. Made by {@link HttpConnection} once the last byte of the body came; answered exactly once, from any
 * thread (the write goes to the connection's event loop). Owns the body buffer until the answer is sent.
 */
final class HttpCall {
  private static final AsciiString JSON = AsciiString.cached("application/json");

  private final HttpConnection connection;
  private final HttpRequest request;
  private final ByteBuf body;
  private final long startNanos;
  private final boolean keepAlive;
  private final String rawPath;
  /** 1 once answered; a field updater rather than an AtomicBoolean, one object less per request */
  private volatile int answered;
  private static final AtomicIntegerFieldUpdater<HttpCall> ANSWERED = AtomicIntegerFieldUpdater.newUpdater(HttpCall.class, "answered");

  HttpCall(HttpConnection connection, HttpRequest request, ByteBuf body, long startNanos, boolean keepAlive) {
    this.connection = connection;
    this.request = request;
    this.body = body;
    this.startNanos = startNanos;
    this.keepAlive = keepAlive;
    String uri = request.uri();
    int q = uri.indexOf('?');
    int h = uri.indexOf('#');
    int end = q < 0 ? (h < 0 ? uri.length() : h) : (h < 0 ? q : Math.min(q, h));
    String path = uri.substring(0, end);
    if (path.startsWith("http://") || path.startsWith("https://")) { // absolute-form request target
      int slash = path.indexOf('/', path.indexOf("//") + 2);
      path = slash < 0 ? "/" : path.substring(slash);
    }
    this.rawPath = path;
  }

  /** @return the request method, e.g. {@code GET} */
  String method() {
    return request.method().name();
  }

  /** @return the path of the request target, still percent-encoded, without the query */
  String rawPath() {
    return rawPath;
  }

  /** @return the request target as sent, for logs */
  String uri() {
    return request.uri();
  }

  /** @return the first value of a request header, or null */
  @Nullable String header(CharSequence name) {
    return request.headers().get(name);
  }

  /** @return the body: a buffer with a backing array, valid until the answer is sent */
  ByteBuf body() {
    return body;
  }

  /** @return {@link System#nanoTime()} when the request line came */
  long startNanos() {
    return startNanos;
  }

  /** @return the allocator for the answer's body */
  ByteBufAllocator alloc() {
    return connection.alloc();
  }

  /** @return whether the client closed its connection before the answer */
  boolean isClientGone() {
    return !connection.isOpen();
  }

  /**
   * Sends the answer (the content is released by the write). Headers beside Content-Type, Content-Length and
   * Connection go in {@code headers}.
   *
   * @param status the status
   * @param contentType the Content-Type, or null for an empty body
   * @param content the body, owned by this call from now on
   * @param headers extra headers, or null
   * @param close whether to close the connection after the answer
   * @return false when the client had already gone (nothing is sent)
   */
  boolean respond(int status, @Nullable CharSequence contentType, ByteBuf content, @Nullable HttpHeaders headers, boolean close) {
    if (!ANSWERED.compareAndSet(this, 0, 1)) {
      content.release();
      throw new IllegalStateException("answered twice: " + method() + " " + uri());
    }
    body.release();
    // a full response never has trailers: the shared empty ones, not a second header map per answer
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), content,
        connection.responseHeaders(), EmptyHttpHeaders.INSTANCE);
    HttpHeaders h = response.headers();
    if (headers != null) {
      h.add(headers);
    }
    if (contentType != null) {
      h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
    }
    h.setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
    boolean closing = close || !keepAlive || (headers != null && headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true));
    if (closing) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    return connection.send(response, closing);
  }

  /** A JSON answer. */
  boolean respondJson(int status, ByteBuf json, @Nullable HttpHeaders headers, boolean close) {
    return respond(status, JSON, json, headers, close);
  }
}
