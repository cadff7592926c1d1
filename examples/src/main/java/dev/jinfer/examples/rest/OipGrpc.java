package dev.jinfer.examples.rest;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import dev.jinfer.examples.rest.health.HealthCheckRequest;
import dev.jinfer.examples.rest.health.HealthCheckResponse;
import dev.jinfer.examples.rest.health.HealthProto;
import dev.jinfer.examples.rest.oip.GrpcPredictV2;
import dev.jinfer.examples.rest.oip.ModelInferRequest;
import dev.jinfer.examples.rest.oip.ModelInferResponse;
import dev.jinfer.examples.rest.oip.ModelMetadataRequest;
import dev.jinfer.examples.rest.oip.ModelMetadataResponse;
import dev.jinfer.examples.rest.oip.ModelReadyRequest;
import dev.jinfer.examples.rest.oip.ModelReadyResponse;
import dev.jinfer.examples.rest.oip.ServerLiveRequest;
import dev.jinfer.examples.rest.oip.ServerLiveResponse;
import dev.jinfer.examples.rest.oip.ServerMetadataRequest;
import dev.jinfer.examples.rest.oip.ServerMetadataResponse;
import dev.jinfer.examples.rest.oip.ServerReadyRequest;
import dev.jinfer.examples.rest.oip.ServerReadyResponse;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.InputStream;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The gRPC method descriptors of the Open Inference Protocol's {@code inference.GRPCInferenceService} and of
 * {@code grpc.health.v1.Health/Check}, built from the service descriptors protoc generates from
 * {@code src/main/proto} (names and message types are taken from, and checked against, the {@code .proto}),
 * and the binding of a handler to them. This is what protoc-gen-grpc-java would generate, written once by
 * hand because its native binary is not available to this build. Immutable, thread-safe.
 */
final class OipGrpc {
  static final Descriptors.ServiceDescriptor SERVICE = GrpcPredictV2.getDescriptor().findServiceByName("GRPCInferenceService");
  static final Descriptors.ServiceDescriptor HEALTH = HealthProto.getDescriptor().findServiceByName("Health");

  static final MethodDescriptor<ServerLiveRequest, ServerLiveResponse> SERVER_LIVE =
      method(SERVICE, "ServerLive", ServerLiveRequest.getDefaultInstance(), ServerLiveResponse.getDefaultInstance());
  static final MethodDescriptor<ServerReadyRequest, ServerReadyResponse> SERVER_READY =
      method(SERVICE, "ServerReady", ServerReadyRequest.getDefaultInstance(), ServerReadyResponse.getDefaultInstance());
  static final MethodDescriptor<ModelReadyRequest, ModelReadyResponse> MODEL_READY =
      method(SERVICE, "ModelReady", ModelReadyRequest.getDefaultInstance(), ModelReadyResponse.getDefaultInstance());
  static final MethodDescriptor<ServerMetadataRequest, ServerMetadataResponse> SERVER_METADATA =
      method(SERVICE, "ServerMetadata", ServerMetadataRequest.getDefaultInstance(), ServerMetadataResponse.getDefaultInstance());
  static final MethodDescriptor<ModelMetadataRequest, ModelMetadataResponse> MODEL_METADATA =
      method(SERVICE, "ModelMetadata", ModelMetadataRequest.getDefaultInstance(), ModelMetadataResponse.getDefaultInstance());
  static final MethodDescriptor<ModelInferRequest, ModelInferResponse> MODEL_INFER =
      method(SERVICE, "ModelInfer", ModelInferRequest.getDefaultInstance(), ModelInferResponse.getDefaultInstance());
  static final MethodDescriptor<HealthCheckRequest, HealthCheckResponse> HEALTH_CHECK =
      method(HEALTH, "Check", HealthCheckRequest.getDefaultInstance(), HealthCheckResponse.getDefaultInstance());

  private OipGrpc() {}

  /** The handlers of the six protocol RPCs. Implementations are thread-safe. */
  interface Handler {
    void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> response);

