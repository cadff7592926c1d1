package com.example.fraud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jinfer.Tensor;
import dev.jinfer.io.Npy;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The model from this jar's classpath, its answers against the reference outputs, and conventional meters. */
class FraudScorerTest {
  private static Tensor reference(String file) throws IOException {
    try (InputStream in = FraudScorerTest.class.getClassLoader().getResourceAsStream("dev/jinfer/kit/fixtures/onnx/" + file)) {
      return Npy.read(in);
    }
  }

  @Test
  void scoresFromTheClasspathModel_matchTheReference_andTheScrapeIsConventional() throws IOException {
    float[][] input = reference("fraud_input.npy").toFloatMatrix();
    float[][] expected = reference("fraud_output.npy").toFloatMatrix();
    try (FraudScorer scorer = new FraudScorer()) {
      assertThat(scorer.backend()).as("jinfer's ONNX backend outranks the toy one").isEqualTo("onnx");
      for (int i = 0; i < input.length; i++) {
        assertThat(scorer.score(input[i])).as("row %d", i).isCloseTo(expected[i][1], within(1e-5f));
      }
      assertThat(scorer.scrape())
          .contains("# TYPE jinfer_predict_seconds histogram")
          .contains("jinfer_predict_seconds_count{error=\"none\",model=\"fraud\",outcome=\"success\",version=\"1\"} "
              + input.length)
          .doesNotContain("jinfer_predict_latency").doesNotContain("quantile=");
    }
  }
}
