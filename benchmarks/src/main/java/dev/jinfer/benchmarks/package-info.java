/**
 * JMH benchmarks. Each benchmark runs its baseline (the raw engine call) beside the jinfer path in the
 * same process with the same engine settings, so the difference is jinfer's own cost. Build with
 * {@code mvn -B -pl benchmarks -am package -DskipTests} and run {@code java -jar benchmarks/target/benchmarks.jar}
 * from the repository root; each class's javadoc has its exact command, and {@code benchmarks/README.md}
 * the committed results.
 */
@NullMarked
package dev.jinfer.benchmarks;

import org.jspecify.annotations.NullMarked;
