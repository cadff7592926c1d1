/**
 * Model optimization in Java: reading and writing ONNX models through generated protobuf classes
 * ({@link dev.jinfer.optimize.OnnxModels}), and the transformations built on them.
 */
@NullMarked
package dev.jinfer.optimize;

import org.jspecify.annotations.NullMarked;
