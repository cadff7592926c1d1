/**
 * The DJL PyTorch backend (TorchScript files) will live here: offline natives from the classifier jar, a thread-safe pool of DJL predictors, signatures from LoadOptions or a sidecar file, and the compatibility kit. Nothing is implemented yet; see the TensorFlow/PyTorch backends issue.
 */
@NullMarked
package dev.jinfer.pytorch;

import org.jspecify.annotations.NullMarked;
