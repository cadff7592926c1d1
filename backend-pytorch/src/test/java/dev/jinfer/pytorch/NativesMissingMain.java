package dev.jinfer.pytorch;

import dev.jinfer.Backends;
import dev.jinfer.LoadOptions;
import java.nio.file.Path;

/** Run by {@link OfflineNativesTest} in a child JVM whose classpath lacks the natives: prints what loading does. */
public final class NativesMissingMain {
  private NativesMissingMain() {}

  /**
   * Loads a model with the PyTorch backend forced and prints the outcome.
   *
   * @param args the model path
   */
  public static void main(String[] args) {
    try {
      Backends.discover().load(Path.of(args[0]), LoadOptions.newBuilder().backend(PytorchBackend.NAME).build()).close();
      System.out.println("RESULT loaded");
    } catch (RuntimeException e) {
      System.out.println("RESULT " + e.getClass().getName() + ": " + e.getMessage());
    }
  }
}
