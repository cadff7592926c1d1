package dev.jinfer.examples.lambda;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A Lambda {@link Context} for invoking a handler in a test: fixed ids, a logger that keeps its lines. Thread-safe. */
final class TestContext implements Context {
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final LambdaLogger logger = new LambdaLogger() {
    @Override
    public void log(String message) {
      lines.add(message);
    }

    @Override
    public void log(byte[] message) {
      lines.add(new String(message, StandardCharsets.UTF_8));
    }
  };

  List<String> logLines() {
    return lines;
  }

  @Override
  public String getAwsRequestId() {
    return "e5b7c3a1-6f2d-4f1a-9b8e-0c1d2e3f4a5b";
  }

  @Override
  public String getLogGroupName() {
    return "/aws/lambda/jinfer-fraud";
  }

  @Override
  public String getLogStreamName() {
    return "2026/12/04/[$LATEST]0123456789abcdef";
  }

  @Override
  public String getFunctionName() {
    return "jinfer-fraud";
  }

  @Override
  public String getFunctionVersion() {
    return "$LATEST";
  }

  @Override
  public String getInvokedFunctionArn() {
    return "arn:aws:lambda:eu-west-1:123456789012:function:jinfer-fraud";
  }

  @Override
  public CognitoIdentity getIdentity() {
    return null;
  }

  @Override
  public ClientContext getClientContext() {
    return null;
  }

  @Override
  public int getRemainingTimeInMillis() {
    return 30_000;
  }

  @Override
  public int getMemoryLimitInMB() {
    return 1024;
  }

  @Override
  public LambdaLogger getLogger() {
    return logger;
  }
}
