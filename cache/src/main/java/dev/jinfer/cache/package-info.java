/**
 * CachedPredictor will live here: an exact-match prediction cache on Caffeine keyed on model id, version and input content, with an optional Redis tier. Nothing is implemented yet; see the cache issue.
 */
@NullMarked
package dev.jinfer.cache;

import org.jspecify.annotations.NullMarked;
