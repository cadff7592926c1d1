package dev.jinfer.spring.example;

import dev.jinfer.InvalidInputException;
import dev.jinfer.ModelNotFoundException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import java.util.Map;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Scores one transaction with the fraud model's Predictor bean. Thread-safe (the bean is). */
@RestController
public class FraudController {
  private final Predictor fraud;

  /** @param fraud the starter's Predictor bean of model {@code fraud} */
  public FraudController(@Qualifier("fraud") Predictor fraud) {
    this.fraud = fraud;
  }

  /** A transaction's 32 features. */
  public record ScoreRequest(float[] features) {}

  /** The fraud probability and the model version that computed it. */
  public record ScoreResponse(String model, String version, float fraudProbability) {}

  /**
   * Scores a transaction.
   *
   * @param request its features
   * @return the probability of fraud
   */
  @PostMapping("/fraud/score")
  public ScoreResponse score(@RequestBody ScoreRequest request) {
    if (request.features() == null) {
      throw new InvalidInputException("features: expected 32 numbers but got none");
    }
    float[] features = request.features();
    NamedTensors out = fraud.predict(NamedTensors.of("features", Tensor.ofFloats(features, 1, features.length)));
    float[] p = out.get("probabilities").toFloatArray();
    // the model version is not in the outputs; modelId() names the version serving now
    return new ScoreResponse("fraud", fraud.modelId().version(), p[1]);
  }

  /** Bad input: 400 with jinfer's message (which names the input, what was expected and what came). */
  @ExceptionHandler(InvalidInputException.class)
  public ResponseEntity<Map<String, String>> badInput(InvalidInputException e) {
    return ResponseEntity.badRequest().body(Map.of("error", e.getMessage()));
  }

  /** No version serving: 503. */
  @ExceptionHandler(ModelNotFoundException.class)
  public ResponseEntity<Map<String, String>> notServing(ModelNotFoundException e) {
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(Map.of("error", e.getMessage()));
  }
}
