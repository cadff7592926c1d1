package dev.jinfer.examples.lambda;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Runs {@link FraudHandler} the way a Lambda container's first request does: the class's static init (model
 * load and warmup), then one invocation with an API Gateway event read from a JSON file, with a minimal
 * context. Prints the response's status and body, and the init and invocation times on stderr. For a local
 * try and for the cold-start benchmark ({@code benchmarks/cold-start.sh}); not used by Lambda itself.
 *
 * <p>{@code java -cp 'rest-service-<version>/lib/*' dev.jinfer.examples.lambda.LocalInvoke EVENT.json}
 */
public final class LocalInvoke {
  private LocalInvoke() {}

  /**
   * Invokes the handler once.
   *
   * @param args the event file
   * @throws IOException if the event file cannot be read or is not an API Gateway proxy event
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: LocalInvoke EVENT.json   (an API Gateway proxy event, e.g. examples/src/test/resources/lambda/apigw-one-transaction.json)");
      System.exit(2);
    }
    APIGatewayProxyRequestEvent event = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
        .readValue(Path.of(args[0]).toFile(), APIGatewayProxyRequestEvent.class);
    FraudHandler handler = new FraudHandler();
    long t0 = System.nanoTime();
    APIGatewayProxyResponseEvent response = handler.handleRequest(event, null);
    long invokeNanos = System.nanoTime() - t0;
    System.out.println(response.getStatusCode() + " " + response.getBody());
    System.err.printf(java.util.Locale.ROOT, "init (load, %d warm-up calls, one priming request) %.1f ms, first invocation %.2f ms%n",
        FraudHandler.WARMUP_CALLS, FraudHandler.initNanos() / 1e6, invokeNanos / 1e6);
    if (response.getStatusCode() != 200) {
      System.exit(1);
    }
  }
}
