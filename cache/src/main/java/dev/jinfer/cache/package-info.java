/**
 * Prediction caching: {@link dev.jinfer.cache.CachedPredictor} wraps any {@link dev.jinfer.Predictor} and
 * answers repeated requests from an exact-match Caffeine cache keyed on the model id, version and the
 * canonical content of every input, with single-flight misses, optional per-input rounding
 * ({@link dev.jinfer.cache.KeyPolicy}), statistics ({@link dev.jinfer.cache.CacheStats}) and an optional
 * second tier in Redis ({@link dev.jinfer.cache.RedisTier}) that never fails or slows a prediction for long.
 */
@NullMarked
package dev.jinfer.cache;

import org.jspecify.annotations.NullMarked;
