package com.example.fraud;

import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import dev.jinfer.NamedTensors;
import dev.jinfer.Predictor;
import dev.jinfer.Tensor;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** Scores transactions with the fraud model packaged in this application's jar ({@code models/fraud.onnx}). */
public final class FraudScorer implements AutoCloseable {
  private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Model model = Model.loadResource("models/fraud.onnx",
      LoadOptions.newBuilder().modelName("fraud").meterRegistry(meters).build());
  private final Predictor predictor = model.predictor();

  /**
   * The fraud probability of one transaction.
   *
   * @param features its 32 features
   * @return the probability of class 1
   */
  public float score(float[] features) {
    NamedTensors out = predictor.predict(NamedTensors.of("features", Tensor.ofFloats(features, 1, features.length)));
    return out.get("probabilities").toFloatArray()[1];
  }

  /** @return the Prometheus scrape */
  public String scrape() {
    return meters.scrape();
  }

  /** @return the backend that loaded the model */
  public String backend() {
    return model.backend();
  }

  @Override
  public void close() {
    model.close();
  }
}
