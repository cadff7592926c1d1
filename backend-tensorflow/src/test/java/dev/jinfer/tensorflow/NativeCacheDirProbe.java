package dev.jinfer.tensorflow;

import dev.jinfer.Backends;
import dev.jinfer.LoadOptions;
import dev.jinfer.Model;
import java.nio.file.Path;

/**
 * Run in a fresh JVM by {@link NativeCacheDirTest}: loads a SavedModel with
 * {@link TensorflowBackend#NATIVE_CACHE_DIR} set, then prints where the natives were unpacked and how long
 * loading them took.
 */
public final class NativeCacheDirProbe {
  private NativeCacheDirProbe() {}

  /**
   * Loads {@code args[1]} with the native cache dir {@code args[0]}.
   *
   * @param args the cache dir and a SavedModel directory
   */
  public static void main(String[] args) {
    LoadOptions options = LoadOptions.newBuilder().backend(TensorflowBackend.NAME)
        .property(TensorflowBackend.NATIVE_CACHE_DIR, args[0]).build();
    try (Model model = Backends.discover().load(Path.of(args[1]), options)) {
      System.out.println("loadedFrom=" + TensorflowNatives.loadedFrom());
      System.out.println("loadMillis=" + TensorflowNatives.loadNanos() / 1_000_000);
      System.out.println("inputs=" + model.signature().inputs());
    }
  }
}
