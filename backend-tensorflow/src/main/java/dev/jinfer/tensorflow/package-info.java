/**
 * The TensorFlow Java backend (SavedModel directories) will live here: it will load a SavedModel with selectable tags and signature, map its signature to a ModelSignature, and pass the backend compatibility kit. Nothing is implemented yet; see the TensorFlow/PyTorch backends issue.
 */
@NullMarked
package dev.jinfer.tensorflow;

import org.jspecify.annotations.NullMarked;
