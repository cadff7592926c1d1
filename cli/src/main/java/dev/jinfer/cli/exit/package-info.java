/**
 * {@link dev.jinfer.cli.exit.ExitCode}: the exit codes every {@code jinfer} command returns, shared by
 * {@code dev.jinfer.cli} and {@code dev.jinfer.cli.bench} so neither imports the other for them.
 */
@NullMarked
package dev.jinfer.cli.exit;

import org.jspecify.annotations.NullMarked;
