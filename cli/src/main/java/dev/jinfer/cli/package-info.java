/**
 * The {@code jinfer} command-line tool: {@link dev.jinfer.cli.JinferCli} with the {@code inspect} and
 * {@code predict} subcommands. Not a library API: the classes here may change without notice.
 */
@NullMarked
package dev.jinfer.cli;

import org.jspecify.annotations.NullMarked;