    void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> response);

    void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> response);

    void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> response);

    void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> response);

    void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> response);
  }

  /** @return the protocol's service, every method bound to the handler */
  static ServerServiceDefinition bind(Handler h) {
    return ServerServiceDefinition.builder(SERVICE.getFullName())
        .addMethod(unary(SERVER_LIVE, ServerLiveRequest.getDefaultInstance(), h::serverLive))
        .addMethod(unary(SERVER_READY, ServerReadyRequest.getDefaultInstance(), h::serverReady))
        .addMethod(unary(MODEL_READY, ModelReadyRequest.getDefaultInstance(), h::modelReady))
        .addMethod(unary(SERVER_METADATA, ServerMetadataRequest.getDefaultInstance(), h::serverMetadata))
        .addMethod(unary(MODEL_METADATA, ModelMetadataRequest.getDefaultInstance(), h::modelMetadata))
        .addMethod(unary(MODEL_INFER, ModelInferRequest.getDefaultInstance(), h::modelInfer))
        .build();
  }

  /** @return {@code grpc.health.v1.Health} with its Check method bound (Watch is not offered: UNIMPLEMENTED) */
  static ServerServiceDefinition bindHealth(BiConsumer<HealthCheckRequest, StreamObserver<HealthCheckResponse>> check) {
    return ServerServiceDefinition.builder(HEALTH.getFullName())
        .addMethod(unary(HEALTH_CHECK, HealthCheckRequest.getDefaultInstance(), check)).build();
  }

  /** A request as it came off the wire: the message, or why it could not be parsed. */
  record Parsed<Q>(@Nullable Q message, @Nullable Throwable error) {}

  /**
   * A unary method whose request is parsed without throwing, so that a malformed message gets
   * INVALID_ARGUMENT with protobuf's reason (grpc-java answers a parse failure thrown by the marshaller
   * with UNKNOWN, "Application error processing RPC").
   */
  private static <Q extends Message, R> ServerMethodDefinition<Parsed<Q>, R> unary(MethodDescriptor<Q, R> method, Q prototype,
      BiConsumer<Q, StreamObserver<R>> handler) {
    MethodDescriptor.Marshaller<Q> proto = ProtoUtils.marshaller(prototype);
    MethodDescriptor.Marshaller<Parsed<Q>> tolerant = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(Parsed<Q> value) {
        return proto.stream(java.util.Objects.requireNonNull(value.message(), "a request that did not parse"));
      }

      @Override
      public Parsed<Q> parse(InputStream stream) {
        try {
          return new Parsed<>(proto.parse(stream), null);
        } catch (RuntimeException e) {
          return new Parsed<>(null, e.getCause() != null ? e.getCause() : e);
        }
      }
    };
    String type = prototype.getDescriptorForType().getName();
    return ServerMethodDefinition.create(method.toBuilder(tolerant, method.getResponseMarshaller()).build(),
        ServerCalls.asyncUnaryCall((Parsed<Q> request, StreamObserver<R> response) -> {
          if (request.message() == null) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("malformed " + type + ": "
                + (request.error() == null ? "unparseable" : request.error().getMessage())).asRuntimeException());
          } else {
            handler.accept(request.message(), response);
          }
        }));
  }

  private static <Q extends Message, R extends Message> MethodDescriptor<Q, R> method(Descriptors.ServiceDescriptor service,
      String name, Q request, R response) {
    Descriptors.MethodDescriptor m = service.findMethodByName(name);
    if (m == null || !m.getInputType().equals(request.getDescriptorForType())
        || !m.getOutputType().equals(response.getDescriptorForType())) {
      throw new IllegalStateException("the .proto of " + service.getFullName() + " has no method " + name + "("
          + request.getDescriptorForType().getName() + ") returns " + response.getDescriptorForType().getName());
    }
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service.getFullName(), name))
        .setRequestMarshaller(ProtoUtils.marshaller(request))
        .setResponseMarshaller(ProtoUtils.marshaller(response))
        .build();
  }
}
