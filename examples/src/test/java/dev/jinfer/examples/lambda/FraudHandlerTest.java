package dev.jinfer.examples.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jinfer.ErrorCode;
import dev.jinfer.io.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invokes {@link FraudHandler} as Lambda would: API Gateway proxy events read from real event JSON
 * ({@code src/test/resources/lambda}, made by {@code generate.py} there), a test context. Expected
 * probabilities are the committed reference outputs of the fixture ({@code fixtures/onnx/fraud_output.npy}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FraudHandlerTest {
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final Path FIXTURES = Path.of(System.getProperty("jinfer.fixtures", "../fixtures"));

  private final FraudHandler handler = new FraudHandler();
  private final TestContext context = new TestContext();

  private static APIGatewayProxyRequestEvent event(String name) throws IOException {
    try (InputStream in = FraudHandlerTest.class.getResourceAsStream("/lambda/" + name)) {
      assertThat(in).as("test resource lambda/" + name).isNotNull();
      return JSON.readValue(in, APIGatewayProxyRequestEvent.class);
    }
  }

  private static float[][] reference() throws IOException {
    return Npy.read(FIXTURES.resolve("onnx/fraud_output.npy")).toFloatMatrix();
  }

  @Test
  void oneTransaction_returns200AndTheReferenceProbabilities() throws IOException {
    APIGatewayProxyResponseEvent r = handler.handleRequest(event("apigw-one-transaction.json"), context);

    assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(200);
    assertThat(r.getHeaders()).containsEntry("Content-Type", "application/json");
    JsonNode p = JSON.readTree(r.getBody()).get("probabilities");
    assertThat(p.size()).isEqualTo(1);
    assertThat(p.get(0).get(0).floatValue()).isCloseTo(reference()[0][0], within(1e-5f));
    assertThat(p.get(0).get(1).floatValue()).isCloseTo(reference()[0][1], within(1e-5f));
    assertThat(context.logLines()).isEmpty();
  }

  @Test
  void base64BodyOfThreeTransactions_returnsThreeRows() throws IOException {
    APIGatewayProxyResponseEvent r = handler.handleRequest(event("apigw-three-transactions-base64.json"), context);

    assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(200);
    JsonNode p = JSON.readTree(r.getBody()).get("probabilities");
    assertThat(p.size()).isEqualTo(3);
    float[][] ref = reference();
    for (int i = 0; i < 3; i++) {
      assertThat(p.get(i).get(1).floatValue()).as("row " + i).isCloseTo(ref[i][1], within(1e-5f));
    }
  }

  @Test
  void bodyThatIsNotJson_returns400NamingTheBody() throws IOException {
    APIGatewayProxyResponseEvent r = handler.handleRequest(event("apigw-bad-body.json"), context);

    assertThat(r.getStatusCode()).isEqualTo(400);
    JsonNode body = JSON.readTree(r.getBody());
    assertThat(body.get("error").asText()).startsWith("request body: expected JSON {\"features\": [32 numbers]}")
        .contains("does not parse");
    assertThat(body.get("code").asText()).isEqualTo(ErrorCode.INVALID_INPUT.name());
    assertThat(context.logLines()).singleElement().asString().startsWith("400 request body");
  }

  @Test
  void thirtyOneFeatures_returns400WithExpectedAndGot() throws IOException {
    APIGatewayProxyResponseEvent r = handler.handleRequest(event("apigw-wrong-length.json"), context);

    assertThat(r.getStatusCode()).isEqualTo(400);
    assertThat(JSON.readTree(r.getBody()).get("error").asText()).isEqualTo("features: expected 32 numbers but got 31");
  }

  @Test
  void noBody_orFeaturesNotAnArray_orANonNumber_return400() {
    APIGatewayProxyRequestEvent noBody = new APIGatewayProxyRequestEvent().withHttpMethod("POST");
    assertThat(handler.handleRequest(noBody, context).getBody()).contains("got no body");

    APIGatewayProxyRequestEvent string = new APIGatewayProxyRequestEvent().withBody("{\"features\": \"x\"}");
    APIGatewayProxyResponseEvent r = handler.handleRequest(string, context);
    assertThat(r.getStatusCode()).isEqualTo(400);
    assertThat(r.getBody()).contains("expected a non-empty array \\\"features\\\" but got string");

    String row = "[" + "0.1,".repeat(31) + "true]";
    APIGatewayProxyRequestEvent bool = new APIGatewayProxyRequestEvent().withBody("{\"features\": [" + row + "]}");
    assertThat(handler.handleRequest(bool, context).getBody()).contains("features[0][31]: expected a number but got true");
  }

  @Test
  void underLambdaTaskRoot_onnxRuntimeIsPointedAtThePackagesNatives_onlyIfTheyAreThere(@TempDir Path root) throws IOException {
    String before = System.getProperty("onnxruntime.native.path");
    System.clearProperty("onnxruntime.native.path");
    try {
      FraudHandler.useUnpackedNatives(root.toString());
      assertThat(System.getProperty("onnxruntime.native.path")).as("no natives in the package").isNull();

      Path dir = Files.createDirectories(root.resolve("lib/native/onnxruntime"));
      Files.write(dir.resolve(System.mapLibraryName("onnxruntime")), new byte[] {0});
      FraudHandler.useUnpackedNatives(root.toString());
      assertThat(System.getProperty("onnxruntime.native.path")).isEqualTo(dir.toString());
    } finally {
      if (before == null) {
        System.clearProperty("onnxruntime.native.path");
      } else {
        System.setProperty("onnxruntime.native.path", before);
      }
    }
  }
}
