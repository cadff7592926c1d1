/**
 * Spark batch scoring: {@link dev.jinfer.spark.JinferTransformer} (a Spark ML {@code Transformer} for
 * pipelines) and {@link dev.jinfer.spark.DatasetScorer} (the plain Java API over {@code Dataset<Row>}) score
 * a dataset's rows in batches inside each partition, with the model loaded once per executor JVM by
 * {@link dev.jinfer.spark.SharedModels}.
 */
@NullMarked
package dev.jinfer.spark;

import org.jspecify.annotations.NullMarked;
