/**
 * Reading and writing tensors as files: {@link dev.jinfer.io.Npy} handles NumPy's {@code .npy} format
 * (version 1-3 headers, C order, every jinfer dtype), with typed errors for malformed or unsupported files.
 */
@NullMarked
package dev.jinfer.io;

import org.jspecify.annotations.NullMarked;
