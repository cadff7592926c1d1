package com.example.fraud;

import dev.jinfer.LoadOptions;
import dev.jinfer.onnx.OnnxBackend;
import dev.jinfer.spi.Backend;
import dev.jinfer.spi.BackendSession;
import dev.jinfer.spi.ModelSource;

/**
 * A team's own backend: ONNX Runtime with the team's fixed settings (one session, one intra-op thread), under
 * its own name, ranked below jinfer's so it runs only when asked for ({@code LoadOptions.backend("toy-onnx")}).
 */
public final class ToyOnnxBackend implements Backend {
  /** The name to force it with. */
  public static final String NAME = "toy-onnx";

  private final OnnxBackend onnx = new OnnxBackend();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return 50;
  }

  @Override
  public boolean isAvailable() {
    return onnx.isAvailable();
  }

  @Override
  public boolean accepts(ModelSource source) {
    return onnx.accepts(source);
  }

  @Override
  public boolean loadsFromMemory() {
    return true;
  }

  @Override
  public BackendSession load(ModelSource source, LoadOptions options) throws Exception {
    return onnx.load(source, options.toBuilder().intraOpThreads(1).property("onnx.sessions", "1").build());
  }
}
