package dev.jinfer.examples.rest;

import dev.jinfer.examples.rest.health.HealthCheckRequest;
import dev.jinfer.examples.rest.health.HealthCheckResponse;
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
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.stub.AbstractAsyncStub;
import io.grpc.stub.AbstractBlockingStub;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;

/**
 * Client stubs of {@code inference.GRPCInferenceService} and {@code grpc.health.v1.Health}, the blocking and
 * the async kind, shaped as protoc-gen-grpc-java generates them (grpc-java's {@link AbstractBlockingStub} and
 * {@link AbstractAsyncStub} over {@link ClientCalls}, so deadlines, cancellation and call options work as with
 * any generated stub), on the method descriptors of {@link OipGrpc}. Thread-safe, as grpc's stubs are.
 */
final class OipStubs {
  private OipStubs() {}

  static Blocking blocking(Channel channel) {
    return new Blocking(channel, CallOptions.DEFAULT);
  }

  static Async async(Channel channel) {
    return new Async(channel, CallOptions.DEFAULT);
  }

  static final class Blocking extends AbstractBlockingStub<Blocking> {
    private Blocking(Channel channel, CallOptions options) {
      super(channel, options);
    }

    @Override
    protected Blocking build(Channel channel, CallOptions options) {
      return new Blocking(channel, options);
    }

    ServerLiveResponse serverLive(ServerLiveRequest r) {
      return ClientCalls.blockingUnaryCall(getChannel(), OipGrpc.SERVER_LIVE, getCallOptions(), r);
    }

    ServerReadyResponse serverReady(ServerReadyRequest r) {
      return ClientCalls.blockingUnaryCall(getChannel(), OipGrpc.SERVER_READY, getCallOptions(), r);
    }

    ModelReadyResponse modelReady(ModelReadyRequest r) {
      return ClientCalls.blockingUnaryCall(getChannel(), OipGrpc.MODEL_READY, getCallOptions(), r);
    }

    ServerMetadataResponse serverMetadata(ServerMetadataRequest r) {
      return ClientCalls.blockingUnaryCall(getChannel(), OipGrpc.SERVER_METADATA, getCallOptions(), r);
    }

    ModelMetadataResponse modelMetadata(ModelMetadataRequest r) {
      return ClientCalls.blockingUnaryCall(getChannel(), OipGrpc.MODEL_METADATA, getCallOptions(), r);
    }

    ModelInferResponse modelInfer(ModelInferRequest r) {
      return ClientCalls.blockingUnaryCall(getChannel(), OipGrpc.MODEL_INFER, getCallOptions(), r);
    }

    HealthCheckResponse check(HealthCheckRequest r) {
      return ClientCalls.blockingUnaryCall(getChannel(), OipGrpc.HEALTH_CHECK, getCallOptions(), r);
    }
  }

  static final class Async extends AbstractAsyncStub<Async> {
    private Async(Channel channel, CallOptions options) {
      super(channel, options);
    }

    @Override
    protected Async build(Channel channel, CallOptions options) {
      return new Async(channel, options);
    }

    void modelInfer(ModelInferRequest r, StreamObserver<ModelInferResponse> response) {
      ClientCalls.asyncUnaryCall(getChannel().newCall(OipGrpc.MODEL_INFER, getCallOptions()), r, response);
    }

    void modelMetadata(ModelMetadataRequest r, StreamObserver<ModelMetadataResponse> response) {
      ClientCalls.asyncUnaryCall(getChannel().newCall(OipGrpc.MODEL_METADATA, getCallOptions()), r, response);
    }
  }
}
