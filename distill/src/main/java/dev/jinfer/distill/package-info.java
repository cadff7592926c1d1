/**
 * Knowledge distillation in Java: {@link dev.jinfer.distill.Distiller} trains a small MLP "student" to imitate
 * a "teacher" (any model jinfer loads) with DJL's training API on the PyTorch engine, and writes it as a
 * standard ONNX model with the teacher's input and output names; {@link dev.jinfer.distill.LatencyComparison}
 * times both models through jinfer in one run.
 */
@NullMarked
package dev.jinfer.distill;

import org.jspecify.annotations.NullMarked;
