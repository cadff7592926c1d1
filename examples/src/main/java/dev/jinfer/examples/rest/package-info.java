/**
 * The REST service example: {@link dev.jinfer.examples.rest.RestService} serves a jinfer model repository
 * over HTTP (JDK {@code com.sun.net.httpserver}) with the registry's hot reload, a cache, a circuit breaker
 * and dynamic batching per model version, health endpoints and Prometheus metrics. Configured by
 * {@link dev.jinfer.examples.rest.RestConfig} (flags or {@code JINFER_*} environment variables).
 */
@NullMarked
package dev.jinfer.examples.rest;

import org.jspecify.annotations.NullMarked;
