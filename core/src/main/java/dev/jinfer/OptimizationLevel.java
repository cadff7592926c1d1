package dev.jinfer;

/**
 * How much graph optimization an engine applies at load time. Backends map it to their own settings
 * (for ONNX Runtime: disabled / basic / extended / all).
 */
public enum OptimizationLevel {
  /** No graph rewriting. */
  NONE,
  /** Semantics-preserving, device-independent rewrites (constant folding, redundant node removal). */
  BASIC,
  /** Also fuses common node patterns. */
  EXTENDED,
  /** Every optimization the engine has, including layout changes. The default. */
  ALL
}
