/**
 * {@code jinfer bench}: a load tool modelled on Triton's {@code perf_analyzer}, for a model run in-process
 * (optionally behind batching and caching) or a jinfer REST service ({@code --url}).
 *
 * <p>The parts: {@link dev.jinfer.cli.bench.BenchCommand} (options, wiring, exit codes), {@code LoadRunner}
 * (closed and open loops, measurement windows), {@code ArrivalSchedule} (fixed or Poisson send times),
 * {@code StabilityDetector} (when to stop measuring), {@code RequestSource} (generated or {@code .npy}
 * inputs), the targets ({@code PredictorTarget}, {@code HttpTarget}) and the reports ({@code TableReport},
 * {@code JsonReport}, {@code CsvReport}, {@code LatencyChart}). Not a library API: the classes here may
 * change without notice.
 */
@NullMarked
package dev.jinfer.cli.bench;

import org.jspecify.annotations.NullMarked;
