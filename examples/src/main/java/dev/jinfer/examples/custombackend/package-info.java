/**
 * The custom-backend example: {@link dev.jinfer.examples.custombackend.JsonModelBackend}, a tiny
 * pure-Java backend for {@code *.jmodel.json} models, registered with one line in
 * {@code META-INF/services/dev.jinfer.spi.Backend} and loaded by {@code Model.load(path)} with no change
 * to core. Its tests extend the backend compatibility kit.
 */
@NullMarked
package dev.jinfer.examples.custombackend;

import org.jspecify.annotations.NullMarked;
