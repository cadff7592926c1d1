package dev.jinfer.examples.rest;

import com.google.protobuf.ByteString;
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
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The ceiling of gRPC on this machine for the benchmark (examples/README.md, "Benchmark: tools and ceilings"): a
 * grpc-java server on the same Netty transport and settings as the service's ({@code directExecutor}), speaking the
 * same {@code inference.GRPCInferenceService} for a model shaped like the fraud model (FP32 {@code [-1, 32]} in,
 * FP32 {@code [-1, 2]} out), whose {@code ModelInfer} answers every request with the same prepared response
 * without reading it: no model, no serving chain, no thread hand-off. {@code jinfer bench --url grpc://} measures
 * it exactly as it measures the service. Not a service to deploy.
 *
 * <pre>{@code
 * java -cp examples/target/rest-service.jar dev.jinfer.examples.rest.GrpcCeiling 18082
 * }</pre>
 */
public final class GrpcCeiling {
  private GrpcCeiling() {}

  /**
   * Serves until the process is stopped.
   *
   * @param args the port
   * @throws IOException when the port cannot be bound
   * @throws InterruptedException when interrupted while serving
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    int port = Integer.parseInt(args[0]);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port), InsecureServerCredentials.create())
        .directExecutor().addService(OipGrpc.bind(new Fixed())).build().start();
    System.out.println("gRPC ceiling (fixed answers, no model) on 127.0.0.1:" + server.getPort());
    server.awaitTermination();
  }

  /** Fixed answers. Thread-safe (immutable). */
  private static final class Fixed implements OipGrpc.Handler {
    private final ModelInferResponse answer = ModelInferResponse.newBuilder().setModelName("fraud").setModelVersion("1")
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("probabilities").setDatatype("FP32")
            .addShape(1).addShape(2))
        .addRawOutputContents(ByteString.copyFrom(new byte[8])).build();

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> response) {
      response.onNext(ServerLiveResponse.newBuilder().setLive(true).build());
      response.onCompleted();
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> response) {
      response.onNext(ServerReadyResponse.newBuilder().setReady(true).build());
      response.onCompleted();
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> response) {
      response.onNext(ModelReadyResponse.newBuilder().setReady(true).build());
      response.onCompleted();
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> response) {
      response.onNext(ServerMetadataResponse.newBuilder().setName("grpc-ceiling").build());
      response.onCompleted();
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> response) {
      response.onNext(ModelMetadataResponse.newBuilder().setName(request.getName()).addVersions("1").setPlatform("none")
          .addInputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("features").setDatatype("FP32")
              .addShape(-1).addShape(32))
          .addOutputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("probabilities").setDatatype("FP32")
              .addShape(-1).addShape(2))
          .build());
      response.onCompleted();
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> response) {
      response.onNext(answer);
      response.onCompleted();
    }
  }
}
