package dev.jinfer.spring.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The example application: the fraud model behind a {@code @RestController} ({@link FraudController}), configured
 * only by {@code jinfer.*} properties (see README.md beside this class). Run it with
 * {@code --jinfer.repository.root=<dir holding fraud/1/model.onnx>}.
 */
@SpringBootApplication
public class FraudApplication {
  /**
   * Starts the application.
   *
   * @param args Spring Boot arguments, e.g. {@code --jinfer.repository.root=/models}
   */
  public static void main(String[] args) {
    SpringApplication.run(FraudApplication.class, args);
  }
}
