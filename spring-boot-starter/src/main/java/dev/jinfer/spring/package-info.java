/**
 * Spring Boot auto-configuration of jinfer: {@link dev.jinfer.spring.JinferProperties} ({@code jinfer.*}),
 * a started {@link dev.jinfer.registry.ModelRegistry}, one {@link dev.jinfer.spring.ModelPredictor} bean per
 * model (qualified by the model's name) served through {@link dev.jinfer.serving.ServingChain}, a health
 * indicator, readiness and liveness driven by the registry, and a failure analyzer for startup failures.
 * Start at {@link dev.jinfer.spring.JinferAutoConfiguration}.
 */
@NullMarked
package dev.jinfer.spring;

import org.jspecify.annotations.NullMarked;
