package com.example.boot;

import dev.jinfer.InvalidInputException;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import java.util.Map;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The fraud model, packaged in this application's jar under {@code models/fraud/1/model.onnx}, behind one
 * endpoint. Configured only by {@code application.properties} ({@code jinfer.repository.root=classpath:models}).
 */
@SpringBootApplication
public class FraudBootApplication {
  public static void main(String[] args) {
    SpringApplication.run(FraudBootApplication.class, args);
  }

  /** A transaction's 32 features. */
  public record ScoreRequest(float[] features) {}

  /** The fraud probability and the model version that computed it. */
  public record ScoreResponse(String version, float fraudProbability) {}

  @RestController
  static class FraudController {
    private final Predictor fraud;

    FraudController(@Qualifier("fraud") Predictor fraud) {
      this.fraud = fraud;
    }

    @PostMapping("/score")
    ScoreResponse score(@RequestBody ScoreRequest request) {
      float[] f = request.features() == null ? new float[0] : request.features();
      NamedTensors out = fraud.predict(NamedTensors.of("features", Tensor.ofFloats(f, 1, f.length)));
      return new ScoreResponse(fraud.modelId().version(), out.get("probabilities").toFloatArray()[1]);
    }

    @ExceptionHandler(InvalidInputException.class)
    ResponseEntity<Map<String, String>> badInput(InvalidInputException e) {
      return ResponseEntity.badRequest().body(Map.of("error", e.getMessage()));
    }
  }
}
