package dev.jinfer.cli.bench;

import com.google.protobuf.ByteString;
import dev.jinfer.DType;
import dev.jinfer.ModelSignature;
import dev.jinfer.NamedTensors;
import dev.jinfer.Tensor;
import dev.jinfer.TensorSpec;
import dev.jinfer.cli.bench.oip.ModelInferRequest;
import dev.jinfer.cli.bench.oip.ModelInferResponse;
import dev.jinfer.cli.bench.oip.ModelMetadataRequest;
import dev.jinfer.cli.bench.oip.ModelMetadataResponse;
import dev.jinfer.cli.exit.ExitCode;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A service speaking the Open Inference Protocol's {@code inference.GRPCInferenceService} (jinfer's REST service
 * with {@code --grpc-port}, or Triton, KServe, MLServer): the signature comes from {@code ModelMetadata}, each
 * request is a {@code ModelInfer} with {@code raw_input_contents} (little-endian, row-major; BYTES as 4-byte
 * length + UTF-8), the form high-throughput clients use. Each client has a channel (an HTTP/2
 * connection) of its own, as each wrk connection is one TCP connection, so levels compare with the HTTP
 * targets. Closed loops are event-driven ({@link #prepareAsync}): every channel runs on one shared Netty event
 * loop thread and each answer's callback sends that client's next request there, so the tool needs no thread
 * per client (a blocking stub per client thread was the bottleneck: 4.9k req/s at p99 11 ms against a no-op
 * server). Open loops use the blocking calls. The call's gRPC deadline is {@code --deadline} if given (the server turns it into jinfer's
 * deadline), else {@code --timeout}. A non-OK status is counted as {@code GRPC <code>}. Thread-safe.
 */
final class GrpcTarget implements LoadTarget {
  static final String SERVICE = "inference.GRPCInferenceService";
  static final MethodDescriptor<ModelMetadataRequest, ModelMetadataResponse> MODEL_METADATA =
      unary("ModelMetadata", ModelMetadataRequest.getDefaultInstance(), ModelMetadataResponse.getDefaultInstance());
  static final MethodDescriptor<ModelInferRequest, ModelInferResponse> MODEL_INFER =
      unary("ModelInfer", ModelInferRequest.getDefaultInstance(), ModelInferResponse.getDefaultInstance());

  private final String host;
  private final int port;
  private final String model;
  private final @Nullable String version;
  private final ModelSignature signature;
  private final Duration callDeadline;
  private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();
  private final ThreadLocal<ManagedChannel> channel = ThreadLocal.withInitial(this::newChannel);
  /** The event-driven clients' channels by client, on {@link #eventLoop}; made on first use. */
  private final java.util.concurrent.ConcurrentHashMap<Integer, ManagedChannel> clientChannels =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile io.netty.channel.@Nullable EventLoopGroup eventLoop;

  private GrpcTarget(String host, int port, String model, @Nullable String version, ModelSignature signature,
      Duration callDeadline) {
    this.host = host;
    this.port = port;
    this.model = model;
    this.version = version;
    this.signature = signature;
    this.callDeadline = callDeadline;
  }

  private static <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message> MethodDescriptor<Q, R> unary(
      String method, Q request, R response) {
    return MethodDescriptor.<Q, R>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, method))
        .setRequestMarshaller(ProtoUtils.marshaller(request)).setResponseMarshaller(ProtoUtils.marshaller(response)).build();
  }

  /**
   * Connects: checks the URL and reads the model's signature with {@code ModelMetadata}.
   *
   * @param url {@code grpc://host:port}
   * @param model the model's name in the service
   * @param version a version, or null for the serving one
   * @param timeout the client-side limit of each call (its gRPC deadline unless {@code deadline} is given)
   * @param deadline the gRPC deadline of each call, which the server honours, or null
   * @return the target
   * @throws BenchException usage for a malformed URL, I/O when the service cannot be reached, model load when
   *     the service does not know the model or describes it with a datatype jinfer has no tensor type for
   */
  static GrpcTarget connect(String url, String model, @Nullable String version, Duration timeout, @Nullable Duration deadline) {
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw BenchException.usage("--url: expected grpc://host:port but got '" + url + "' (" + e.getReason() + ")");
    }
    if (!"grpc".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0
        || !(uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/")) || uri.getQuery() != null) {
      throw BenchException.usage("--url: expected grpc://host:port (a host and a port, nothing after) but got '" + url + "'");
    }
    Duration perCall = deadline != null ? deadline : timeout;
    ManagedChannel ch = Grpc.newChannelBuilderForAddress(uri.getHost(), uri.getPort(), InsecureChannelCredentials.create()).build();
    ModelMetadataResponse meta;
    ModelSignature sig;
    try {
      ModelMetadataRequest.Builder req = ModelMetadataRequest.newBuilder().setName(model);
      if (version != null) {
        req.setVersion(version);
      }
      meta = ClientCalls.blockingUnaryCall(ch, MODEL_METADATA, CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(),
          TimeUnit.NANOSECONDS), req.build());
      sig = ModelSignature.of(specs(meta.getInputsList()), specs(meta.getOutputsList()));
    } catch (StatusRuntimeException e) {
      ch.shutdownNow();
      Status.Code code = e.getStatus().getCode();
      String why = code + (e.getStatus().getDescription() == null ? "" : " (" + e.getStatus().getDescription() + ")");
      if (code == Status.Code.NOT_FOUND || code == Status.Code.INVALID_ARGUMENT) {
        throw new BenchException(ExitCode.MODEL_LOAD, "model '" + model + "': expected the service at " + url
            + " to serve it but ModelMetadata answered " + why);
      }
      throw new BenchException(ExitCode.IO, "--url " + url + ": expected an Open Inference Protocol gRPC service but"
          + " ModelMetadata failed: " + why, e);
    } catch (IllegalArgumentException | dev.jinfer.InvalidInputException e) {
      ch.shutdownNow();
      throw new BenchException(ExitCode.MODEL_LOAD, "model '" + model + "': expected tensor metadata jinfer can generate"
          + " inputs for from ModelMetadata at " + url + " but: " + e.getMessage(), e);
    }
    GrpcTarget target = new GrpcTarget(uri.getHost(), uri.getPort(), model, version, sig, perCall);
    target.channels.add(ch); // closed with the target
    return target;
  }

  private static List<TensorSpec> specs(List<ModelMetadataResponse.TensorMetadata> list) {
    List<TensorSpec> specs = new ArrayList<>();
    for (ModelMetadataResponse.TensorMetadata m : list) {
      DType dtype = OipTypes.dtype(m.getDatatype());
      if (dtype == null) {
        throw new IllegalArgumentException("tensor '" + m.getName() + "' has datatype '" + m.getDatatype()
            + "', which jinfer has no tensor type for");
      }
      long[] dims = new long[m.getShapeCount()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = m.getShape(i);
      }
      specs.add(TensorSpec.of(m.getName(), dtype, dims));
    }
    return specs;
  }

  private ManagedChannel newChannel() {
    ManagedChannel c = Grpc.newChannelBuilderForAddress(host, port, InsecureChannelCredentials.create()).build();
    channels.add(c);
    return c;
  }

  @Override
  public ModelSignature signature() {
    return signature;
  }

  @Override
  public boolean remote() {
    return true;
  }

  @Override
  public String description() {
    return model + ":" + (version == null ? "serving" : version) + " at grpc://" + host + ":" + port + " (" + SERVICE
        + "/ModelInfer, raw contents, a channel per client, event-driven on one I/O thread)";
  }

  @Override
  public Call prepare(NamedTensors request) {
    ModelInferRequest message = message(request);
    return () -> send(message);
  }

  private ModelInferRequest message(NamedTensors request) {
    ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(model);
    if (version != null) {
      b.setModelVersion(version);
    }
    for (Map.Entry<String, Tensor> e : request) {
      Tensor t = e.getValue();
      ModelInferRequest.InferInputTensor.Builder in = b.addInputsBuilder().setName(e.getKey()).setDatatype(OipTypes.name(t.dtype()));
      for (long d : t.shape().toArray()) {
        in.addShape(d);
      }
      b.addRawInputContents(raw(t));
    }
    return b.build();
  }

  @Override
  public AsyncCall prepareAsync(NamedTensors request, int client) {
    ModelInferRequest message = message(request);
    ManagedChannel ch = clientChannels.computeIfAbsent(client, c -> eventDrivenChannel());
    return done -> sendAsync(ch, message, done);
  }

  private synchronized ManagedChannel eventDrivenChannel() {
    io.netty.channel.EventLoopGroup group = eventLoop;
    if (group == null) {
      group = new io.netty.channel.MultiThreadIoEventLoopGroup(1, io.netty.channel.nio.NioIoHandler.newFactory());
      eventLoop = group;
    }
    ManagedChannel c = io.grpc.netty.NettyChannelBuilder.forAddress(host, port).usePlaintext().eventLoopGroup(group)
        .channelType(io.netty.channel.socket.nio.NioSocketChannel.class).directExecutor().build();
    channels.add(c);
    return c;
  }

  private void sendAsync(ManagedChannel ch, ModelInferRequest request, java.util.function.Consumer<@Nullable String> done) {
    ClientCalls.asyncUnaryCall(ch.newCall(MODEL_INFER, CallOptions.DEFAULT.withDeadlineAfter(callDeadline.toNanos(),
        TimeUnit.NANOSECONDS)), request, new io.grpc.stub.StreamObserver<ModelInferResponse>() {
          private @Nullable ModelInferResponse response;

          @Override
          public void onNext(ModelInferResponse value) {
            response = value;
          }

          @Override
          public void onError(Throwable t) {
            done.accept(t instanceof StatusRuntimeException
                ? "GRPC " + ((StatusRuntimeException) t).getStatus().getCode().name() : t.getClass().getSimpleName());
          }

          @Override
          public void onCompleted() {
            ModelInferResponse r = response;
            done.accept(r == null || r.getOutputsCount() == 0 ? "GRPC NO_OUTPUTS" : null);
          }
        });
  }

  /** The protocol's raw form of a tensor: little-endian, row-major; BYTES as 4-byte length + UTF-8 bytes. */
  static ByteString raw(Tensor t) {
    if (t.dtype() != DType.STRING) {
      return ByteString.copyFrom(t.buffer());
    }
    String[] values = t.toStringArray();
    List<byte[]> bytes = new ArrayList<>(values.length);
    int size = 0;
    for (String v : values) {
      byte[] b = v.getBytes(StandardCharsets.UTF_8);
      bytes.add(b);
      size += 4 + b.length;
    }
    ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] b : bytes) {
      out.putInt(b.length).put(b);
    }
    out.flip();
    return ByteString.copyFrom(out);
  }

  private @Nullable String send(ModelInferRequest request) {
    try {
      ModelInferResponse r = ClientCalls.blockingUnaryCall(channel.get(), MODEL_INFER,
          CallOptions.DEFAULT.withDeadlineAfter(callDeadline.toNanos(), TimeUnit.NANOSECONDS), request);
      if (r.getOutputsCount() == 0) {
        return "GRPC NO_OUTPUTS";
      }
      return null;
    } catch (StatusRuntimeException e) {
      return "GRPC " + e.getStatus().getCode().name();
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName();
    }
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (ManagedChannel c : channels) {
      try {
        c.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    channels.clear();
    clientChannels.clear();
    io.netty.channel.EventLoopGroup group = eventLoop;
    if (group != null) {
      group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
  }
}
