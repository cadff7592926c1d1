/**
 * The ONNX Runtime backend: loads {@code .onnx} (and {@code .ort}) models with ONNX Runtime's Java API
 * ({@code com.microsoft.onnxruntime}).
 *
 * <p>Add {@code dev.jinfer:jinfer-backend-onnx} to the classpath and {@link dev.jinfer.Model#load}
 * finds {@link dev.jinfer.onnx.OnnxBackend} through {@link java.util.ServiceLoader}. Engine settings
 * beyond {@link dev.jinfer.LoadOptions} are string properties whose names are constants on
 * {@link dev.jinfer.onnx.OnnxBackend} ({@code onnx.sessions}, {@code onnx.spinning}, ...); the module's
 * README lists them with their defaults and the measurements behind them.
 *
 * <p>Inputs held in direct buffers (every {@link dev.jinfer.Tensor} built by its {@code of*} factories)
 * reach the engine without a copy; each output is copied once out of native memory into a heap-backed
 * tensor. Every native handle made for a call is closed before the call returns.
 */
@NullMarked
package dev.jinfer.onnx;

import org.jspecify.annotations.NullMarked;
