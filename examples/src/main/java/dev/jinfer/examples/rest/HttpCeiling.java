package dev.jinfer.examples.rest;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The ceiling of HTTP on this machine for {@code jinfer bench --url http://} (examples/README.md, "Benchmark: tools
 * and ceilings"), as {@link GrpcCeiling} is for gRPC: a Netty HTTP/1.1 server on the service's transport (epoll where
 * it loads, else NIO) describing a model shaped like the fraud model on {@code GET /v1/models/{name}} and
 * {@code GET /v2/models/{name}}, and answering every {@code POST} with the same small 200 body on its event loop,
 * without reading it: no JSON, no model, no serving chain. The tool measures it exactly as it measures the service,
 * which {@code GET /health/live} (the ceiling wrk measures) does not let it. Not a service to deploy. Thread-safe.
 *
 * <pre>{@code
 * java -cp examples/target/rest-service.jar dev.jinfer.examples.rest.HttpCeiling 18083
 * }</pre>
 */
public final class HttpCeiling implements AutoCloseable {
  private static final String V1_MODEL = "{\"name\":\"fraud\",\"version\":\"1\",\"inputs\":[{\"name\":\"features\","
      + "\"dtype\":\"FLOAT32\",\"shape\":[-1,32]}],\"outputs\":[{\"name\":\"probabilities\",\"dtype\":\"FLOAT32\","
      + "\"shape\":[-1,2]}]}";
  private static final String V2_MODEL = "{\"name\":\"fraud\",\"versions\":[\"1\"],\"platform\":\"none\",\"inputs\":["
      + "{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[-1,32]}],\"outputs\":[{\"name\":\"probabilities\","
      + "\"datatype\":\"FP32\",\"shape\":[-1,2]}]}";
  private static final String ANSWER = "{\"outputs\":{\"probabilities\":{\"dtype\":\"FLOAT32\",\"shape\":[1,2],"
      + "\"data\":[0.5,0.5]}}}";

  private final EventLoopGroup group;
  private final Channel channel;

  private HttpCeiling(EventLoopGroup group, Channel channel) {
    this.group = group;
    this.channel = channel;
  }

  /**
   * Serves until the process is stopped.
   *
   * @param args the port, and optionally the number of event-loop threads (default: half the CPUs, as the service's
   *     {@code --io-threads})
   * @throws InterruptedException when interrupted while serving
   */
  public static void main(String[] args) throws InterruptedException {
    int port = Integer.parseInt(args[0]);
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    HttpCeiling ceiling = start(port, threads);
    System.out.println("HTTP ceiling (fixed answers, no model, " + (Epoll.isAvailable() ? "epoll" : "nio") + ", " + threads
        + " threads) on " + ceiling.channel.localAddress());
    ceiling.channel.closeFuture().sync();
  }

  /** Starts serving on 127.0.0.1:{@code port} (0: any free port). */
  static HttpCeiling start(int port, int threads) {
    boolean epoll = Epoll.isAvailable();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    ServerBootstrap b = new ServerBootstrap().group(group)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Fixed());
          }
        });
    try {
      return new HttpCeiling(group, b.bind(new InetSocketAddress("127.0.0.1", port)).syncUninterruptibly().channel());
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  /** The port it listens on. */
  int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** Stops listening, closes the connections and ends the event loops. */
  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Fixed answers on the event loop. One per connection. */
  private static final class Fixed extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final ByteBuf V1 = constant(V1_MODEL);
    private static final ByteBuf V2 = constant(V2_MODEL);
    private static final ByteBuf PREDICTED = constant(ANSWER);

    private static ByteBuf constant(String s) {
      return Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      String uri = request.uri();
      ByteBuf body;
      HttpResponseStatus status = HttpResponseStatus.OK;
      if (request.method().equals(HttpMethod.POST)) {
        body = PREDICTED;
      } else if (uri.startsWith("/v1/models/")) {
        body = V1;
      } else if (uri.startsWith("/v2/models/")) {
        body = V2;
      } else {
        body = Unpooled.EMPTY_BUFFER;
        status = HttpResponseStatus.NOT_FOUND;
      }
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body.duplicate());
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
          .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
      if (HttpUtil.isKeepAlive(request)) {
        ctx.writeAndFlush(response, ctx.voidPromise());
      } else {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      }
    }
  }
}
