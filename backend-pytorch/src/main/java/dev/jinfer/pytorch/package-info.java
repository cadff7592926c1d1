/**
 * The DJL PyTorch backend: TorchScript files ({@code *.pt}, {@code *.pth}, {@code *.torchscript}) run on
 * libtorch 2.7.1 through DJL 0.36.0, registered under the name {@code pytorch}
 * ({@link dev.jinfer.pytorch.PytorchBackend}).
 *
 * <p>Each model needs a signature (input/output names, dtypes, shapes), from the sidecar
 * {@code <model file>.signature.json} or the {@code pytorch.signature} property, checked against the model
 * at load time. DJL runs offline: the CPU natives come from {@code ai.djl.pytorch:pytorch-native-cpu}
 * (linux-x86_64) or {@code PYTORCH_LIBRARY_PATH}, and a missing libtorch is a
 * {@link dev.jinfer.BackendUnavailableException} naming the artifact. One module serves every thread; each
 * call has its own DJL {@code NDManager}, closed with every native tensor of the call. See the module's
 * README for options, threads, warmup and limitations.
 */
@NullMarked
package dev.jinfer.pytorch;

import org.jspecify.annotations.NullMarked;
