/**
 * The TensorFlow Java backend: serves TensorFlow SavedModel directories through TensorFlow Java 1.1
 * ({@code org.tensorflow:tensorflow-core-api}, TensorFlow 2.18 natives).
 *
 * <p>Add {@code dev.jinfer:jinfer-backend-tensorflow} to the classpath and {@link dev.jinfer.Model#load}
 * finds {@link dev.jinfer.tensorflow.TensorflowBackend} through {@link java.util.ServiceLoader} for any
 * directory holding a {@code saved_model.pb}. The meta graph's tags ({@code tensorflow.tags}, default
 * {@code serve}) and the signature ({@code tensorflow.signature}, default {@code serving_default}) are
 * load properties; the signature's inputs and outputs become the model's signature. Every caller shares
 * one TensorFlow session; every TensorFlow tensor and result made for a call is closed before the call
 * returns. TensorFlow cannot stop a running graph at a deadline, so core abandons such calls instead.
 * The module's README covers the natives and their cache directory, threads, dtypes and the fixtures.
 */
@NullMarked
package dev.jinfer.tensorflow;

import org.jspecify.annotations.NullMarked;
