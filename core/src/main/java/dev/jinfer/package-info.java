/**
 * jinfer's API: load a model ({@link dev.jinfer.Model#load}), get a thread-safe
 * {@link dev.jinfer.Predictor}, and run it on {@link dev.jinfer.NamedTensors} of immutable
 * {@link dev.jinfer.Tensor}s. Every request is validated against the {@link dev.jinfer.ModelSignature}
 * before it reaches the engine; every failure is an {@link dev.jinfer.InferenceException} with an
 * {@link dev.jinfer.ErrorCode}. Engines plug in through {@link dev.jinfer.spi}.
 */
@NullMarked
package dev.jinfer;

import org.jspecify.annotations.NullMarked;
