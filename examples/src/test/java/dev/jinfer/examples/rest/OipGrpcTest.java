package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.protobuf.ByteString;
import dev.jinfer.Tensor;
import dev.jinfer.examples.rest.health.HealthCheckRequest;
import dev.jinfer.examples.rest.health.HealthCheckResponse;
import dev.jinfer.examples.rest.oip.InferParameter;
import dev.jinfer.examples.rest.oip.InferTensorContents;
import dev.jinfer.examples.rest.oip.ModelInferRequest;
import dev.jinfer.examples.rest.oip.ModelInferResponse;
import dev.jinfer.examples.rest.oip.ModelMetadataRequest;
import dev.jinfer.examples.rest.oip.ModelMetadataResponse;
import dev.jinfer.examples.rest.oip.ModelReadyRequest;
import dev.jinfer.examples.rest.oip.ServerLiveRequest;
import dev.jinfer.examples.rest.oip.ServerMetadataRequest;
import dev.jinfer.examples.rest.oip.ServerReadyRequest;
import dev.jinfer.io.Npy;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol over gRPC, through real grpc-java blocking and async stubs on a real channel:
 * the six RPCs, typed and raw contents for every datatype jinfer holds, a multi-input model, versions, the
 * health service, status codes for bad input, and that the server keeps serving after each.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OipGrpcTest {
  private static final long BODY_LIMIT = 256 * 1024;

  @TempDir
  static Path repository;

  static RestTestSupport rest;
  static ManagedChannel channel;
  static OipStubs.Blocking stub;

  @BeforeAll
  static void start() {
    RestTestSupport.addFraud(repository, "1");
    RestTestSupport.addFraud(repository, "2");
    Path onnx = RestTestSupport.fixtures().resolve("onnx");
    RestTestSupport.addVersion(repository, "multi_io", "1", onnx.resolve("multi_io.onnx"), "model.onnx");
    for (String d : OipHttpTest.DTYPES) {
      RestTestSupport.addVersion(repository, "dtype_" + d, "1", onnx.resolve("dtype_" + d + ".onnx"), "model.onnx");
    }
    rest = RestTestSupport.start(RestConfig.newBuilder().models(repository).keepVersions(2).sessions(1).intraOpThreads(1)
        .httpThreads(4).grpcPort(0).bodyLimitBytes(BODY_LIMIT).pollInterval(null).batchMaxSize(32)); // batcher included
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", rest.service.grpcPort(), InsecureChannelCredentials.create()).build();
    stub = OipStubs.blocking(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (rest != null) {
      rest.close();
    }
  }

  @Test
  void serverLiveReadyAndMetadata() {
    assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    var meta = stub.serverMetadata(ServerMetadataRequest.getDefaultInstance());
    assertThat(meta.getName()).isEqualTo("jinfer");
    assertThat(meta.getVersion()).isNotEmpty();
  }

  @Test
  void modelReady_forModelsAndVersions_andNotFoundForUnknownModels() {
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("fraud").build()).getReady()).isTrue();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("fraud").setVersion("1").build()).getReady()).isTrue();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("fraud").setVersion("7").build()).getReady()).isFalse();
    assertStatus(() -> stub.modelReady(ModelReadyRequest.newBuilder().setName("nope").build()), Status.Code.NOT_FOUND, "nope");
  }

  @Test
  void modelMetadata_givesVersionsPlatformAndTensors() {
    ModelMetadataResponse m = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("fraud").build());
    assertThat(m.getName()).isEqualTo("fraud");
    assertThat(m.getVersionsList()).containsExactly("1", "2");
    assertThat(m.getPlatform()).isEqualTo("jinfer");
    assertThat(m.getInputs(0).getName()).isEqualTo("features");
    assertThat(m.getInputs(0).getDatatype()).isEqualTo("FP32");
    assertThat(m.getInputs(0).getShapeList()).containsExactly(-1L, 32L);
    assertThat(m.getOutputs(0).getName()).isEqualTo("probabilities");
    ModelMetadataResponse multi = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("multi_io").setVersion("1").build());
    assertThat(multi.getOutputsList()).extracting(ModelMetadataResponse.TensorMetadata::getDatatype).containsExactly("FP32", "FP32", "INT64");
    assertStatus(() -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("fraud").setVersion("9").build()),
        Status.Code.NOT_FOUND, "9");
  }

  @Test
  void health_isServing_andAnUnknownServiceIsNotFound() {
    assertThat(stub.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(stub.check(HealthCheckRequest.newBuilder().setService("inference.GRPCInferenceService").build()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertStatus(() -> stub.check(HealthCheckRequest.newBuilder().setService("other").build()), Status.Code.NOT_FOUND, "other");
  }

  @Test
  void modelInfer_typedContents_reproducesTheReference_onBothVersions_andEchoesTheId() {
    float[][] in = Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_input.npy")).toFloatMatrix();
    float[] expected = Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_output.npy")).toFloatArray();
    for (String version : List.of("", "1")) {
      ModelInferResponse r = stub.modelInfer(fraudRequest(in).setModelVersion(version).setId("call-7").build());
      assertThat(r.getModelName()).isEqualTo("fraud");
      assertThat(r.getModelVersion()).isEqualTo(version.isEmpty() ? "2" : "1");
      assertThat(r.getId()).isEqualTo("call-7");
      assertThat(r.getRawOutputContentsCount()).isZero();
      ModelInferResponse.InferOutputTensor out = r.getOutputs(0);
      assertThat(out.getName()).isEqualTo("probabilities");
      assertThat(out.getDatatype()).isEqualTo("FP32");
      assertThat(out.getShapeList()).containsExactly((long) in.length, 2L);
      List<Float> got = out.getContents().getFp32ContentsList();
      assertThat(got).hasSize(expected.length);
      for (int i = 0; i < expected.length; i++) {
        assertThat(got.get(i)).isCloseTo(expected[i], within(1e-5f));
      }
    }
  }

  @Test
  void modelInfer_rawContents_answersWithRawContents() {
    float[][] in = Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_input.npy")).toFloatMatrix();
    float[] expected = Npy.read(RestTestSupport.fixtures().resolve("onnx/fraud_output.npy")).toFloatArray();
    ModelInferRequest req = ModelInferRequest.newBuilder().setModelName("fraud")
        .addInputs(input("features", "FP32", in.length, 32))
        .addRawInputContents(ByteString.copyFrom(Tensor.ofFloats(in).buffer())).build();
    ModelInferResponse r = stub.modelInfer(req);
    assertThat(r.getOutputs(0).hasContents()).isFalse();
    assertThat(r.getRawOutputContentsCount()).isEqualTo(1);
    ByteBuffer raw = r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(raw.remaining()).isEqualTo(expected.length * 4);
    for (float e : expected) {
      assertThat(raw.getFloat()).isCloseTo(e, within(1e-5f));
    }
  }

  @Test
  void modelInfer_everyDatatype_roundTrips_typedAndRaw() {
    record Case(String model, String datatype, InferTensorContents typed, byte[] raw) {}
    List<String> strings = List.of("", "hello", "h\u00e9llo \u2713", "ONNX", "\u65e5\u672c\u8a9e", "tab\tnewline\n");
    List<Case> cases = List.of(
        new Case("bool", "BOOL", InferTensorContents.newBuilder().addAllBoolContents(List.of(true, false, true, false, false, true)).build(),
            new byte[] {1, 0, 1, 0, 0, 1}),
        new Case("uint8", "UINT8", InferTensorContents.newBuilder().addAllUintContents(List.of(0, 1, 127, 128, 42, 255)).build(),
            new byte[] {0, 1, 127, (byte) 128, 42, (byte) 255}),
        new Case("int8", "INT8", InferTensorContents.newBuilder().addAllIntContents(List.of(-128, -1, 0, 1, 42, 127)).build(),
            new byte[] {-128, -1, 0, 1, 42, 127}),
        new Case("int16", "INT16", InferTensorContents.newBuilder().addAllIntContents(List.of(-32768, -1, 0, 1, 42, 32767)).build(),
            bytes(Tensor.ofShorts(new short[] {-32768, -1, 0, 1, 42, 32767}, 2, 3))),
        new Case("int32", "INT32", InferTensorContents.newBuilder().addAllIntContents(List.of(Integer.MIN_VALUE, -1, 0, 1, 42, Integer.MAX_VALUE)).build(),
            bytes(Tensor.ofInts(new int[] {Integer.MIN_VALUE, -1, 0, 1, 42, Integer.MAX_VALUE}, 2, 3))),
        new Case("int64", "INT64", InferTensorContents.newBuilder().addAllInt64Contents(List.of(Long.MIN_VALUE, -1L, 0L, 1L, 42L, Long.MAX_VALUE)).build(),
            bytes(Tensor.ofLongs(new long[] {Long.MIN_VALUE, -1, 0, 1, 42, Long.MAX_VALUE}, 2, 3))),
        new Case("float32", "FP32", InferTensorContents.newBuilder().addAllFp32Contents(List.of(-0.5f, 1.5f, Float.NaN, Float.MAX_VALUE, Float.MIN_NORMAL, Float.NEGATIVE_INFINITY)).build(),
            bytes(Tensor.ofFloats(new float[] {-0.5f, 1.5f, Float.NaN, Float.MAX_VALUE, Float.MIN_NORMAL, Float.NEGATIVE_INFINITY}, 2, 3))),
        new Case("float64", "FP64", InferTensorContents.newBuilder().addAllFp64Contents(List.of(-0.5, 1.5, Double.NaN, Double.MAX_VALUE, Double.MIN_NORMAL, Double.POSITIVE_INFINITY)).build(),
            bytes(Tensor.ofDoubles(new double[] {-0.5, 1.5, Double.NaN, Double.MAX_VALUE, Double.MIN_NORMAL, Double.POSITIVE_INFINITY}, 2, 3))),
        new Case("float16", "FP16", null, bytes(Tensor.ofFloat16(new float[] {-0.5f, 1.5f, 0f, 65504f, 6.1035156e-5f, Float.NaN}, 2, 3))),
        new Case("string", "BYTES", InferTensorContents.newBuilder().addAllBytesContents(strings.stream().map(ByteString::copyFromUtf8).toList()).build(),
            rawStrings(strings)));
    for (Case c : cases) {
      String model = "dtype_" + c.model();
      if (c.typed() != null) {
        ModelInferResponse r = stub.modelInfer(ModelInferRequest.newBuilder().setModelName(model)
            .addInputs(input("x", c.datatype(), 2, 3).toBuilder().setContents(c.typed())).build());
        assertThat(r.getOutputs(0).getDatatype()).as(model).isEqualTo(c.datatype());
        assertThat(r.getOutputs(0).getShapeList()).as(model).containsExactly(2L, 3L);
        assertThat(r.getOutputs(0).getContents()).as(model).isEqualTo(c.typed());
      } else { // FP16 has no typed field: a typed request is refused
        assertStatus(() -> stub.modelInfer(ModelInferRequest.newBuilder().setModelName(model).addInputs(input("x", c.datatype(), 2, 3)).build()),
            Status.Code.INVALID_ARGUMENT, "input 'x': FP16 has no typed contents field; send it as raw_input_contents");
      }
      ModelInferResponse raw = stub.modelInfer(ModelInferRequest.newBuilder().setModelName(model)
          .addInputs(input("x", c.datatype(), 2, 3)).addRawInputContents(ByteString.copyFrom(c.raw())).build());
      assertThat(raw.getOutputs(0).getDatatype()).as(model).isEqualTo(c.datatype());
      assertThat(raw.getRawOutputContents(0).toByteArray()).as(model + " raw").isEqualTo(c.raw());
    }
  }

  @Test
  void modelInfer_multiInput_withRequestedOutputs_andThePriorityParameter() {
    Path onnx = RestTestSupport.fixtures().resolve("onnx");
    Tensor a = Npy.read(onnx.resolve("multi_io_input_a.npy"));
    Tensor b = Npy.read(onnx.resolve("multi_io_input_b.npy"));
    ModelInferRequest req = ModelInferRequest.newBuilder().setModelName("multi_io")
        .putParameters("priority", InferParameter.newBuilder().setStringParam("HIGH").build())
        .addInputs(input("a", "FP32", 5, 4).toBuilder().setContents(InferTensorContents.newBuilder().addAllFp32Contents(boxed(a.toFloatArray()))))
        .addInputs(input("b", "FP32", 5, 4).toBuilder().setContents(InferTensorContents.newBuilder().addAllFp32Contents(boxed(b.toFloatArray()))))
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("argmax_a"))
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("dot"))
        .build();
    ModelInferResponse r = stub.modelInfer(req);
    assertThat(r.getOutputsList()).extracting(ModelInferResponse.InferOutputTensor::getName).containsExactly("argmax_a", "dot");
    assertThat(r.getOutputs(0).getDatatype()).isEqualTo("INT64");
    long[] argmax = Npy.read(onnx.resolve("multi_io_output_argmax_a.npy")).toLongArray();
    assertThat(r.getOutputs(0).getContents().getInt64ContentsList()).containsExactly(box(argmax));
    assertThat(r.getOutputs(1).getContents().getFp32ContentsList())
        .containsExactly(boxed(Npy.read(onnx.resolve("multi_io_output_dot.npy")).toFloatArray()).toArray(new Float[0]));
  }

  @Test
  void asyncStub_manyConcurrentCalls_eachGetsItsOwnAnswer() throws Exception {
    OipStubs.Async async = OipStubs.async(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    List<CompletableFuture<ModelInferResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      CompletableFuture<ModelInferResponse> f = new CompletableFuture<>();
      float[][] row = new float[1][32];
      row[0][i % 32] = i;
      async.modelInfer(fraudRequest(row).setId("async-" + i).build(), observer(f));
      calls.add(f);
    }
    for (int i = 0; i < calls.size(); i++) {
      ModelInferResponse r = calls.get(i).get(60, TimeUnit.SECONDS);
      assertThat(r.getId()).isEqualTo("async-" + i);
      float[][] row = new float[1][32];
      row[0][i % 32] = i;
      ModelInferResponse sync = stub.modelInfer(fraudRequest(row).build());
      assertThat(r.getOutputs(0).getContents()).isEqualTo(sync.getOutputs(0).getContents());
    }
  }

  @Test
  void badInput_isInvalidArgument_namingTheTensor_andTheServerKeepsServing() {
    float[][] one = new float[1][32];
    List<Object[]> cases = List.of(
        new Object[] {ModelInferRequest.newBuilder().setModelName("fraud").addInputs(input("features", "FP32", 2, 32)
            .toBuilder().setContents(InferTensorContents.newBuilder().addAllFp32Contents(boxed(new float[63])))).build(),
            "input 'features': shape [2, 32] holds 64 values but fp32_contents has 63"},
        new Object[] {ModelInferRequest.newBuilder().setModelName("fraud").addInputs(input("features", "FLOAT", 1, 32)).build(),
            "input 'features': unknown datatype 'FLOAT'; expected one of [BOOL, UINT8"},
        new Object[] {ModelInferRequest.newBuilder().setModelName("fraud").addInputs(input("features", "FP32", 1, 32))
            .addRawInputContents(ByteString.copyFrom(new byte[127])).build(),
            "input 'features': raw contents of a [1, 32] FP32 tensor must be 128 bytes but are 127"},
        new Object[] {fraudRequest(one).addRawInputContents(ByteString.copyFrom(new byte[128])).build(),
            "input 'features': has both contents and raw_input_contents"},
        new Object[] {ModelInferRequest.newBuilder().setModelName("fraud").addInputs(input("features", "FP32", 1, 32)
            .toBuilder().setContents(InferTensorContents.newBuilder().addAllIntContents(List.of(1, 2)))).build(),
            "input 'features': FP32 values go in fp32_contents but int_contents holds 2"},
        new Object[] {ModelInferRequest.newBuilder().setModelName("fraud").addInputs(input("features", "UINT64", 1, 32)).build(),
            "expected datatype FP32 (the model's) but got UINT64, which jinfer has no tensor type for"},
        new Object[] {ModelInferRequest.newBuilder().setModelName("fraud").addInputs(input("features", "FP32", 1, 3)
            .toBuilder().setContents(InferTensorContents.newBuilder().addAllFp32Contents(List.of(1f, 2f, 3f)))).build(),
            "input 'features': expected FLOAT32 [-1, 32] but got FLOAT32 [1, 3]"},
        new Object[] {fraudRequest(one).addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")).build(),
            "output 'logits': not an output of the model"},
        new Object[] {ModelInferRequest.newBuilder().setModelName("dtype_string").addInputs(input("x", "BYTES", 1, 1))
            .addRawInputContents(ByteString.copyFrom(new byte[] {9, 0, 0, 0, 'a'})).build(),
            "input 'x': raw BYTES element 0 claims 9 bytes but 1 remain"},
        new Object[] {ModelInferRequest.newBuilder().setModelName("dtype_int8").addInputs(input("x", "INT8", 1, 3)
            .toBuilder().setContents(InferTensorContents.newBuilder().addAllIntContents(List.of(1, 2, 300)))).build(),
            "input 'x': element 2 of a INT8 tensor must be in [-128, 127] but was 300"},
        new Object[] {ModelInferRequest.newBuilder().setModelName("").build(), "model name: expected a model's name"});
    for (Object[] c : cases) {
      assertStatus(() -> stub.modelInfer((ModelInferRequest) c[0]), Status.Code.INVALID_ARGUMENT, (String) c[1]);
      assertThat(stub.modelInfer(fraudRequest(one).build()).getOutputsCount()).isEqualTo(1);
    }
  }

  @Test
  void unknownModelOrVersion_isNotFound() {
    float[][] one = new float[1][32];
    assertStatus(() -> stub.modelInfer(fraudRequest(one).setModelName("nope").build()), Status.Code.NOT_FOUND, "nope");
    assertStatus(() -> stub.modelInfer(fraudRequest(one).setModelVersion("9").build()), Status.Code.NOT_FOUND, "9");
  }

  @Test
  void malformedProtobuf_andOversizedMessages_areRefused_andTheServerKeepsServing() {
    MethodDescriptor<byte[], byte[]> rawInfer = OipGrpc.MODEL_INFER.toBuilder(new BytesMarshaller(), new BytesMarshaller()).build();
    // field 5 (inputs) as a length-delimited field claiming 100 bytes with 1 present
    assertStatus(() -> ClientCalls.blockingUnaryCall(channel, rawInfer, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS),
        new byte[] {0x2a, 100, 1}), Status.Code.INVALID_ARGUMENT, "malformed ModelInferRequest: While parsing a protocol message");
    float[][] many = new float[(int) (BODY_LIMIT / 128) + 8][32];
    assertStatus(() -> stub.modelInfer(ModelInferRequest.newBuilder().setModelName("fraud").addInputs(input("features", "FP32", many.length, 32))
        .addRawInputContents(ByteString.copyFrom(Tensor.ofFloats(many).buffer())).build()), Status.Code.RESOURCE_EXHAUSTED, "");
    assertThat(stub.modelInfer(fraudRequest(new float[1][32]).build()).getOutputsCount()).isEqualTo(1);
  }

  static ModelInferRequest.Builder fraudRequest(float[][] rows) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (float[] row : rows) {
      c.addAllFp32Contents(boxed(row));
    }
    return ModelInferRequest.newBuilder().setModelName("fraud")
        .addInputs(input("features", "FP32", rows.length, 32).toBuilder().setContents(c));
  }

  static ModelInferRequest.InferInputTensor input(String name, String datatype, long... shape) {
    ModelInferRequest.InferInputTensor.Builder b = ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype(datatype);
    for (long d : shape) {
      b.addShape(d);
    }
    return b.build();
  }

  static List<Float> boxed(float[] values) {
    List<Float> out = new ArrayList<>(values.length);
    for (float v : values) {
      out.add(v);
    }
    return out;
  }

  private static Long[] box(long[] values) {
    Long[] out = new Long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  private static byte[] bytes(Tensor t) {
    ByteBuffer b = t.buffer();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static byte[] rawStrings(List<String> strings) {
    ByteBuffer buf = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
    for (String s : strings) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      buf.putInt(b.length).put(b);
    }
    byte[] out = new byte[buf.position()];
    buf.flip().get(out);
    return out;
  }

  static <T> StreamObserver<T> observer(CompletableFuture<T> f) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        f.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        f.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        if (!f.isDone()) {
          f.completeExceptionally(new AssertionError("completed without a value"));
        }
      }
    };
  }

  static void assertStatus(ThrowableAssert.ThrowingCallable call, Status.Code code, String message) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).as(String.valueOf(e.getStatus())).isEqualTo(code);
      assertThat(String.valueOf(e.getStatus().getDescription())).contains(message);
    });
  }

  /** Sends and receives bytes as they are, to put a malformed message on the wire. */
  private static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }
}
