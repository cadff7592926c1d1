package dev.jinfer.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.Map;

/**
 * The cold-start baseline of {@code benchmarks/cold-start.sh}: the least a Java program does to score the fraud
 * model with ONNX Runtime alone (environment, session, one 16-row run, print), to be run as a whole process
 * with nothing but the ONNX Runtime jar and this class on the class path. Its time is the floor that
 * {@code jinfer predict} from the distribution is compared with.
 *
 * <p>{@code java -cp benchmarks/target/classes:onnxruntime-1.23.2.jar dev.jinfer.benchmarks.RawOnnxStartup MODEL}
 */
public final class RawOnnxStartup {
  private RawOnnxStartup() {}

  /**
   * Loads the model and scores 16 rows of 32 features.
   *
   * @param args the model file
   * @throws OrtException if ONNX Runtime fails
   */
  public static void main(String[] args) throws OrtException {
    if (args.length != 1) {
      System.err.println("usage: RawOnnxStartup MODEL.onnx");
      System.exit(2);
    }
    float[][] rows = new float[16][32];
    for (int r = 0; r < rows.length; r++) {
      for (int c = 0; c < rows[r].length; c++) {
        rows[r][c] = ((r * 32 + c) % 7 - 3) * 0.25f;
      }
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(args[0], options);
        OnnxTensor input = OnnxTensor.createTensor(env, rows);
        OrtSession.Result result = session.run(Map.of("features", input))) {
      float[][] p = (float[][]) result.get(0).getValue();
      System.out.println("p(fraud) of row 0: " + p[0][1]);
    }
  }
}
