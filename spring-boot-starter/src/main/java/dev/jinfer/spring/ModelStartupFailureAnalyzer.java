package dev.jinfer.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a {@link ModelStartupException} with its property, value and cause (registered in spring.factories). */
final class ModelStartupFailureAnalyzer extends AbstractFailureAnalyzer<ModelStartupException> {
  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, ModelStartupException cause) {
    String description = "jinfer could not serve its models.\n\n    Property: " + cause.property() + "\n    Value: \""
        + cause.value() + "\"\n    Reason: " + cause.reason();
    return new FailureAnalysis(description, cause.action(), cause);
  }
}
